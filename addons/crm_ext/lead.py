# This file is part of the crm_ext module.
"""Leads (线索, SPEC CRM-D0)

A lead is a ``sale.opportunity`` in state 'lead' (Tryton's own lead): it
already has the number, company, salesperson, description and the
lead -> opportunity transition, and a qualified lead keeps its history as
the deal it became. The lead fields (who asked, how it came in) are added
by ``LeadMixin``, mixed into the extension in opportunity.py.

Capture: manual, CSV import (marked 'import'), and the web form route
(routes.py) with a secret key per ``crm.lead.web_form``.
Qualification (认定) by the lead qualifiers: into an opportunity, a prospect
customer (created through the ownership rules) or discarded with a reason."""
import datetime as dt
import re
import secrets

from sql import Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case
from sql.functions import DateTrunc

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import LeadError, LeadRateError

CAPTURES = [
    (None, ""),
    ('manual', "Manual"),
    ('import', "Import"),
    ('web_form', "Web Form"),
    ('campaign', "Campaign"),
    ]
RESULTS = [
    (None, ""),
    ('opportunity', "Opportunity"),
    ('prospect', "Prospect Customer"),
    ('discarded', "Discarded"),
    ]
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
PHONE = re.compile(r'^\+?[0-9][0-9 ()\-]{4,24}$')


def check_email(value):
    return bool(EMAIL.match(value))


def check_phone(value):
    return bool(PHONE.match(value))


