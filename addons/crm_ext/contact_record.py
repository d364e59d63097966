# This file is part of the crm_ext module.
"Contact records (联系记录), supervisor comments and follow-up frequency"
import datetime as dt

from sql import Null
from sql.aggregate import Count
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from oa_workflow.rec_name import RecNameSearchMixin

CONTACT_TYPES = [
    ('phone', "Phone"),
    ('visit', "Visit"),
    ('wechat', "WeChat"),
    ('email', "Email"),
    ('meeting', "Meeting"),
    ]
CONTACT_ROLES = [
    (None, ""),
    ('decision_maker', "Decision Maker"),
    ('influencer', "Influencer"),
    ('technical', "Technical"),
    ('purchasing', "Purchasing"),
    ('finance', "Finance"),
    ('user', "User"),
    ('other', "Other"),
    ]
DEFAULT_FOLLOW_UP_DAYS = 30


def _now():
    return dt.datetime.now().replace(microsecond=0)


class ContactRecord(RecNameSearchMixin, ModelSQL, ModelView):
    "Contact Record"
    __name__ = 'crm.contact_record'
    __string__ = "Contact Record"
    _rec_name = 'subject'
    _rec_name_search_fields = ['subject', 'party.rec_name']

    date = fields.DateTime("Date", required=True,
        help="When the contact took place.")
    type = fields.Selection(CONTACT_TYPES, "Type", required=True)
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE',
        domain=[('crm_type', 'in', ['organization', 'individual'])],
        context={'crm_customer': True})
    contacts = fields.Many2Many(
        'crm.contact_record-party.party', 'record', 'contact',
        "Contact Persons",
        domain=[
            ('crm_type', '=', 'contact'),
            If(Eval('party'),
                ('crm_employer', '=', Eval('party', -1)),
                ()),
            ],
        help="The people of the customer you spoke with.")
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", ondelete='SET NULL',
        domain=[If(Eval('party'), ('party', '=', Eval('party', -1)), ())])
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True,
        ondelete='RESTRICT',
        help="Who contacted the customer; notified of review comments.")
    subject = fields.Char("Subject", required=True)
    content = fields.Text("Content", required=True)
    result = fields.Text("Result",
        help="What came out of the contact: agreements, next steps.")
    next_contact_date = fields.Date("Next Contact Date",
        help="Proposed from the customer's follow-up frequency; saving "
        "the record sets it on the customer and schedules an appointment.")
    comments = fields.One2Many(
        'crm.contact_record.comment', 'record', "Review Comments",
        readonly=True)
    comment_count = fields.Function(
        fields.Integer("Comments"), 'get_comment_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('party')
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.employee, Index.Range()),
                    (t.date, Index.Range())),
                Index(t, (t.opportunity, Index.Range()),
                    where=t.opportunity != Null),
                })
        cls._buttons.update({
                'comment': {
                    'invisible': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                })

    @classmethod
    def default_date(cls):
        return _now()

    @classmethod
    def default_type(cls):
        return 'phone'

    @classmethod
    def default_employee(cls):
        employee = Pool().get('party.party')._crm_current_employee()
        return employee.id if employee else None

    @classmethod
    def default_party(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        context = Transaction().context
        if context.get('crm_opportunity'):
            party = Opportunity(context['crm_opportunity']).party
            return party.id if party else None
        return context.get('crm_party')

    @classmethod
    def default_opportunity(cls):
        return Transaction().context.get('crm_opportunity')

    @fields.depends('party', 'date')
    def on_change_with_next_contact_date(self):
        Date = Pool().get('ir.date')
        if self.party:
            return self.party.crm_propose_next_contact(
                Date.company_date(self.date))

    @fields.depends('party', 'opportunity')
    def on_change_party(self):
        if self.opportunity and self.opportunity.party != self.party:
            self.opportunity = None

    def get_rec_name(self, name):
        return '%s - %s' % (self.party.rec_name, self.subject)

    @classmethod
    def get_comment_count(cls, records, name):
        pool = Pool()
        Comment = pool.get('crm.contact_record.comment')
        comment = Comment.__table__()
        cursor = Transaction().connection.cursor()
        result = {r.id: 0 for r in records}
        for sub_ids in grouped_slice(result.keys(), backend.MAX_QUERY_PARAMS):
            cursor.execute(*comment.select(comment.record, Count(comment.id),
                    where=fields.SQL_OPERATORS['in'](comment.record, sub_ids),
                    group_by=[comment.record]))
            result.update(cursor)
        return result

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode in {'create', 'write'} and (mode == 'create' or field_names
                & {'date', 'party', 'contacts', 'next_contact_date'}):
            cls.update_customers(records)
            if mode == 'create':
                cls.schedule_appointments(records)

    @classmethod
    def on_delete(cls, records):
        callbacks = super().on_delete(records)
        contact_ids = {c.id for r in records for c in r.contacts}
        if contact_ids:
            callbacks.append(
                lambda: cls._update_contact_counts(contact_ids))
        return callbacks

    @classmethod
    def update_customers(cls, records):
        """Set the last contact date of the customers and contact persons
        (never backwards) and the customer's next contact date"""
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        table = Party.__table__()
        cursor = Transaction().connection.cursor()
        by_date = {}
        for record in records:
            day = Date.company_date(record.date)
            for party in [record.party] + list(record.contacts):
                by_date[party.id] = max(by_date.get(party.id, day), day)
        changed = set(by_date)
        for day in set(by_date.values()):
            ids = [i for i, d in by_date.items() if d == day]
            for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.update(
                        [table.last_contact_date], [day],
                        where=fields.SQL_OPERATORS['in'](table.id, sub_ids)
                        & (Coalesce(table.last_contact_date, dt.date.min)
                            < day)))
        # the latest record of each customer decides its next contact
        latest = {}
        for record in records:
            current = latest.get(record.party.id)
            if current is None or (record.date, record.id) > (
                    current.date, current.id):
                latest[record.party.id] = record
        for party_id, record in latest.items():
            cursor.execute(*table.update(
                    [table.next_contact_date], [record.next_contact_date],
                    where=table.id == party_id))
            changed.add(party_id)
        # contact count of the contact persons
        cls._update_contact_counts(
            {c.id for r in records for c in r.contacts})
        Party._crm_invalidate(list(changed))

    @classmethod
    def _update_contact_counts(cls, contact_ids):
        pool = Pool()
        Party = pool.get('party.party')
        Relation = pool.get('crm.contact_record-party.party')
        table = Party.__table__()
        relation = Relation.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(list(contact_ids), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.update(
                    [table.crm_contact_count],
                    [relation.select(Count(relation.id),
                            where=relation.contact == table.id)],
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids)))

    @classmethod
    def schedule_appointments(cls, records):
        """Close the open appointments the records fulfil and schedule the
        next one at the next contact date"""
        pool = Pool()
        Event = pool.get('crm.event')
        # the next contact is a day, not a time: no overlap warning
        with without_check_access(), \
                Transaction().set_context(_crm_skip_overlap=True):
            for record in records:
                contact = record.contacts[0] if record.contacts else None
                open_ = Event.search([
                        ('type', '=', 'appointment'),
                        ('state', '=', 'planned'),
                        ('party', '=', record.party.id),
                        ('contact', '=', contact.id if contact else None),
                        ])
                if open_:
                    Event.write(open_, {
                            'state': 'done',
                            'contact_record': record.id,
                            })
                if record.next_contact_date:
                    Event.create([
                            record._appointment_values(contact)])

    def _appointment_values(self, contact):
        pool = Pool()
        Event = pool.get('crm.event')
        start = Event.local_datetime(self.next_contact_date, dt.time(9))
        return {
            'type': 'appointment',
            'name': gettext('crm_ext.msg_appointment_name',
                party=self.party.rec_name),
            'party': self.party.id,
            'contact': contact.id if contact else None,
            'opportunity': self.opportunity.id if self.opportunity else None,
            'organizer': self.employee.id,
            'attendees': [('add', [self.employee.id])],
            'start': start,
            'end': start + dt.timedelta(hours=1),
            'origin_record': self.id,
            }

    @classmethod
    @ModelView.button_action('crm_ext.wizard_contact_record_comment')
    def comment(cls, records):
        pass


