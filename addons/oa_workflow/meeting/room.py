# This file is part of the oa_workflow module.
import datetime as dt
import secrets

from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

ACTIVE = ['waiting', 'confirmed', 'checked_in']


class Room(DeactivableMixin, ModelSQL, ModelView):
    "Meeting Room"
    __name__ = 'oa.meeting.room'
    __string__ = "Meeting Room"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True, strip=True,
        help="Used in the address of the room's door page.")
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    capacity = fields.Integer(
        "Capacity", required=True,
        domain=[('capacity', '>', 0)],
        help="The maximum number of attendees.")
    location = fields.Char("Location")
    equipment = fields.Text(
        "Equipment", help="Projector, video conference, whiteboard…")
    restricted = fields.Boolean(
        "Restricted",
        help="Bookings of this room go through the approval flows.")
    checkin_before = fields.Integer(
        "Check-in Opens", required=True,
        domain=[('checkin_before', '>=', 0)],
        help="Minutes before the start when the check-in opens.")
    checkin_after = fields.Integer(
        "Check-in Closes", required=True,
        domain=[('checkin_after', '>=', 0)],
        help="Minutes after the start when the check-in closes; a booking "
        "without check-in is then released.")
    reminder = fields.Integer(
        "Reminder", required=True,
        domain=[('reminder', '>=', 0)],
        help="Minutes before the start when the attendees are reminded.")
    token = fields.Char(
        "Door Page Key", readonly=True,
        help="The secret key of the room's door page (tablet).")
    bookings = fields.One2Many('oa.meeting.booking', 'room', "Bookings")
    status = fields.Function(fields.Selection([
                ('free', "Free"),
                ('busy', "In Use"),
                ], "Now"), 'get_availability')
    next_booking = fields.Function(fields.Many2One(
            'oa.meeting.booking', "Next Booking"), 'get_next_booking')
    schedule = fields.Function(fields.Text(
            "Schedule",
            help="The bookings of the day chosen above."),
        'get_availability')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'oa_workflow.msg_meeting_room_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))
        cls._buttons.update({
                'new_token': {},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_capacity(cls):
        return 8

    @classmethod
    def default_restricted(cls):
        return False

    @classmethod
    def default_checkin_before(cls):
        return 10

    @classmethod
    def default_checkin_after(cls):
        return 15

    @classmethod
    def default_reminder(cls):
        return 15

    @classmethod
    def default_token(cls):
        return secrets.token_urlsafe(16)

    def get_rec_name(self, name):
        if self.location:
            return '%s (%s)' % (self.name, self.location)
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('name', operator, value),
            ('code', operator, value),
            ('location', operator, value),
            ]

    @classmethod
    def copy(cls, rooms, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('token', None)
        default.setdefault('bookings', None)
        default.setdefault('code', lambda data: data['code'] + '-copy')
        rooms = super().copy(rooms, default=default)
        cls.new_token(rooms)
        return rooms

    @classmethod
    def get_availability(cls, rooms, names):
        "Now, next booking and the day's schedule (context: date)"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        Date = pool.get('ir.date')
        now = dt.datetime.now()
        day = Transaction().context.get('date') or Date.today()
        result = {n: {r.id: None for r in rooms} for n in names}
        for room in rooms:
            zone = (tz.ZoneInfo(room.company.timezone)
                if room.company.timezone else tz.SERVER)
            bookings = Booking.search([
                    ('room', '=', room.id),
                    ('state', 'in', ACTIVE),
                    ('end', '>', min(now, dt.datetime.combine(
                                day, dt.time()) - dt.timedelta(days=1))),
                    ], order=[('start', 'ASC')])
            if 'status' in names:
                result['status'][room.id] = 'busy' if any(
                    b.start <= now < b.end for b in bookings) else 'free'
            if 'next_booking' in names:
                upcoming = [b for b in bookings if b.start > now]
                result['next_booking'][room.id] = (
                    upcoming[0].id if upcoming else None)
            if 'schedule' in names:
                lines = []
                for booking in bookings:
                    start = booking._local(booking.start)
                    end = booking._local(booking.end)
                    if start.date() <= day <= end.date():
                        lines.append('%s-%s %s (%s)' % (
                                start.strftime('%H:%M'),
                                end.strftime('%H:%M'), booking.subject,
                                booking.organizer.rec_name))
                result['schedule'][room.id] = '\n'.join(lines)
        return result

    def get_next_booking(self, name):
        return self.get_availability([self], [name])[name][self.id]

    @classmethod
    @ModelView.button
    def new_token(cls, rooms):
        for room in rooms:
            room.token = cls.default_token()
        cls.save(rooms)


class AvailabilityContext(ModelView):
    "Meeting Room Availability Context"
    __name__ = 'oa.meeting.room.availability.context'
    __string__ = "Meeting Room Availability Context"

    date = fields.Date("Date", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()
