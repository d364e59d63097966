# This file is part of the oa_workflow module.
import datetime as dt
import secrets
from collections import defaultdict
from operator import itemgetter
from weakref import WeakKeyDictionary

from sql.operators import Greater

from trytond import backend
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from ..rec_name import RecNameSearchMixin
from .booking import ACTIVE

MAX_DAYS = 31
# (transaction counter, room ids) -> rows of Room._now_and_next
_NOW_NEXT = WeakKeyDictionary()


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
        """Busy now or free, or the next booking, of the rooms.

        One getter per field (the validation of the selection "status" at
        room creation must not compute and cache the next booking), but the
        query is run once for both fields of a read: its rows are kept for
        the transaction until the next write"""
        transaction = Transaction()
        key = (transaction.counter, tuple(r.id for r in rooms))
        memo = _NOW_NEXT.get(transaction)
        if not memo or memo[0] != key:
            rows = cls._now_and_next(list(key[1]), dt.datetime.now())
            _NOW_NEXT[transaction] = memo = (key, rows)
        result = {}
        if name == 'next_summary':
            summaries = cls._booking_summaries(
                [next_id for _, _, next_id in memo[1] if next_id])
            for room_id, busy, next_id in memo[1]:
                result[room_id] = summaries.get(next_id)
            return result
        for room_id, busy, next_id in memo[1]:
            if name == 'status':
                result[room_id] = 'busy' if busy else 'free'
            else:
                result[room_id] = next_id
        return result

    @classmethod
    def _booking_summaries(cls, booking_ids):
        """'MM-DD 09:00-10:30 subject (organizer)' of the bookings, as the
        schedule shows them, in one query"""
        Booking = Pool().get('oa.meeting.booking')
        return {
            id_: '%s %s (%s)' % (
                _period_text(zone, start, end, with_date=True),
                subject, organizer)
            for id_, start, end, subject, organizer, zone
            in Booking.zoned_rows(booking_ids, 'res.user', 'organizer')}

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
        for room_id, timezone in cls._timezones([r.id for r in rooms]):
            zones[timezone].append(room_id)
        for timezone, room_ids in zones.items():
            zone = tz.ZoneInfo(timezone) if timezone else tz.SERVER
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
            lines = defaultdict(list)
            # bookings share their periods (slots): format each one once
            periods = {}
            for room_id, b_start, b_end, subject, organizer in (
                    cls._bookings_between(room_ids, start, end)):
                period = periods.get((b_start, b_end))
                if period is None:
                    period = periods[b_start, b_end] = _period_text(
                        zone, b_start, b_end, with_date=days > 1,
                        offset=offset)
                lines[room_id].append(f'{period} {subject} ({organizer})')
            for room_id in room_ids:
                result[room_id] = '\n'.join(lines[room_id])
        return result

    @classmethod
    def _timezones(cls, ids):
        "(room, timezone of its company) in one query"
        pool = Pool()
        Company = pool.get('company.company')
        room = cls.__table__()
        company = Company.__table__()
        cursor = Transaction().connection.cursor()
        rows = []
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*room.join(
                    company, condition=room.company == company.id).select(
                    room.id, company.timezone,
                    where=SQL_OPERATORS['in'](room.id, list(sub_ids))))
            rows.extend(cursor)
        return rows

    @classmethod
    def _now_and_next(cls, ids, now):
        """(room, busy now, next booking) for the rooms: two index probes
        per room in one query (the last booking started before now is the
        only one that can be running: active bookings never overlap)"""
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        room = cls.__table__()
        booking = Booking.__table__()
        active = booking.state.in_(list(ACTIVE))
        current = booking.select(
            booking.end,
            where=(booking.room == room.id) & active & (booking.start <= now),
            order_by=[booking.start.desc], limit=1)
        upcoming = booking.select(
            booking.id,
            where=(booking.room == room.id) & active & (booking.start > now),
            order_by=[booking.start.asc], limit=1)
        rows = []
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*room.select(
                    room.id, Greater(current, now).as_('busy'),
                    upcoming.as_('next_booking'),
                    where=SQL_OPERATORS['in'](room.id, list(sub_ids))))
            rows.extend(cursor)
        return rows

    @classmethod
    def _bookings_between(cls, ids, start, end):
        """(room, start, end, subject, organizer) of the bookings holding the
        rooms during [start, end), ordered by room and start.

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
        rows = []
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
                rows.extend(cursor.fetchall())
        rows.sort(key=itemgetter(0, 1))
        return rows

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