class ContactRecordContact(ModelSQL):
    "Contact Record - Contact Person"
    __name__ = 'crm.contact_record-party.party'
    __string__ = "Contact Record - Contact Person"
    record = fields.Many2One(
        'crm.contact_record', "Contact Record", required=True,
        ondelete='CASCADE')
    contact = fields.Many2One(
        'party.party', "Contact Person", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('record')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.contact, Index.Range())),
                Index(t, (t.record, Index.Range())),
                })


class ContactRecordComment(ModelSQL, ModelView):
    "Contact Record Review Comment"
    __name__ = 'crm.contact_record.comment'
    __string__ = "Contact Record Review Comment"
    _rec_name = 'text'
    record = fields.Many2One(
        'crm.contact_record', "Contact Record", required=True,
        ondelete='CASCADE', readonly=True)
    author = fields.Many2One(
        'res.user', "Reviewer", required=True, readonly=True,
        ondelete='RESTRICT')
    date = fields.DateTime("Date", required=True, readonly=True)
    text = fields.Text("Comment", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('record')
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(
            Index(t, (t.record, Index.Range()), (t.date, Index.Range())))

    @classmethod
    def default_author(cls):
        return Transaction().user or None

    @classmethod
    def default_date(cls):
        return _now()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['author'] = Transaction().user or values.get('author')
            values['date'] = _now()
        return values

    @classmethod
    def check_modification(cls, mode, comments, values=None, external=False):
        super().check_modification(
            mode, comments, values=values, external=external)
        if mode == 'create' and external:
            cls.check_reviewer(comments)

    @classmethod
    def check_reviewer(cls, comments):
        """Only a supervisor of the author (or a manager above) reviews a
        record; nobody reviews their own"""
        pool = Pool()
        Party = pool.get('party.party')
        context = Party._crm_user_context()
        employee = Party._crm_current_employee()
        employee = employee.id if employee else None
        for comment in comments:
            author = comment.record.employee
            if author.id == employee or not (context['crm_all']
                    or author.id in context['crm_employees']):
                raise AccessError(gettext(
                        'crm_ext.msg_contact_record_comment_not_supervisor',
                        record=comment.record.rec_name,
                        employee=author.rec_name))

    @classmethod
    def on_modification(cls, mode, comments, field_names=None):
        super().on_modification(mode, comments, field_names=field_names)
        if mode == 'create':
            cls.notify_authors(comments)

    @classmethod
    def notify_authors(cls, comments):
        "Notify the salesperson of the record in the web client and by email"
        pool = Pool()
        User = pool.get('res.user')
        from oa_workflow.approval import notify
        for comment in comments:
            record = comment.record
            with without_check_access():
                users = User.search([
                        ('employees', '=', record.employee.id),
                        ])
            label = gettext('crm_ext.msg_contact_record_commented',
                reviewer=comment.author.rec_name,
                record=record.rec_name)
            notify(users, label, 'crm.contact_record', [record],
                description=comment.text)


class CommentStart(ModelView):
    "Comment on Contact Record"
    __name__ = 'crm.contact_record.comment.start'
    __string__ = "Comment on Contact Record"
    text = fields.Text("Comment", required=True,
        help="The salesperson is notified of your comment.")


class Comment(Wizard):
    "Comment on Contact Record"
    __name__ = 'crm.contact_record.comment_wizard'
    start = StateView('crm.contact_record.comment.start',
        'crm_ext.contact_record_comment_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Comment", 'comment', 'tryton-ok', default=True),
            ])
    comment = StateTransition()

    def transition_comment(self):
        pool = Pool()
        Comment = pool.get('crm.contact_record.comment')
        Comment.create([{
                    'record': r.id,
                    'text': self.start.text,
                    } for r in self.records])
        return 'end'


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    contact_records = fields.One2Many(
        'crm.contact_record', 'opportunity', "Contact Records",
        readonly=True,
        help="The calls, visits and meetings about the deal; record a new "
        "one with \"Contact Records\" in the relate menu.")


class ValueClass(metaclass=PoolMeta):
    __name__ = 'crm.value.class'

    follow_up_days = fields.Integer("Follow-up Frequency (Days)",
        domain=['OR',
            ('follow_up_days', '=', None),
            ('follow_up_days', '>', 0),
            ],
        help="Days between two contacts for customers of this class; "
        "used to propose the next contact date.")


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    follow_up_days = fields.Integer("Default Follow-up Frequency (Days)",
        domain=['OR',
            ('follow_up_days', '=', None),
            ('follow_up_days', '>', 0),
            ],
        help="Days between two contacts for customers without value class "
        "or whose class has no frequency.")
    stale_days = fields.Integer("Not Contacted Since (Days)",
        domain=['OR',
            ('stale_days', '=', None),
            ('stale_days', '>', 0),
            ],
        help="The work queue \"not contacted recently\" lists the customers "
        "not contacted for this many days.")

    @classmethod
    def default_follow_up_days(cls):
        return DEFAULT_FOLLOW_UP_DAYS

    @classmethod
    def default_stale_days(cls):
        return 30

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        super().on_modification(mode, records, field_names=field_names)
        # the work queue dates depend on stale_days
        Party._crm_queue_dates_cache.clear()
