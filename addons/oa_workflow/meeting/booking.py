# This file is part of the oa_workflow module.
"""Bookings of meeting rooms

Two bookings of one room never overlap: a Python check names the
conflicting booking and, on PostgreSQL, an exclusion constraint on the time
range guarantees it also under concurrent booking (the constraint violation
is turned into the same message)."""
import datetime as dt

from sql.aggregate import Count
from sql.operators import Equal

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    Exclude, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.sql.functions import TSRange
from trytond.sql.operators import RangeOverlap
from trytond.tools import grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access

from ..approval import ApprovalMixin, notify
from ..deletable import DeletableStatesMixin
from ..overlap import BtreeGistMixin, overlapping_ids
from ..rec_name import RecNameSearchMixin

# States in which a booking holds its room
ACTIVE = ('waiting', 'confirmed', 'checked_in')
STATES = [
    ('draft', "Draft"),
    ('waiting', "Waiting Approval"),
    ('confirmed', "Confirmed"),
    ('checked_in', "Checked In"),
    ('released', "Released"),
    ('cancelled', "Cancelled"),
    ]
# Tolerance for "in the past" (the user takes time to fill the form)
PAST_TOLERANCE = dt.timedelta(minutes=5)
MAX_OCCURRENCES = 200


def _now():
    return dt.datetime.now()


def _format_period(zone, start, end):
    "The period [start, end) (UTC) in the timezone"
    start = start.replace(tzinfo=tz.UTC).astimezone(zone)
    end = end.replace(tzinfo=tz.UTC).astimezone(zone)
    # formatted by hand: strftime is slow on lists of bookings
    text = '%04d-%02d-%02d %02d:%02d' % (
        start.year, start.month, start.day, start.hour, start.minute)
    if start.date() == end.date():
        return '%s-%02d:%02d' % (text, end.hour, end.minute)
    return '%s - %04d-%02d-%02d %02d:%02d' % (
        text, end.year, end.month, end.day, end.hour, end.minute)


def _database_checks_overlap():
    "The exclusion constraint refuses overlapping bookings (PostgreSQL)"
    return backend.name == 'postgresql'


