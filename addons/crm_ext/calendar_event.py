# This file is part of the crm_ext module.
"Calendar of the salespeople: appointments, meetings, calls and to-dos"
import datetime as dt

from sql import Literal
from sql.conditionals import Coalesce
from sql.operators import Equal

from trytond import backend
from trytond.exceptions import UserWarning
from trytond.i18n import gettext
from trytond.model import Exclude, Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .tools import warning_key

EVENT_TYPES = [
    ('appointment', "Appointment"),
    ('meeting', "Meeting"),
    ('call', "Call"),
    ('todo', "To-Do"),
    ]
EVENT_STATES = [
    ('planned', "Planned"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
COLORS = {
    'appointment': '#4e79a7',
    'meeting': '#59a14f',
    'call': '#f28e2b',
    'todo': '#b07aa1',
    }


def _now():
    return dt.datetime.now().replace(microsecond=0)


class Event(Workflow, ModelSQL, ModelView):
    "Calendar Event"
    __name__ = 'crm.event'
    __string__ = "Calendar Event"

    _states = {
        'readonly': Eval('state') != 'planned',
        }

    name = fields.Char("Subject", required=True, states=_states)
    type = fields.Selection(EVENT_TYPES, "Type", required=True,
        states=_states)
    start = fields.DateTime("Start", required=True, states=_states)
    end = fields.DateTime("End",
        states={
            'readonly': _states['readonly'],
            'required': Eval('type') != 'todo',
            },
        help="Leave empty for a to-do without duration.")
    organizer = fields.Many2One(
        'company.employee', "Organizer", required=True, ondelete='RESTRICT',
        states=_states)
    attendees = fields.Many2Many(
        'crm.event-company.employee', 'event', 'employee', "Attendees",
        states=_states,
        help="Colleagues taking part; overlapping events of an attendee "
        "are reported when scheduling.")
    party = fields.Many2One(
        'party.party', "Customer", ondelete='CASCADE',
        domain=[('crm_type', 'in', ['organization', 'individual'])],
        states={
            'readonly': _states['readonly'],
            'required': Eval('type') == 'appointment',
            },
        context={'crm_customer': True})
    contact = fields.Many2One(
        'party.party', "Contact Person", ondelete='SET NULL',
        domain=[
            ('crm_type', '=', 'contact'),
            If(Eval('party'), ('crm_employer', '=', Eval('party', -1)), ()),
            ],
        states=_states,
        help="A customer and contact person have at most one open "
        "appointment.")
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", ondelete='SET NULL',
        domain=[If(Eval('party'), ('party', '=', Eval('party', -1)), ())],
        states=_states)
    location = fields.Char("Location", states=_states)
    description = fields.Text("Description")
    reminder = fields.Integer("Reminder (Minutes)",
        domain=['OR', ('reminder', '=', None), ('reminder', '>=', 0)],
        states=_states,
        help="Attendees are notified this many minutes before the start; "
        "leave empty for no reminder.")
    remind_at = fields.DateTime("Remind At", readonly=True)
    reminded = fields.Boolean("Reminded", readonly=True)
    state = fields.Selection(EVENT_STATES, "State", required=True,
        readonly=True, sort=False)
    origin_record = fields.Many2One(
        'crm.contact_record', "Scheduled by", readonly=True,
        ondelete='SET NULL',
        help="The contact record that proposed this appointment.")
    contact_record = fields.Many2One(
        'crm.contact_record', "Contact Record", readonly=True,
        ondelete='SET NULL',
        help="The contact record that fulfilled this appointment.")
    color = fields.Function(fields.Char("Color"), 'get_color')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('appointment_pair_unique',
                Exclude(t, (t.party, Equal), (Coalesce(t.contact, 0), Equal),
                    where=(t.type == 'appointment')
                    & (t.state == 'planned')),
                'crm_ext.msg_event_appointment_unique_db'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.organizer, Index.Range()),
                    (t.start, Index.Range())),
                Index(t, (t.party, Index.Range()),
                    where=t.state == 'planned'),
                Index(t, (t.remind_at, Index.Range()),
                    where=(t.state == 'planned') & (t.reminded == Literal(
                            False))),
                })
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('done', 'planned'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'replan': {
                    'invisible': Eval('state') == 'planned',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_type(cls):
        return 'appointment'

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_reminder(cls):
        return 15

    @classmethod
    def default_reminded(cls):
        return False

    @classmethod
    def default_organizer(cls):
        employee = Pool().get('party.party')._crm_current_employee()
        return employee.id if employee else None

    @classmethod
    def default_attendees(cls):
        organizer = cls.default_organizer()
        return [organizer] if organizer else []

    @classmethod
    def default_opportunity(cls):
        return Transaction().context.get('crm_opportunity')

    @classmethod
    def default_party(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Transaction().context.get('crm_opportunity')
        if opportunity:
            party = Opportunity(opportunity).party
            return party.id if party else None

    @fields.depends('start', 'end', 'type')
    def on_change_start(self):
        if self.start and self.type != 'todo' and (
                not self.end or self.end < self.start):
            self.end = self.start + dt.timedelta(hours=1)

    def get_color(self, name):
        return COLORS.get(self.type)

    @classmethod
    def local_datetime(cls, date, time):
        "Return the naive UTC datetime of date and time in the company zone"
        Date = Pool().get('ir.date')
        return dt.datetime.combine(
            date, time, tzinfo=Date.company_timezone()).astimezone(
            dt.timezone.utc).replace(tzinfo=None)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'start' in values or 'reminder' in values:
            values.setdefault('reminded', False)
        if (mode == 'create' and values.get('party')
                and values.get('type', 'appointment') == 'appointment'
                and values.get('state', 'planned') == 'planned'):
            # before the insert, so that the database constraint (the
            # guard against concurrent bookings) is not the first to speak
            cls._check_open_appointment(
                values['party'], values.get('contact'))
        return values

    @classmethod
    def on_modification(cls, mode, events, field_names=None):
        super().on_modification(mode, events, field_names=field_names)
        if mode == 'create' or (mode == 'write'
                and field_names & {'start', 'reminder'}):
            cls._set_remind_at(events)

    @classmethod
    def _set_remind_at(cls, events):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for event in events:
            remind_at = (event.start - dt.timedelta(minutes=event.reminder)
                if event.reminder is not None else None)
            cursor.execute(*table.update(
                    [table.remind_at], [remind_at],
                    where=table.id == event.id))

    @classmethod
    def copy(cls, events, default=None):
        default = default.copy() if default else {}
        for name in ['state', 'reminded', 'remind_at', 'contact_record',
                'origin_record']:
            default.setdefault(name, None)
        return super().copy(events, default=default)

    # Validation
    @classmethod
    def validate_fields(cls, events, field_names):
        super().validate_fields(events, field_names)
        cls.check_dates(events, field_names)
        cls.check_appointment(events, field_names)
        cls.check_overlap(events, field_names)

    @classmethod
    def check_dates(cls, events, field_names=None):
        if field_names and not (field_names & {'start', 'end', 'type'}):
            return
        for event in events:
            if event.end and event.end < event.start:
                raise ValidationError(gettext(
                        'crm_ext.msg_event_end_before_start',
                        event=event.rec_name,
                        start=event.format_time(event.start),
                        end=event.format_time(event.end)))
            if not event.end and event.type != 'todo':
                raise ValidationError(gettext(
                        'crm_ext.msg_event_end_required',
                        event=event.rec_name))

    @classmethod
    def check_appointment(cls, events, field_names=None):
        "One open appointment per customer and contact person"
        if field_names and not (field_names
                & {'party', 'contact', 'state', 'type'}):
            return
        for event in events:
            if event.type != 'appointment' or event.state != 'planned':
                continue
            cls._check_open_appointment(event.party.id,
                event.contact.id if event.contact else None, event.id)

    @classmethod
    def _check_open_appointment(cls, party_id, contact_id, exclude_id=None):
        pool = Pool()
        Party = pool.get('party.party')
        domain = [
            ('type', '=', 'appointment'),
            ('state', '=', 'planned'),
            ('party', '=', party_id),
            ('contact', '=', contact_id),
            ]
        if exclude_id is not None:
            domain.append(('id', '!=', exclude_id))
        with without_check_access():
            others = cls.search(domain, limit=1)
            if others:
                other, = others
                raise ValidationError(gettext(
                        'crm_ext.msg_event_appointment_unique',
                        party=Party(party_id).rec_name,
                        contact=(Party(contact_id).rec_name
                            if contact_id else '-'),
                        other=other.rec_name,
                        start=other.format_time(other.start),
                        organizer=other.organizer.rec_name))

    def _employees(self):
        return {self.organizer} | set(self.attendees)

    @classmethod
    def check_overlap(cls, events, field_names=None):
        """Warn when an attendee already has a planned event at that time
        (an attendee may decide to double-book, e.g. a short call)"""
        pool = Pool()
        Warning = pool.get('res.user.warning')
        if field_names and not (field_names
                & {'start', 'end', 'attendees', 'organizer', 'state'}):
            return
        if Transaction().context.get('_crm_skip_overlap'):
            return
        for event in events:
            if event.state != 'planned' or not event.end \
                    or event.end <= event.start:
                continue
            employees = [e.id for e in event._employees()]
            with without_check_access():
                conflicts = cls.search([
                        ('id', '!=', event.id),
                        ('state', '=', 'planned'),
                        ('start', '<', event.end),
                        ('end', '>', event.start),
                        ['OR',
                            ('organizer', 'in', employees),
                            ('attendees', 'in', employees),
                            ],
                        ], order=[('start', 'ASC')], limit=5)
            if not conflicts:
                continue
            # from the values, not from the id a new event gets at each
            # attempt: the user's "Yes" must be found at the next save
            key = warning_key('crm_event_overlap', event.start, event.end,
                sorted(employees), [c.id for c in conflicts])
            if Warning.check(key):
                lines = []
                for conflict in conflicts:
                    common = sorted(e.rec_name for e in
                        event._employees() & conflict._employees())
                    lines.append(gettext('crm_ext.msg_event_conflict_line',
                            event=conflict.name,
                            start=conflict.format_time(conflict.start),
                            end=conflict.format_time(conflict.end),
                            attendees=', '.join(common)))
                raise UserWarning(key, gettext(
                        'crm_ext.msg_event_overlap',
                        event=event.name,
                        start=event.format_time(event.start),
                        end=event.format_time(event.end),
                        conflicts='\n'.join(lines)))

    def format_time(self, value):
        "Format value in the company's timezone"
        Date = Pool().get('ir.date')
        if value is None:
            return ''
        return Date.company_datetime(value).strftime('%Y-%m-%d %H:%M')

    def get_rec_name(self, name):
        return '%s (%s)' % (self.name, self.format_time(self.start))

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name',) + tuple(clause[1:])]

    # Workflow
    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def replan(cls, events):
        pass

    # Reminders
    @classmethod
    def send_reminders(cls, now=None):
        """Notify the attendees of the events starting soon: one query for
        the due events and their attendees, one update"""
        pool = Pool()
        Attendee = pool.get('crm.event-company.employee')
        UserEmployee = pool.get('res.user-company.employee')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        if now is None:
            now = _now()
        event = cls.__table__()
        attendee = Attendee.__table__()
        user_employee = UserEmployee.__table__()
        due = ((event.state == 'planned')
            & (event.reminded == Literal(False))
            & (event.remind_at <= now)
            & (event.start > now - dt.timedelta(hours=1)))
        by_event = {}
        for query in [
                event.join(attendee,
                    condition=attendee.event == event.id
                    ).join(user_employee,
                    condition=user_employee.employee == attendee.employee
                    ).select(event.id, user_employee.user, where=due),
                event.join(user_employee,
                    condition=user_employee.employee == event.organizer
                    ).select(event.id, user_employee.user, where=due),
                ]:
            cursor.execute(*query)
            for event_id, user_id in cursor:
                by_event.setdefault(event_id, set()).add(user_id)
        events = cls.browse(list(by_event))
        for record in events:
            label = gettext('crm_ext.msg_event_reminder',
                event=record.name,
                start=record.format_time(record.start))
            for user_id in sorted(by_event[record.id]):
                cls.notify_user([record], 'tryton-notification', label,
                    record.description, user=user_id)
        cursor.execute(*event.update(
                [event.reminded], [True], where=due))
        cls._invalidate()
        return events

    @classmethod
    def _invalidate(cls):
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                cache[cls.__name__].clear()

    # Transfer of customers (CRM-B2)
    @classmethod
    def transfer_plans(cls, parties, previous, employee):
        """Move the open events of the previous owners for these customers
        to the new owner: set-based, three statements per previous owner"""
        pool = Pool()
        Attendee = pool.get('crm.event-company.employee')
        cursor = Transaction().connection.cursor()
        event = cls.__table__()
        attendee = Attendee.__table__()
        other = Attendee.__table__()
        by_owner = {}
        for party in parties:
            owner = previous.get(party.id)
            if owner and owner != employee:
                by_owner.setdefault(owner.id, []).append(party.id)
        for owner_id, party_ids in by_owner.items():
            for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
                events = event.select(event.id,
                    where=fields.SQL_OPERATORS['in'](event.party, sub_ids)
                    & (event.state == 'planned')
                    & ((event.organizer == owner_id)
                        | event.id.in_(attendee.select(attendee.event,
                                where=attendee.employee == owner_id))))
                cursor.execute(*events)
                event_ids = [r[0] for r in cursor]
                if not event_ids:
                    continue
                in_events = fields.SQL_OPERATORS['in']
                cursor.execute(*event.update(
                        [event.organizer], [employee.id],
                        where=in_events(event.id, event_ids)
                        & (event.organizer == owner_id)))
                cursor.execute(*attendee.update(
                        [attendee.employee], [employee.id],
                        where=in_events(attendee.event, event_ids)
                        & (attendee.employee == owner_id)
                        & ~attendee.event.in_(other.select(other.event,
                                where=other.employee == employee.id))))
                cursor.execute(*attendee.delete(
                        where=in_events(attendee.event, event_ids)
                        & (attendee.employee == owner_id)))
        cls._invalidate()


class EventAttendee(ModelSQL):
    "Calendar Event - Attendee"
    __name__ = 'crm.event-company.employee'
    __string__ = "Calendar Event - Attendee"
    event = fields.Many2One(
        'crm.event', "Event", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('event')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.employee, Index.Range()),
                    (t.event, Index.Range())),
                Index(t, (t.event, Index.Range())),
                })


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def _crm_transfer_plans(cls, parties, previous, employee):
        pool = Pool()
        Event = pool.get('crm.event')
        super()._crm_transfer_plans(parties, previous, employee)
        Event.transfer_plans(parties, previous, employee)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    events = fields.One2Many(
        'crm.event', 'opportunity', "Plans and Events", readonly=True,
        help="The appointments, meetings, calls and to-dos planned for the "
        "deal; plan a new one with \"Calendar Events\" in the relate "
        "menu.")


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'crm.event' in model_names and 'party.party' not in model_names:
            context = cls._crm_context()
            key = (*key, tuple(context['crm_employees']))
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.event|send_reminders', "Send Calendar Event Reminders"))