class LeadMixin:
    "The lead fields of sale.opportunity"
    __slots__ = ()

    lead_name = fields.Char("Lead Name",
        states={'readonly': Eval('state') != 'lead'},
        help="The company (or person) behind the lead, before it becomes "
        "a customer.")
    lead_contact = fields.Char("Contact Name",
        states={'readonly': Eval('state') != 'lead'})
    lead_phone = fields.Char("Phone",
        states={'readonly': Eval('state') != 'lead'})
    lead_email = fields.Char("Email",
        states={'readonly': Eval('state') != 'lead'})
    lead_source = fields.Many2One('crm.source', "Lead Source",
        ondelete='RESTRICT')
    capture = fields.Selection(CAPTURES, "Capture", readonly=True,
        help="How the lead came in.")
    web_form = fields.Many2One('crm.lead.web_form', "Web Form",
        readonly=True, ondelete='RESTRICT')
    lead_ip = fields.Char("Sender Address", readonly=True,
        states={'invisible': Eval('capture') != 'web_form'},
        help="The network address the web form was sent from.")
    lead_result = fields.Selection(RESULTS, "Qualification", readonly=True,
        help="What the lead became when qualified (认定).")
    discard_reason = fields.Text("Discard Reason", readonly=True,
        states={'invisible': Eval('lead_result') != 'discarded'})
    qualified_by = fields.Many2One('res.user', "Qualified By",
        readonly=True, ondelete='SET NULL')
    qualified_date = fields.Date("Qualified On", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.web_form, Index.Range()),
                    (t.create_date, Index.Range())),
                Index(t, (t.start_date, Index.Range()),
                    where=t.capture != Null),
                })
        cls._buttons.update({
                'qualify': {
                    'invisible': ((Eval('state') != 'lead')
                        | Bool(Eval('lead_result'))),
                    'depends': ['state', 'lead_result'],
                    },
                })

    @classmethod
    def import_data(cls, fields_names, data):
        with Transaction().set_context(_crm_lead_import=True):
            return super().import_data(fields_names, data)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('state', 'lead') == 'lead':
            if Transaction().context.get('_crm_lead_import'):
                values['capture'] = 'import'
            values.setdefault('capture', 'manual')
        for name in ['lead_name', 'lead_contact', 'lead_phone',
                'lead_email']:
            if isinstance(values.get(name), str):
                values[name] = values[name].strip() or None
        return values

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'lead_email', 'lead_phone'}:
            for record in records:
                if record.lead_email and not check_email(record.lead_email):
                    raise LeadError(gettext('crm_ext.msg_lead_bad_email',
                            email=record.lead_email))
                if record.lead_phone and not check_phone(record.lead_phone):
                    raise LeadError(gettext('crm_ext.msg_lead_bad_phone',
                            phone=record.lead_phone))

    @fields.depends('lead_name', 'description')
    def on_change_lead_name(self):
        if self.lead_name and not self.description:
            self.description = self.lead_name

    @classmethod
    @ModelView.button_action('crm_ext.wizard_lead_qualify')
    def qualify(cls, leads):
        pass

    @classmethod
    def _crm_check_qualifier(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        # the wizard runs without access checks: the user's groups decide,
        # whatever path leads here (root, the jobs and scripts, may)
        if not transaction.user:
            return
        groups = set(User.get_groups())
        allowed = {ModelData.get_id('crm_ext', 'group_lead_qualifier'),
            ModelData.get_id('oa_workflow', 'group_sales_supervisor')}
        if not groups & allowed:
            raise LeadError(gettext('crm_ext.msg_lead_qualify_denied'))

    @classmethod
    def _crm_check_pending(cls, leads):
        for lead in leads:
            if lead.state != 'lead' or lead.lead_result:
                raise LeadError(gettext('crm_ext.msg_lead_not_pending',
                        lead=lead.rec_name))

    def _crm_customer_values(self, name):
        contacts = []
        if self.lead_phone:
            contacts.append({'type': 'phone', 'value': self.lead_phone})
        if self.lead_email:
            contacts.append({'type': 'email', 'value': self.lead_email})
        values = {
            'name': name,
            'crm_type': 'organization',
            'crm_status': 'prospect',
            'source': self.lead_source.id if self.lead_source else None,
            }
        if contacts:
            values['contact_mechanisms'] = [('create', contacts)]
        return values

    @classmethod
    def _crm_create_customer(cls, lead, name, owner=None):
        """Create the customer: it belongs to the salesperson of the deal
        (within their quota), else the ownership policy decides its owner"""
        pool = Pool()
        Party = pool.get('party.party')
        name = (name or lead.lead_name or '').strip()
        if not name:
            raise LeadError(gettext('crm_ext.msg_lead_no_customer_name',
                    lead=lead.rec_name))
        with Transaction().set_context(crm_customer=True,
                _crm_owner=owner.id if owner else None):
            party, = Party.create([lead._crm_customer_values(name)])
        return party

    @classmethod
    def qualify_leads(cls, leads, result, party=None, customer_name=None,
            employee=None, reason=None):
        """Qualify (认定) the leads as 'opportunity', 'prospect' or
        'discarded'"""
        pool = Pool()
        Date = pool.get('ir.date')
        cls._crm_check_qualifier()
        cls._crm_check_pending(leads)
        if result not in {'opportunity', 'prospect', 'discarded'}:
            raise LeadError(gettext('crm_ext.msg_lead_bad_result'))
        values = {
            'lead_result': result,
            'qualified_by': Transaction().user or None,
            'qualified_date': Date.today(),
            }
        if result == 'discarded':
            if not reason or not reason.strip():
                raise LeadError(gettext('crm_ext.msg_lead_discard_reason'))
            cls.write(list(leads), dict(values,
                    discard_reason=reason.strip()))
            cls.cancel(leads)
            return
        for lead in leads:
            # the lead's salesperson (or the one chosen) gets the deal and
            # the new customer, not the qualifier
            owner = employee or lead.employee
            customer = party or lead.party
            if not customer:
                customer = cls._crm_create_customer(
                    lead, customer_name, owner)
            lead_values = dict(values, party=customer.id)
            owner = owner or getattr(customer, 'owner', None)
            if owner:
                lead_values['employee'] = owner.id
            if result == 'opportunity' and not owner:
                raise LeadError(gettext('crm_ext.msg_lead_no_salesperson',
                        lead=lead.rec_name))
            cls.write([lead], lead_values)
        if result == 'opportunity':
            cls.opportunity(leads)
        else:
            cls.cancel(leads)


class WebForm(DeactivableMixin, ModelSQL, ModelView):
    "Lead Web Form"
    __name__ = 'crm.lead.web_form'
    __string__ = "Lead Web Form"
    name = fields.Char("Name", required=True,
        help="E.g. the page or campaign the form is on.")
    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='CASCADE')
    key = fields.Char("Secret Key", readonly=True, required=True,
        help="Sent with every form post (field \"key\"): a post with "
        "another key is refused. Renew it when it leaked.")
    url = fields.Function(fields.Char("Post Address",
            help="Where the web page posts its form (add the key)."),
        'get_url')
    source = fields.Many2One('crm.source', "Lead Source",
        ondelete='RESTRICT')
    employee = fields.Many2One('company.employee', "Salesperson",
        ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))],
        help="Receives the leads of the form (empty: the qualifiers "
        "assign them).")
    department = fields.Many2One('oa.department', "Department",
        ondelete='SET NULL', help="The department the leads count for.")
    max_per_hour = fields.Integer("Maximum Leads per Hour", required=True,
        domain=[('max_per_hour', '>', 0)],
        help="Posts beyond this number in the last hour are refused "
        "(protection against flooding).")
    max_per_address = fields.Integer("Maximum per Sender per Hour",
        required=True, domain=[('max_per_address', '>', 0)],
        help="Posts from one network address beyond this number in the "
        "last hour are refused.")
    leads = fields.One2Many('sale.opportunity', 'web_form', "Leads",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.key, Index.Equality())))
        cls._buttons.update({
                'renew_key': {},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_key(cls):
        return secrets.token_urlsafe(24)

    @classmethod
    def default_max_per_hour(cls):
        return 100

    @classmethod
    def default_max_per_address(cls):
        return 5

    def get_url(self, name):
        database = Transaction().database.name
        return '/%s/crm/lead' % database

    @classmethod
    def copy(cls, forms, default=None):
        default = default.copy() if default else {}
        default.setdefault('key', None)
        default.setdefault('leads', None)
        return super().copy(forms, default=default)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('key'):
            values['key'] = cls.default_key()
        return values

    @classmethod
    @ModelView.button
    def renew_key(cls, forms):
        for form in forms:
            form.key = cls.default_key()
        cls.save(forms)

    @classmethod
    def from_key(cls, key):
        "Return the active form of the key or None"
        if not key or len(key) > 100:
            return None
        with without_check_access():
            forms = cls.search([('key', '=', key)], limit=2)
        forms = [f for f in forms if secrets.compare_digest(f.key, key)]
        return forms[0] if len(forms) == 1 else None

    def check_rate(self, address):
        "Raise LeadError when the form or the sender posted too much"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        since = dt.datetime.now() - dt.timedelta(hours=1)
        if address:
            same_sender = opportunity.lead_ip == address
        else:
            same_sender = opportunity.lead_ip == Null
        cursor.execute(*opportunity.select(
                Count(),
                Sum(Case((same_sender, 1), else_=0)),
                where=(opportunity.web_form == self.id)
                & (opportunity.create_date >= since)))
        total, from_address = cursor.fetchone()
        if total >= self.max_per_hour or (
                (from_address or 0) >= self.max_per_address):
            raise LeadRateError(gettext('crm_ext.msg_web_form_rate'))

    def lead_values(self, data, address):
        "Validate the posted data and return the values of the lead"
        values = {}
        for name, size in [('name', 200), ('contact', 100), ('phone', 30),
                ('email', 200), ('message', 4000)]:
            value = data.get(name)
            value = value.strip() if isinstance(value, str) else ''
            if len(value) > size:
                raise LeadError(gettext('crm_ext.msg_web_form_too_long',
                        field=name, size=size))
            values[name] = value
        if not values['name']:
            raise LeadError(gettext('crm_ext.msg_web_form_required',
                    field='name'))
        if not values['phone'] and not values['email']:
            raise LeadError(gettext('crm_ext.msg_web_form_phone_or_email'))
        if values['email'] and not check_email(values['email']):
            raise LeadError(gettext('crm_ext.msg_lead_bad_email',
                    email=values['email']))
        if values['phone'] and not check_phone(values['phone']):
            raise LeadError(gettext('crm_ext.msg_lead_bad_phone',
                    phone=values['phone']))
        return {
            'state': 'lead',
            'company': self.company.id,
            'currency': self.company.currency.id,
            'description': values['name'][:200],
            'lead_name': values['name'],
            'lead_contact': values['contact'] or None,
            'lead_phone': values['phone'] or None,
            'lead_email': values['email'] or None,
            'comment': values['message'] or None,
            'lead_source': self.source.id if self.source else None,
            'employee': self.employee.id if self.employee else None,
            'department': (self.department.id if self.department
                else (self.employee.department.id
                    if self.employee and self.employee.department
                    else None)),
            'capture': 'web_form',
            'web_form': self.id,
            'lead_ip': (address or '')[:45] or None,
            }

    def create_lead(self, data, address):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        values = self.lead_values(data, address)
        self.check_rate(address)
        with without_check_access(), Transaction().set_context(
                company=self.company.id):
            lead, = Opportunity.create([values])
        return lead


class QualifyStart(ModelView):
    "Qualify Lead"
    __name__ = 'crm.lead.qualify.start'
    __string__ = "Qualify Lead"
    result = fields.Selection(RESULTS[1:], "Qualify As", required=True)
    party = fields.Many2One('party.party', "Existing Customer",
        states={'invisible': Eval('result') == 'discarded'},
        help="Leave empty to create the customer from the lead; it belongs "
        "to the salesperson (without one, its owner follows the ownership "
        "policy).")
    customer_name = fields.Char("New Customer Name",
        states={
            'invisible': (Eval('result') == 'discarded') | Bool(Eval('party')),
            'required': (Eval('result') != 'discarded') & ~Eval('party'),
            })
    employee = fields.Many2One('company.employee', "Salesperson",
        states={'invisible': Eval('result') != 'opportunity'},
        help="Leave empty for the lead's salesperson or the customer's "
        "owner.")
    reason = fields.Text("Discard Reason",
        states={
            'invisible': Eval('result') != 'discarded',
            'required': Eval('result') == 'discarded',
            })


class Qualify(Wizard):
    "Qualify Lead"
    __name__ = 'crm.lead.qualify'
    start = StateView('crm.lead.qualify.start',
        'crm_ext.lead_qualify_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Qualify", 'qualify', 'tryton-ok', default=True),
            ])
    qualify = StateTransition()

    def default_start(self, fields):
        record = self.record
        values = {'result': 'opportunity'}
        if record:
            values['customer_name'] = record.lead_name or record.description
            if record.party:
                values['party'] = record.party.id
            if record.employee:
                values['employee'] = record.employee.id
        return values

    def transition_qualify(self):
        self.model.qualify_leads(list(self.records), self.start.result,
            party=self.start.party,
            customer_name=self.start.customer_name,
            employee=self.start.employee, reason=self.start.reason)
        return 'end'


class LeadSummaryContext(ModelView):
    "Lead Summary Context"
    __name__ = 'crm.lead.summary.context'
    __string__ = "Lead Summary Context"
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date",
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date("To Date",
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())])
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True)
    department = fields.Many2One('oa.department', "Department")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return Date.today().replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')

    @classmethod
    def default_department(cls):
        return Transaction().context.get('department')


