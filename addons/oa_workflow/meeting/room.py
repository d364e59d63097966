# This file is part of the oa_workflow module.
import datetime as dt
import secrets
from collections import defaultdict, namedtuple
from weakref import WeakKeyDictionary

from sql.operators import Greater

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import AccessError
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from ..rec_name import RecNameSearchMixin
from .booking import ACTIVE

MAX_DAYS = 31
# transaction -> ((transaction counter, room ids), Room._moments)
_MOMENTS = WeakKeyDictionary()
# what a room's list shows of the moment
Moment = namedtuple('Moment', ['busy', 'next_id', 'next_start', 'next_end',
        'next_subject', 'next_organizer', 'zone'])


def _period_text(zone, start, end, with_date=False, offset=None):
    """'09:00-10:30' (UTC start and end) in the timezone, dated if asked;
    offset: the fixed UTC offset of the zone in the period, if any"""
    if offset is not None:
        start, end = start + offset, end + offset
    else:
        start = start.replace(tzinfo=tz.UTC).astimezone(zone)
        end = end.replace(tzinfo=tz.UTC).astimezone(zone)
    if with_date:
        text = '%02d-%02d %02d:%02d-' % (
            start.month, start.day, start.hour, start.minute)
    else:
        text = '%02d:%02d-' % (start.hour, start.minute)
    if end.date() != start.date():
        text += '%02d-%02d ' % (end.month, end.day)
    return '%s%02d:%02d' % (text, end.hour, end.minute)