class Booking(DeletableStatesMixin, RecNameSearchMixin, BtreeGistMixin,
        ApprovalMixin, Workflow, ModelSQL, ModelView):
    "Meeting Room Booking"
    __name__ = 'oa.meeting.booking'
    __string__ = "Meeting Room Booking"
    _rec_name = 'subject'
    _rec_name_search_fields = ['subject', 'room.name']
    _delete_message = 'oa_workflow.msg_meeting_booking_delete'
    _delete_message_name = 'booking'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    room = fields.Many2One(
        'oa.meeting.room', "Room", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_states)
    subject = fields.Char("Subject", required=True, states=_states)
    organizer = fields.Many2One(
        'res.user', "Organizer", required=True, ondelete='RESTRICT',
        states=_states)
    attendees = fields.Many2Many(
        'oa.meeting.booking-res.user', 'booking', 'user', "Attendees",
        states=_states)
    start = fields.DateTime("Start", required=True, states=_states)
    end = fields.DateTime("End", required=True, states=_states)
    description = fields.Text("Description")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    recurrence = fields.Selection([
            (None, "None"),
            ('daily', "Daily"),
            ('weekly', "Weekly"),
            ], "Repeat", sort=False,
        states={
            'readonly': _states['readonly'],
            'invisible': Bool(Eval('parent')),
            })
    recurrence_until = fields.Date(
        "Repeat Until",
        states={
            'readonly': _states['readonly'],
            'required': Bool(Eval('recurrence')),
            'invisible': ~Eval('recurrence'),
            })
    parent = fields.Many2One(
        'oa.meeting.booking', "Recurring Booking", readonly=True,
        ondelete='CASCADE',
        help="The first booking of the series this occurrence belongs to.")
    occurrences = fields.One2Many(
        'oa.meeting.booking', 'parent', "Occurrences", readonly=True)
    checked_in_at = fields.DateTime("Checked In At", readonly=True)
    checked_in_by = fields.Many2One(
        'res.user', "Checked In By", readonly=True, ondelete='SET NULL')
    reminded = fields.Boolean("Reminded", readonly=True)
    room_color = fields.Function(
        fields.Char("Room Color"), 'get_room_color')
    attendee_count = fields.Function(
        fields.Integer("Attendees"), 'get_attendee_count')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('room_overlap',
                Exclude(t,
                    (t.room, Equal),
                    (TSRange(t.start, t.end, '[)'), RangeOverlap),
                    where=t.state.in_(list(ACTIVE))),
                'oa_workflow.msg_meeting_booking_overlap_db'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.room, Index.Equality()),
                    (t.start, Index.Range()),
                    where=t.state.in_(list(ACTIVE))),
                Index(t, (t.state, Index.Equality()),
                    (t.start, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'waiting'),
            ('draft', 'confirmed'),
            ('waiting', 'confirmed'),
            ('waiting', 'draft'),
            ('waiting', 'cancelled'),
            ('confirmed', 'checked_in'),
            ('confirmed', 'released'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'book': {
                    'invisible': (Eval('state') != 'draft')
                    | Bool(Eval('parent')),
                    'depends': ['state', 'parent'],
                    },
                'check_in': {
                    'invisible': Eval('state') != 'confirmed',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'confirmed']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })
        # bookings go to approval through the Book button only
        cls._buttons['submit_approval']['invisible'] = True

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_organizer(cls):
        return Transaction().user or None

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_reminded(cls):
        return False

    @fields.depends('start', 'end')
    def on_change_start(self):
        if self.start and (not self.end or self.end <= self.start):
            self.end = self.start + dt.timedelta(hours=1)

    def get_room_color(self, name):
        palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
            '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']
        return palette[self.room.id % len(palette)]

    @classmethod
    def get_attendee_count(cls, bookings, name):
        "The attendees and the organizer of the bookings, in one query"
        pool = Pool()
        Attendee = pool.get('oa.meeting.booking-res.user')
        booking = cls.__table__()
        attendee = Attendee.__table__()
        cursor = Transaction().connection.cursor()
        counts = {}
        for sub_ids in grouped_slice(
                [b.id for b in bookings], backend.MAX_QUERY_PARAMS):
            cursor.execute(*booking.join(attendee, 'LEFT',
                    condition=(attendee.booking == booking.id)
                    & (attendee.user != booking.organizer)).select(
                    booking.id, Count(attendee.user, distinct=True),
                    where=SQL_OPERATORS['in'](booking.id, list(sub_ids)),
                    group_by=[booking.id]))
            counts.update((id_, count + 1) for id_, count in cursor)
        return counts

    @classmethod
    def _name_rows(cls, ids):
        """(id, start, end, subject, room name, timezone of the company) of
        the bookings, in one query per slice"""
        pool = Pool()
        Company = pool.get('company.company')
        Room = pool.get('oa.meeting.room')
        booking = cls.__table__()
        room = Room.__table__()
        company = Company.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*booking.join(room,
                    condition=booking.room == room.id).join(
                    company, condition=booking.company == company.id).select(
                    booking.id, booking.start, booking.end, booking.subject,
                    room.name, company.timezone,
                    where=SQL_OPERATORS['in'](booking.id, list(sub_ids))))
            for id_, start, end, subject, name, timezone in cursor:
                zone = tz.ZoneInfo(timezone) if timezone else tz.SERVER
                yield id_, start, end, subject, name, zone

    @classmethod
    def get_rec_name(cls, bookings, name):
        "Subject [room period]: one query for all the bookings"
        saved = [b.id for b in bookings if b.id is not None and b.id >= 0]
        result = {}
        for id_, start, end, subject, room_name, zone in cls._name_rows(
                saved):
            result[id_] = '%s [%s %s]' % (subject, room_name,
                _format_period(zone, start, end))
        for booking in bookings:
            if booking.id not in result:
                result[booking.id] = '%s [%s %s]' % (
                    booking.subject, booking.room.name,
                    booking.format_period())
        return result

    # Time display in the company's timezone (datetimes are stored in UTC)
    def _timezone(self):
        Date = Pool().get('ir.date')
        return Date.company_timezone(
            self.company or (self.room and self.room.company) or None)

    def _local(self, value):
        return value.replace(tzinfo=tz.UTC).astimezone(self._timezone())

    def format_period(self, start=None, end=None):
        return _format_period(
            self._timezone(), start or self.start, end or self.end)

    # Checks
    @classmethod
    def _count_attendees(cls, values):
        "Number of people in the create values (organizer included)"
        users = set()
        for action in values.get('attendees') or []:
            if action[0] == 'add':
                users.update(action[1])
            elif action[0] == 'create':
                users.update(range(-1, -len(action[1]) - 1, -1))
        users.add(values.get('organizer') or Transaction().user)
        return len(users)

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Room = pool.get('oa.meeting.room')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # refuse bad input before anything is written
            start, end = values.get('start'), values.get('end')
            if start and end and end <= start:
                raise ValidationError(gettext(
                        'oa_workflow.msg_meeting_booking_end_before_start',
                        subject=values.get('subject') or ''))
            if (start and not values.get('parent')
                    and start < _now() - PAST_TOLERANCE):
                raise ValidationError(gettext(
                        'oa_workflow.msg_meeting_booking_past',
                        subject=values.get('subject') or ''))
            if values.get('room'):
                room = Room(values['room'])
                count = cls._count_attendees(values)
                if count > room.capacity:
                    raise ValidationError(gettext(
                            'oa_workflow.msg_meeting_booking_capacity',
                            room=room.rec_name, capacity=room.capacity,
                            count=count))
        return values

    @classmethod
    def validate(cls, bookings):
        # before ModelSQL.validate, which checks the exclusion constraint
        # without naming the conflict where the database cannot
        for booking in bookings:
            if booking.end <= booking.start:
                raise ValidationError(gettext(
                        'oa_workflow.msg_meeting_booking_end_before_start',
                        subject=booking.subject))
            if (booking.state in {'draft', 'waiting', 'confirmed'}
                    and booking.attendee_count > booking.room.capacity):
                raise ValidationError(gettext(
                        'oa_workflow.msg_meeting_booking_capacity',
                        room=booking.room.rec_name,
                        capacity=booking.room.capacity,
                        count=booking.attendee_count))
        if not _database_checks_overlap():
            cls.check_overlap(bookings)
        super().validate(bookings)

    @classmethod
    def find_conflicts(cls, room, start, end, exclude=()):
        "Bookings holding the room during [start, end), earliest first"
        return cls.browse(overlapping_ids(
                cls.__table__(), 'room', room, start, end, ACTIVE,
                exclude=exclude))

    @classmethod
    def first_conflict(cls, room, start, end, exclude=()):
        "The last booking holding the room during [start, end), or None"
        ids = overlapping_ids(
            cls.__table__(), 'room', room, start, end, ACTIVE,
            exclude=exclude, latest=True, limit=1)
        return cls(ids[0]) if ids else None

    def _conflict_message(self, conflict):
        return gettext(
            'oa_workflow.msg_meeting_booking_overlap',
            booking=self.subject, room=self.room.rec_name,
            conflict=conflict.subject,
            organizer=conflict.organizer.rec_name,
            period=conflict.format_period())

    @classmethod
    def check_overlap(cls, bookings):
        for booking in bookings:
            if booking.state not in ACTIVE:
                continue
            conflict = cls.first_conflict(
                booking.room, booking.start, booking.end, exclude=[booking])
            if conflict:
                raise ValidationError(booking._conflict_message(conflict))

    @classmethod
    def _check_values(cls, values, exclude=()):
        """Check the future values of a booking before the database does, to
        name the conflicting booking (the database's refusal aborts the
        transaction); a single draft on a period the room is held is
        refused too: it could never be booked (nothing is saved; a recurring
        one lists its conflicting dates when booked)"""
        state = values.get('state') or 'draft'
        if ((state not in ACTIVE
                    and (state != 'draft' or values.get('recurrence')))
                or not values.get('room')
                or not values.get('start') or not values.get('end')
                or values['end'] <= values['start']):
            return
        conflict = cls.first_conflict(
            values['room'], values['start'], values['end'], exclude=exclude)
        if conflict:
            booking = cls(**values)
            raise ValidationError(booking._conflict_message(conflict))

    @classmethod
    def _named_constraint_error(cls, exception, vlist):
        """Turn the database's exclusion violation into the message naming
        the conflicting booking, found in a new transaction (the current one
        is aborted; a concurrent booking is committed when the constraint
        fires)"""
        if exception.message != gettext(
                'oa_workflow.msg_meeting_booking_overlap_db'):
            return exception
        with Transaction().new_transaction(readonly=True):
            for values in vlist:
                try:
                    cls._check_values(values)
                except ValidationError as error:
                    return error
        return exception

    @staticmethod
    def _booking_values(values):
        return {k: values.get(k) for k in (
                'room', 'start', 'end', 'subject', 'company', 'state',
                'recurrence')}

    @classmethod
    def create(cls, vlist):
        copying = Transaction().context.get('_oa_booking_copy')
        for values in vlist:
            if copying and (values.get('state') or 'draft') == 'draft':
                # a copy is moved to another period before it is booked
                continue
            cls._check_values(cls._booking_values(values))
        try:
            return super().create(vlist)
        except SQLConstraintError as exception:
            raise cls._named_constraint_error(
                exception, [cls._booking_values(v) for v in vlist]
                ) from exception

    @classmethod
    def write(cls, *args):
        future = []
        actions = iter(args)
        for records, values in zip(actions, actions):
            if not {'room', 'start', 'end', 'state'} & set(values):
                continue
            for record in records:
                booking = {
                    'room': record.room.id,
                    'start': record.start,
                    'end': record.end,
                    'subject': record.subject,
                    'company': record.company.id,
                    'state': record.state,
                    'recurrence': record.recurrence,
                    }
                booking.update(
                    (k, v) for k, v in values.items() if k in booking)
                cls._check_values(booking, exclude=records)
                future.append(booking)
        try:
            return super().write(*args)
        except SQLConstraintError as exception:
            raise cls._named_constraint_error(exception, future) from exception

    @classmethod
    def copy(cls, bookings, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('parent', None)
        default.setdefault('occurrences', None)
        default.setdefault('checked_in_at', None)
        default.setdefault('checked_in_by', None)
        default.setdefault('reminded', False)
        with Transaction().set_context(_oa_booking_copy=True):
            return super().copy(bookings, default=default)

    # Recurrence
    def occurrence_periods(self):
        "The (start, end) of the occurrences after the first one"
        if not self.recurrence or not self.recurrence_until:
            return []
        step = dt.timedelta(days=1 if self.recurrence == 'daily' else 7)
        periods = []
        start, end = self.start + step, self.end + step
        while (self._local(start).date() <= self.recurrence_until
                and len(periods) < MAX_OCCURRENCES):
            periods.append((start, end))
            start, end = start + step, end + step
        return periods

    def _occurrence_values(self, start, end):
        return {
            'company': self.company.id,
            'room': self.room.id,
            'subject': self.subject,
            'organizer': self.organizer.id,
            'attendees': [('add', [u.id for u in self.attendees])],
            'start': start,
            'end': end,
            'description': self.description,
            'parent': self.id,
            'state': 'draft',
            }

    @classmethod
    def check_bookable(cls, bookings):
        """Check the first booking and every occurrence; list all the
        conflicting dates at once"""
        for booking in bookings:
            if booking.start < _now() - PAST_TOLERANCE:
                raise UserError(gettext(
                        'oa_workflow.msg_meeting_booking_past',
                        subject=booking.subject))
            conflicts = cls.find_conflicts(
                booking.room, booking.start, booking.end, exclude=[booking])
            periods = booking.occurrence_periods()
            if not periods:
                if conflicts:
                    raise UserError(booking._conflict_message(conflicts[0]))
                continue
            lines = []
            for start, end in [(booking.start, booking.end)] + periods:
                found = cls.find_conflicts(
                    booking.room, start, end, exclude=[booking])
                for conflict in found:
                    lines.append(gettext(
                            'oa_workflow.msg_meeting_booking_conflict_line',
                            date=booking._local(start).strftime('%Y-%m-%d'),
                            conflict=conflict.subject,
                            organizer=conflict.organizer.rec_name,
                            period=conflict.format_period()))
            if lines:
                raise UserError(gettext(
                        'oa_workflow.msg_meeting_booking_recurrence_conflict',
                        booking=booking.subject, room=booking.room.rec_name,
                        count=len(lines), dates='\n'.join(lines)))

    @classmethod
    def _create_occurrences(cls, bookings):
        vlist = []
        for booking in bookings:
            if booking.parent or booking.occurrences:
                continue
            vlist.extend(
                booking._occurrence_values(start, end)
                for start, end in booking.occurrence_periods())
        return cls.create(vlist) if vlist else []

    @classmethod
    def _with_occurrences(cls, bookings):
        result = list(bookings)
        for booking in bookings:
            result.extend(booking.occurrences)
        return result

    # Workflow
    @classmethod
    @ModelView.button
    def book(cls, bookings):
        "Reserve the room: confirm, or ask for approval for restricted rooms"
        bookings = [b for b in bookings if b.state == 'draft']
        cls.check_bookable(bookings)
        cls._create_occurrences(bookings)
        bookings = cls.browse(bookings)
        free = [b for b in bookings if not b.room.restricted]
        restricted = [b for b in bookings if b.room.restricted]
        if free:
            cls.confirm(cls._with_occurrences(free))
        if restricted:
            cls.wait(cls._with_occurrences(restricted))
            cls.submit_approval(restricted)

    @classmethod
    @Workflow.transition('waiting')
    def wait(cls, bookings):
        pass

    @classmethod
    @Workflow.transition('confirmed')
    def confirm(cls, bookings):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('checked_in')
    def check_in(cls, bookings):
        now = _now()
        for booking in bookings:
            opens = booking.start - dt.timedelta(
                minutes=booking.room.checkin_before)
            closes = booking.start + dt.timedelta(
                minutes=booking.room.checkin_after)
            if not (opens <= now <= closes):
                raise UserError(gettext(
                        'oa_workflow.msg_meeting_booking_checkin_window',
                        booking=booking.rec_name,
                        opens=booking._local(opens).strftime('%H:%M'),
                        closes=booking._local(closes).strftime('%H:%M')))
        cls.write(bookings, {
                'checked_in_at': now,
                'checked_in_by': Transaction().user or None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, bookings):
        # cancelling the series cancels its future occurrences
        occurrences = [o for b in bookings for o in b.occurrences
            if o.state in {'draft', 'waiting', 'confirmed'}
            and o.start >= _now()]
        if occurrences:
            cls.cancel(occurrences)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, bookings):
        # the occurrences are generated again when booking
        occurrences = [o for b in bookings for o in b.occurrences
            if o.state in {'draft', 'cancelled'}]
        if occurrences:
            cls.write(occurrences, {'state': 'draft'})
            cls.delete(occurrences)

    # Approval hooks
    def approval_get_requester(self):
        return self.organizer.id

    def approval_get_employee(self):
        return self.organizer.employee

    # the approver may not be allowed to write the booking otherwise
    @classmethod
    def approval_approved(cls, bookings):
        with without_check_access():
            cls.confirm(cls._with_occurrences(bookings))

    @classmethod
    def approval_rejected(cls, bookings):
        with without_check_access():
            cls.cancel(cls._with_occurrences(bookings))

    approval_cancelled = approval_rejected

    @classmethod
    def approval_returned(cls, bookings):
        with without_check_access():
            cls.draft(cls._with_occurrences(bookings))

    approval_withdrawn = approval_returned

    # Scheduled job
    @classmethod
    def cron_meeting(cls):
        "Release the bookings without check-in and remind the attendees"
        cls.release_no_shows()
        cls.remind_attendees()

    @classmethod
    def release_no_shows(cls):
        """Release, in one UPDATE per check-in window length, the confirmed
        bookings whose check-in window has passed"""
        pool = Pool()
        Room = pool.get('oa.meeting.room')
        now = _now()
        windows = {r.checkin_after for r in Room.search([
                    ('active', 'in', [True, False])])}
        released = []
        for minutes in sorted(windows):
            bookings = cls.search([
                    ('state', '=', 'confirmed'),
                    ('room.checkin_after', '=', minutes),
                    ('start', '<', now - dt.timedelta(minutes=minutes)),
                    ])
            if bookings:
                cls.write(bookings, {'state': 'released'})
                released.extend(bookings)
        return released

    @classmethod
    def remind_attendees(cls):
        pool = Pool()
        Room = pool.get('oa.meeting.room')
        now = _now()
        rooms = Room.search([('active', 'in', [True, False])])
        horizon = max([r.reminder for r in rooms] or [0])
        bookings = cls.search([
                ('state', '=', 'confirmed'),
                ('reminded', '=', False),
                ('start', '>', now),
                ('start', '<=', now + dt.timedelta(minutes=horizon)),
                ])
        due = [b for b in bookings
            if b.start <= now + dt.timedelta(minutes=b.room.reminder)]
        for booking in due:
            label = gettext(
                'oa_workflow.msg_meeting_booking_reminder',
                subject=booking.subject, room=booking.room.rec_name,
                period=booking.format_period())
            notify(
                [booking.organizer] + list(booking.attendees), label,
                cls.__name__, [booking])
        if due:
            cls.write(due, {'reminded': True})
        return due

    # Door page (tablet)
    @classmethod
    def instant_book(cls, room, subject, minutes):
        "Book the room from now for the given minutes; return the booking"
        if room.restricted:
            raise UserError(gettext(
                    'oa_workflow.msg_meeting_room_restricted_instant',
                    room=room.rec_name))
        start = _now().replace(second=0, microsecond=0)
        end = start + dt.timedelta(minutes=minutes)
        with Transaction().set_context(company=room.company.id):
            booking, = cls.create([{
                        'company': room.company.id,
                        'room': room.id,
                        'subject': subject,
                        'organizer': Transaction().user or 0,
                        'start': start,
                        'end': end,
                        }])
            cls.book([booking])
        return booking


class BookingAttendee(ModelSQL):
    "Meeting Room Booking - Attendee"
    __name__ = 'oa.meeting.booking-res.user'
    __string__ = "Meeting Room Booking - Attendee"

    booking = fields.Many2One(
        'oa.meeting.booking', "Booking", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('oa.meeting.booking|cron_meeting',
                "Release No-Show Bookings and Remind Attendees"))