class LeadSummary(ModelSQL, ModelView):
    "Lead Summary"
    __name__ = 'crm.lead.summary'
    __string__ = "Lead Summary"
    company = fields.Many2One('company.company', "Company")
    department = fields.Many2One('oa.department', "Department")
    date = fields.Date("Period")
    leads = fields.Integer("Leads")
    pending = fields.Integer("Pending",
        help="Leads not qualified yet.")
    opportunities = fields.Integer("Opportunities")
    prospects = fields.Integer("Prospect Customers")
    discarded = fields.Integer("Discarded")
    web_forms = fields.Integer("From Web Forms")
    qualification_rate = fields.Function(fields.Float(
            "Opportunity Rate", digits=(1, 4),
            help="The share of the leads that became opportunities."),
        'get_qualification_rate')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'), ('department', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        context = Transaction().context
        date = cls.date.sql_cast(DateTrunc(
                context.get('period') or 'month', opportunity.start_date))
        where = (opportunity.capture != Null)
        where &= opportunity.company == context.get('company', -1)
        if context.get('from_date'):
            where &= opportunity.start_date >= context['from_date']
        if context.get('to_date'):
            where &= opportunity.start_date <= context['to_date']
        if context.get('department'):
            where &= opportunity.department == context['department']

        # the period is computed in a subquery: grouping by an expression
        # with parameters does not match the selected one on PostgreSQL
        leads = opportunity.select(
            opportunity.id, opportunity.company, opportunity.department,
            opportunity.state, opportunity.lead_result, opportunity.capture,
            date.as_('date'),
            where=where)

        def count(condition):
            return Sum(Case((condition, 1), else_=0))
        return leads.select(
            Min(leads.id).as_('id'),
            leads.company.as_('company'),
            leads.department.as_('department'),
            leads.date.as_('date'),
            Count().as_('leads'),
            count((leads.state == 'lead')
                & (leads.lead_result == Null)).as_('pending'),
            count(leads.lead_result == 'opportunity').as_('opportunities'),
            count(leads.lead_result == 'prospect').as_('prospects'),
            count(leads.lead_result == 'discarded').as_('discarded'),
            count(leads.capture == 'web_form').as_('web_forms'),
            group_by=[leads.company, leads.department, leads.date])

    def get_qualification_rate(self, name):
        if self.leads:
            return round(self.opportunities / self.leads, 4)