class Room(RecNameSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    "Meeting Room"
    __name__ = 'oa.meeting.room'
    __string__ = "Meeting Room"
    _rec_name_search_fields = ['name', 'code', 'location']

    # a proper name: not translated, so that searches and orders on rooms
    # (the booking's room domain, lists) need no translation join
    name = fields.Char("Name", required=True)
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
                ], "Now"), 'get_now_next')
    next_booking = fields.Function(fields.Many2One(
            'oa.meeting.booking', "Next Booking"), 'get_now_next')
    next_summary = fields.Function(fields.Char(
            "Next Booking",
            help="The next booking of the room: date, period, subject and "
            "organizer."), 'get_now_next')
    schedule = fields.Function(fields.Text(
            "Schedule",
            help="The bookings of the days chosen above."),
        'get_availability')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'oa_workflow.msg_meeting_room_code_unique'),
            ('token_unique', Unique(t, t.token),
                'oa_workflow.msg_meeting_room_token_unique'),
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

    @staticmethod
    def _generate_token():
        return secrets.token_urlsafe(16)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # each room its own key, made by the server (a default is
            # computed once for all the rooms of a create)
            values['token'] = cls._generate_token()
        return values

    @classmethod
    def check_modification(cls, mode, rooms, values=None, external=False):
        super().check_modification(
            mode, rooms, values=values, external=external)
        if mode == 'write' and external and 'token' in (values or {}):
            raise AccessError(gettext(
                    'oa_workflow.msg_meeting_room_token_by_button'))

    def get_rec_name(self, name):
        if self.location:
            return '%s (%s)' % (self.name, self.location)
        return self.name

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
    def get_now_next(cls, rooms, name):
        """Busy now or free, and the next booking (relation or summary), of
        the rooms.

        One getter per field (the validation of the selection "status" at
        room creation must not compute and cache the next booking), all
        served by the rows of one query (Room._moments)"""
        moments = cls._moments([r.id for r in rooms])
        result = {}
        for room_id, moment in moments.items():
            if name == 'status':
                result[room_id] = 'busy' if moment.busy else 'free'
            elif name == 'next_booking':
                result[room_id] = moment.next_id
            elif moment.next_id:
                result[room_id] = '%s %s (%s)' % (
                    _period_text(moment.zone, moment.next_start,
                        moment.next_end, with_date=True),
                    moment.next_subject, moment.next_organizer)
            else:
                result[room_id] = None
        return result

    @classmethod
    def get_availability(cls, rooms, name):
        """The schedule of the rooms for the period of the context (date,
        days), in a few set-based queries for all the rooms"""
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        day = context.get('date') or Date.today()
        days = min(max(context.get('days') or 1, 1), MAX_DAYS)
        result = {}
        zones = defaultdict(list)
        for room_id, moment in cls._moments([r.id for r in rooms]).items():
            zones[moment.zone].append(room_id)
        for zone, room_ids in zones.items():
            start = dt.datetime.combine(day, dt.time(), tzinfo=zone
                ).astimezone(tz.UTC).replace(tzinfo=None)
            end = dt.datetime.combine(
                day + dt.timedelta(days=days), dt.time(), tzinfo=zone
                ).astimezone(tz.UTC).replace(tzinfo=None)
            # one offset for the whole period unless the zone changes it
            offsets = {
                dt.datetime.combine(d, dt.time(), tzinfo=zone).utcoffset()
                for d in [day - dt.timedelta(days=1), day,
                    day + dt.timedelta(days=days + 1)]}
            offset = offsets.pop() if len(offsets) == 1 else None
            # bookings share their periods (slots): format each one once
            periods = {}
            schedules = cls._bookings_between(room_ids, start, end)
            for room_id in room_ids:
                lines = []
                for b_start, b_end, subject, organizer in schedules.get(
                        room_id, ()):
                    period = periods.get((b_start, b_end))
                    if period is None:
                        period = periods[b_start, b_end] = _period_text(
                            zone, b_start, b_end, with_date=days > 1,
                            offset=offset)
                    lines.append(f'{period} {subject} ({organizer})')
                result[room_id] = '\n'.join(lines)
        return result

    @classmethod
    def _moments(cls, ids):
        """Room id -> Moment (busy now, the next booking, the timezone of
        the company) of the rooms, in one query kept for the transaction
        until its next write (the fields of a read share it)"""
        transaction = Transaction()
        key = (transaction.counter, tuple(ids))
        memo = _MOMENTS.get(transaction)
        if not memo or memo[0] != key:
            moments = {
                row[0]: Moment(*row[1:-1],
                    tz.ZoneInfo(row[-1]) if row[-1] else tz.SERVER)
                for row in cls._now_and_next(ids, dt.datetime.now())}
            _MOMENTS[transaction] = memo = (key, moments)
        return memo[1]

    @classmethod
    def _now_and_next(cls, ids, now):
        """(room, busy now, next booking, its start, end, subject and
        organizer, timezone of the company) of the rooms: two index probes
        per room in one query (the last booking started before now is the
        only one that can be running: active bookings never overlap)"""
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        Company = pool.get('company.company')
        User = pool.get('res.user')
        cursor = Transaction().connection.cursor()
        room = cls.__table__()
        company = Company.__table__()
        booking = Booking.__table__()
        following = Booking.__table__()
        organizer = User.__table__()
        active = booking.state.in_(list(ACTIVE))
        current = booking.select(
            booking.end,
            where=(booking.room == room.id) & active & (booking.start <= now),
            order_by=[booking.start.desc], limit=1)
        upcoming = booking.select(
            booking.id,
            where=(booking.room == room.id) & active & (booking.start > now),
            order_by=[booking.start.asc], limit=1)
        query = room.join(company, condition=room.company == company.id
            ).join(following, 'LEFT', condition=following.id == upcoming
            ).join(organizer, 'LEFT',
                condition=following.organizer == organizer.id)
        rows = []
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*query.select(
                    room.id, Greater(current, now).as_('busy'),
                    following.id, following.start, following.end,
                    following.subject, organizer.name, company.timezone,
                    where=SQL_OPERATORS['in'](room.id, list(sub_ids))))
            rows.extend(cursor)
        return rows

    @classmethod
    def _bookings_between(cls, ids, start, end):
        """Room id -> [(start, end, subject, organizer)] of the bookings
        holding the rooms during [start, end), in order.

        The active bookings of a room never overlap, so the only one that
        starts before the period and still runs in it is the last one
        started before it: the queries stay on the (room, start) index (two
        of them: one OR-ed query makes PostgreSQL scan the table)."""
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        User = pool.get('res.user')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        room = cls.__table__()
        booking = Booking.__table__()
        previous = Booking.__table__()
        user = User.__table__()
        active = booking.state.in_(list(ACTIVE))
        running = previous.select(
            previous.id,
            where=(previous.room == room.id)
            & previous.state.in_(list(ACTIVE))
            & (previous.start < start),
            order_by=[previous.start.desc], limit=1)
        schedules = defaultdict(list)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            running_ids = room.select(
                running, where=SQL_OPERATORS['in'](room.id, sub_ids))
            in_period = (
                SQL_OPERATORS['in'](booking.room, sub_ids) & active
                & (booking.start >= start) & (booking.start < end))
            started_before = (
                booking.id.in_(running_ids) & (booking.end > start))
            for where in [started_before, in_period]:
                cursor.execute(*booking.join(
                        user, condition=booking.organizer == user.id).select(
                        booking.room, booking.start, booking.end,
                        booking.subject, user.name,
                        where=where))
                for room_id, *row in cursor.fetchall():
                    schedules[room_id].append(row)
        for rows in schedules.values():
            rows.sort()  # by start: a room's bookings never overlap
        return schedules

    @classmethod
    @ModelView.button
    def new_token(cls, rooms):
        for room in rooms:
            room.token = cls._generate_token()
        cls.save(rooms)


class AvailabilityContext(ModelView):
    "Meeting Room Availability Context"
    __name__ = 'oa.meeting.room.availability.context'
    __string__ = "Meeting Room Availability Context"

    date = fields.Date("Date", required=True)
    days = fields.Integer(
        "Days", required=True,
        domain=[('days', '>=', 1), ('days', '<=', MAX_DAYS)],
        help="The number of days shown in the schedule from the date "
        "(7 for a week).")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_days(cls):
        return 1
