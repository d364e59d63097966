# This file is part of the crm_ext module.
"""Vendor deal registrations (SPEC CRM-D4, 商机报备)

Flow: draft → (internal approval through the oa_workflow engine when the
amount reaches the program's threshold) → to send → sent by email → registered
(the vendor's number and expiry) / rejected → expired.

The email is delivered when the transaction commits, before the database
commit itself (``RegistrationMailer.tpc_vote``): if the mail server refuses it,
the whole transaction is rolled back, so the registration stays "to send"
with nothing lost, and sending can be retried. The mail server is contacted
when the button is clicked, so an unreachable server gives a clear message
at once."""
import datetime as dt
import json
from collections import defaultdict
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from sql import Literal, Null
from sql.operators import Exists

from trytond import backend, config
from trytond.exceptions import UserError, UserWarning
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.sendmail import SMTPDataManager, get_smtp_server, send_message
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.url import host

from oa_workflow.approval import ApprovalMixin
from oa_workflow.deletable import DeletableStatesMixin
from oa_workflow.rec_name import RecNameSearchMixin
from oa_workflow.row_lock import lock_rows
from oa_workflow.requester import RequesterMixin

from .registration_program import parse_addresses, render

STATES = [
    ('draft', "Draft"),
    ('approval', "Under Approval"),
    ('to_send', "To Send"),
    ('sent', "Sent"),
    ('registered', "Registered"),
    ('rejected', "Rejected by Vendor"),
    ('expired', "Expired"),
    ('cancelled', "Cancelled"),
    ]
# With the vendor or on its way: they protect the deal
PENDING = ['approval', 'to_send', 'sent']
ACTIVE = PENDING + ['registered']
OPEN = ['draft'] + ACTIVE
EDITABLE = ['draft']
VENDOR_EDITABLE = ['sent', 'registered']
DRAFT_FIELDS = {
    'company', 'opportunity', 'program', 'customer', 'employee', 'project',
    'customer_contact', 'products', 'amount', 'currency', 'expected_close',
    'notes'}
VENDOR_FIELDS = {
    'vendor_number', 'registered_date', 'expiry_date', 'vendor_comment'}


class RegistrationMailer(SMTPDataManager):
    """Deliver the registration emails at commit, strictly: a delivery
    failure rolls the transaction back with a clear message"""

    def __init__(self):
        super().__init__(strict=True)

    def __eq__(self, other):
        if not isinstance(other, RegistrationMailer):
            return NotImplemented
        return True

    __hash__ = object.__hash__

    @staticmethod
    def server_label():
        uri = config.parse_uri(config.get('email', 'uri'))
        return '%s:%s' % (uri.hostname or '', uri.port or '')

    def connect(self):
        if self._server is None:
            try:
                self._server = get_smtp_server(strict=True)
            except Exception as exception:
                raise UserError(gettext(
                        'crm_ext.msg_registration_smtp_unavailable',
                        server=self.server_label(),
                        error=str(exception) or exception.__class__.__name__))

    def tpc_vote(self, trans):
        if not self.queue:
            return
        self.connect()
        for from_addr, to_addrs, msg in self.queue:
            try:
                server = send_message(
                    msg, from_addr, to_addrs, server=self._server, strict=True)
            except Exception as exception:
                raise UserError(gettext(
                        'crm_ext.msg_registration_smtp_failed',
                        server=self.server_label(),
                        subject=str(msg['Subject']),
                        error=str(exception) or exception.__class__.__name__))
            if server:
                self._server = server

    def tpc_finish(self, trans):
        if self._server is not None:
            try:
                self._server.quit()
            except Exception:
                pass
        self._finish()


class Registration(DeletableStatesMixin, RecNameSearchMixin, RequesterMixin,
        ApprovalMixin, Workflow, ModelSQL, ModelView):
    "Deal Registration"
    __name__ = 'crm.registration'
    __string__ = "Deal Registration"
    _rec_name_search_fields = [
        'vendor_number',
        'vendor.rec_name',
        'opportunity.rec_name',
        'customer.rec_name',
        'project',
        ]
    _delete_message = 'crm_ext.msg_registration_delete'
    _delete_message_name = 'registration'

    _states = {
        'readonly': ~Eval('state').in_(EDITABLE),
        }
    _vendor_states = {
        'readonly': ~Eval('state').in_(VENDOR_EDITABLE),
        'invisible': ~Eval('state').in_(
            VENDOR_EDITABLE + ['rejected', 'expired', 'cancelled']),
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        states=_states, help="The opportunity registered with the vendor.")
    program = fields.Many2One(
        'crm.registration.program', "Program", required=True,
        ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states=_states, help="The vendor's registration program.")
    vendor = fields.Many2One(
        'party.party', "Vendor", readonly=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The vendor of the program.")
    customer = fields.Many2One(
        'party.party', "End Customer", required=True, ondelete='RESTRICT',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer registered with the vendor (the opportunity's "
        "party).")
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True,
        ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states=_states)
    requester = fields.Many2One(
        'res.user', "Requested By", required=True, readonly=True,
        ondelete='RESTRICT')
    project = fields.Char(
        "Project", states=_states,
        help="The name of the deal for the vendor.")
    customer_contact = fields.Char(
        "Customer Contact", states=_states,
        help="The customer's contact person, phone or email for the vendor.")
    products = fields.Text(
        "Products", states=_states,
        help="The vendor's products of the deal, proposed from the "
        "opportunity lines.")
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        states=_states, domain=[('amount', '>=', 0)])
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, ondelete='RESTRICT',
        states=_states)
    expected_close = fields.Date(
        "Expected Close", states=_states,
        help="When the deal is expected to be won.")
    notes = fields.Text(
        "Notes for the Vendor", states=_states,
        help="Shown in the email as {{ notes }}.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    needs_approval = fields.Function(
        fields.Boolean(
            "Needs Approval",
            help="The amount reaches the program's approval threshold."),
        'on_change_with_needs_approval')

    sent_at = fields.Timestamp("Sent At", readonly=True)
    sent_by = fields.Many2One(
        'res.user', "Sent By", readonly=True, ondelete='SET NULL')
    email_to = fields.Char("Email To", readonly=True)
    email_cc = fields.Char("Email Copy To", readonly=True)
    email_subject = fields.Char("Email Subject", readonly=True)
    email_body = fields.Text("Email Body", readonly=True)
    message_id = fields.Char("Message-ID", readonly=True)

    vendor_number = fields.Char(
        "Registration Number", states=_vendor_states,
        help="The number given by the vendor.")
    registered_date = fields.Date(
        "Registered On", states=_vendor_states)
    expiry_date = fields.Date(
        "Expiry Date",
        domain=[If(Bool(Eval('expiry_date')) & Bool(Eval('registered_date')),
                ('expiry_date', '>=', Eval('registered_date')), ())],
        states=_vendor_states,
        help="When the vendor's protection ends; by default the date of "
        "registration plus the program's validity days.")
    vendor_comment = fields.Text(
        "Vendor's Answer", states=_vendor_states,
        help="The vendor's answer, e.g. the reason of a rejection.")
    reminded_on = fields.Date("Reminded On", readonly=True)
    days_to_expiry = fields.Function(
        fields.Integer("Days to Expiry"), 'get_days_to_expiry')
    conflict = fields.Function(
        fields.Boolean(
            "Conflict",
            help="Another opportunity of the same end customer is pending "
            "or registered with the same vendor."),
        'get_conflicts', searcher='search_conflict')
    conflicts = fields.Function(
        fields.Many2Many(
            'crm.registration', None, None, "Conflicting Registrations"),
        'get_conflicts')
    instructions = fields.Function(
        fields.Text("Vendor's Instructions"),
        'on_change_with_instructions')

    del _states, _vendor_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.vendor, Index.Equality()),
                    (t.customer, Index.Equality()),
                    where=t.state.in_(OPEN)),
                Index(t, (t.employee, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.expiry_date, Index.Range()),
                    where=t.state == 'registered'),
                })
        cls._transitions |= {
            ('draft', 'approval'),
            ('draft', 'to_send'),
            ('to_send', 'draft'),
            ('to_send', 'sent'),
            ('sent', 'registered'),
            ('sent', 'rejected'),
            ('registered', 'expired'),
            ('draft', 'cancelled'),
            ('to_send', 'cancelled'),
            ('sent', 'cancelled'),
            ('registered', 'cancelled'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'to_send',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'send': {
                    'invisible': Eval('state') != 'to_send',
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                'register': {
                    'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'to_send', 'sent', 'registered']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'renew': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'rejected', 'expired', 'cancelled']),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })
        # Registrations are submitted with their own button, which decides
        # whether an approval is needed
        cls._buttons['submit_approval'] = {'invisible': True}

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_currency(cls):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company and company >= 0:
            return Company(company).currency.id

    @fields.depends('opportunity', 'customer', 'employee', 'amount',
        'currency', 'expected_close', 'products', 'project', 'program')
    def on_change_opportunity(self):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Program = pool.get('crm.registration.program')
        if not self.opportunity or self.opportunity.id is None or (
                self.opportunity.id < 0):
            return
        # read from the database: the client sends only the id
        opportunity = Opportunity(self.opportunity.id)
        if not self.program:
            # the vendor's program when only one covers the deal
            programs = [p for p in Program.search([
                        ('company', '=', opportunity.company.id),
                        ]) if p.covers(opportunity)]
            if len(programs) == 1:
                self.program, = programs
        if opportunity.party:
            self.customer = opportunity.party
        if opportunity.employee:
            self.employee = opportunity.employee
        if opportunity.amount is not None:
            self.amount = opportunity.amount
            self.currency = opportunity.currency
        self.expected_close = opportunity.end_date
        if opportunity.description:
            self.project = opportunity.description
        self.products = self.products_of(opportunity) or self.products

    @staticmethod
    def products_of(opportunity):
        lines = []
        for line in opportunity.lines or []:
            name = line.product.rec_name if line.product else (
                line.description or '')
            unit = line.unit.symbol if line.unit else ''
            lines.append('%s × %s %s' % (name, line.quantity or 0, unit))
        return '\n'.join(l.strip() for l in lines)

    @fields.depends('program', 'amount', 'currency')
    def on_change_with_needs_approval(self, name=None):
        Currency = Pool().get('currency.currency')
        program = self.program
        if (not program or program.approval_threshold is None
                or self.amount is None or not self.currency):
            return False
        amount = Currency.compute(
            self.currency, self.amount, program.currency, round=False)
        return amount >= program.approval_threshold

    @fields.depends('program')
    def on_change_with_instructions(self, name=None):
        if self.program:
            return self.program.instructions

    def get_days_to_expiry(self, name):
        Date = Pool().get('ir.date')
        if self.state == 'registered' and self.expiry_date:
            return (self.expiry_date - Date.today()).days

    def get_rec_name(self, name):
        parts = [self.vendor.rec_name if self.vendor else (
                self.program.rec_name if self.program else '')]
        parts.append(self.opportunity.rec_name)
        if self.vendor_number:
            parts.append(self.vendor_number)
        return ' - '.join(p for p in parts if p)

    # Conflicts
    @classmethod
    def _conflict_join(cls, where=None):
        "The join of the registrations with their conflicting ones"
        table = cls.__table__()
        other = cls.__table__()
        condition = ((other.vendor == table.vendor)
            & (other.customer == table.customer)
            & (other.company == table.company)
            & (other.opportunity != table.opportunity)
            & other.state.in_(ACTIVE)
            & table.state.in_(OPEN))
        if where is not None:
            condition &= where(table)
        return table, other, table.join(other, condition=condition)

    @classmethod
    def _conflict_query(cls, where=None):
        "(registration, conflicting registration) pairs"
        table, other, join = cls._conflict_join(where)
        return join.select(table.id, other.id)

    @classmethod
    def get_conflicts(cls, registrations, names):
        cursor = Transaction().connection.cursor()
        result = {n: {r.id: [] for r in registrations} for n in names}
        pairs = defaultdict(list)
        for sub_ids in grouped_slice(registrations, backend.MAX_QUERY_PARAMS):
            sub_ids = [int(i) for i in sub_ids]
            cursor.execute(*cls._conflict_query(
                    where=lambda t: fields.SQL_OPERATORS['in'](
                        t.id, list(sub_ids))))
            for registration, other in cursor:
                pairs[registration].append(other)
        for registration in registrations:
            others = sorted(pairs.get(registration.id, []))
            if 'conflicts' in names:
                result['conflicts'][registration.id] = others
            if 'conflict' in names:
                result['conflict'][registration.id] = bool(others)
        return result

    @classmethod
    def search_conflict(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        positive = (operator == '=') == bool(value)
        table, _, join = cls._conflict_join()
        return [('id', 'in' if positive else 'not in', join.select(table.id))]

    @classmethod
    def check_conflicts(cls, registrations):
        "Warn the salesperson of the conflicts before submitting"
        Warning = Pool().get('res.user.warning')
        with without_check_access():
            for registration in cls.browse(registrations):
                if not registration.conflicts:
                    continue
                key = Warning.format('crm_registration_conflict',
                    [registration])
                if Warning.check(key):
                    other = registration.conflicts[0]
                    raise RegistrationConflictWarning(key, gettext(
                            'crm_ext.msg_registration_conflict',
                            registration=registration.rec_name,
                            customer=registration.customer.rec_name,
                            vendor=registration.vendor.rec_name,
                            other=other.opportunity.rec_name,
                            employee=other.employee.rec_name,
                            state=other.state_string))

    @classmethod
    def preprocess_values(cls, mode, values):
        Program = Pool().get('crm.registration.program')
        values = super().preprocess_values(mode, values)
        if values.get('program'):
            values['vendor'] = Program(values['program']).vendor.id
        if 'expiry_date' in values:
            values['reminded_on'] = None
        return values

    @classmethod
    def check_modification(cls, mode, registrations, values=None,
            external=False):
        super().check_modification(
            mode, registrations, values=values, external=external)
        if mode == 'write' and external:
            names = set(values or {})
            for registration in registrations:
                if ((names & DRAFT_FIELDS
                            and registration.state not in EDITABLE)
                        or (names & VENDOR_FIELDS
                            and registration.state not in VENDOR_EDITABLE)):
                    raise AccessError(gettext(
                            'crm_ext.msg_registration_modify_state',
                            registration=registration.rec_name,
                            state=registration.state_string))

    @classmethod
    def copy(cls, registrations, default=None):
        default = default.copy() if default is not None else {}
        for name in ['sent_at', 'sent_by', 'email_to', 'email_cc',
                'email_subject', 'email_body', 'message_id', 'vendor_number',
                'registered_date', 'expiry_date', 'vendor_comment',
                'reminded_on']:
            default.setdefault(name, None)
        default.setdefault('requester', cls.default_requester())
        default.setdefault('state', 'draft')
        return super().copy(registrations, default=default)

    # Checks
    @classmethod
    def check_ready(cls, registrations):
        for registration in registrations:
            registration.program.check_required(registration)
            if registration.program.company != registration.company:
                raise UserError(gettext(
                        'crm_ext.msg_registration_program_company',
                        registration=registration.rec_name))

    # Buttons
    @classmethod
    @ModelView.button
    def submit(cls, registrations):
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        registrations = [r for r in registrations if r.state == 'draft']
        cls.check_ready(registrations)
        cls.check_conflicts(registrations)
        approve = [r for r in registrations if r.needs_approval]
        direct = [r for r in registrations if not r.needs_approval]
        if direct:
            cls.ready(direct)
        if approve:
            cls.approval_check_submit(approve)
            Instance.submit(approve)

    @classmethod
    @Workflow.transition('to_send')
    def ready(cls, registrations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, registrations):
        # The content may change: a new approval is needed
        cls._approval_reset(registrations)

    @classmethod
    def _approval_reset(cls, registrations):
        with without_check_access():
            cls.write(registrations, {
                    'approval_state': 'none',
                    'approval_instance': None,
                    })

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, registrations):
        pool = Pool()
        User = pool.get('res.user')
        if not registrations:
            return
        lock_rows(registrations)
        cls.check_ready(registrations)
        transaction = Transaction()
        mailer = transaction.join(RegistrationMailer())
        # Contact the server now: a clear error instead of a failed commit
        mailer.connect()
        now = dt.datetime.now()
        user = User(transaction.user) if transaction.user else None
        for registration in registrations:
            msg, to_addrs = registration.email_message()
            mailer.put(msg['From'], to_addrs, msg)
            with without_check_access():
                cls.write([registration], {
                        'sent_at': now,
                        'sent_by': user.id if user else None,
                        'email_to': msg['To'],
                        'email_cc': msg['Cc'] or None,
                        'email_subject': str(msg['Subject']),
                        'email_body': msg.get_content(),
                        'message_id': msg['Message-ID'],
                        })

    def email_values(self):
        "The values of the template's placeholders"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        opportunity = self.opportunity
        employee = self.employee
        email = self.salesperson_email()
        phone = employee.party.phone if employee and employee.party else ''
        address = self.customer.address_get() if self.customer else None
        lines = [{
                'product': (l.product.rec_name if l.product
                    else (l.description or '')),
                'quantity': _quantity(lang, l.quantity),
                'unit': l.unit.symbol if l.unit else '',
                } for l in opportunity.lines]
        return {
            'customer': self.customer.rec_name if self.customer else '',
            'customer_code': (self.customer.code or '') if self.customer
            else '',
            'customer_address': (address.full_address.replace('\n', ', ')
                if address else ''),
            'customer_contact': self.customer_contact or '',
            'project': self.project or opportunity.description or '',
            'products': self.products or '',
            'lines': lines,
            'amount': lang.currency(
                self.amount, self.currency, grouping=True),
            'currency': self.currency.code,
            'expected_close': (lang.strftime(self.expected_close)
                if self.expected_close else ''),
            'salesperson': employee.rec_name if employee else '',
            'salesperson_email': email or '',
            'salesperson_phone': phone or '',
            'company': self.company.rec_name,
            'vendor': self.vendor.rec_name if self.vendor else '',
            'opportunity': opportunity.rec_name,
            'notes': self.notes or '',
            }

    def salesperson_email(self):
        if self.requester and self.requester.email:
            return self.requester.email
        if self.employee and self.employee.party:
            return self.employee.party.email

    def email_message(self):
        "Return the message to the vendor and all its recipients"
        program = self.program
        values = self.email_values()
        try:
            subject = ' '.join(render(program.subject, values).split())
            body = render(program.body, values)
        except Exception as exception:
            raise UserError(gettext(
                    'crm_ext.msg_registration_template_error',
                    program=program.rec_name, error=str(exception)))
        to = parse_addresses(program.recipients)
        cc = parse_addresses(program.recipients_cc)
        salesperson = self.salesperson_email()
        if program.cc_salesperson and salesperson and salesperson not in cc:
            cc.append(salesperson)
        msg = EmailMessage()
        # [email] from may be a bare address or "Name <address>": the
        # company's name goes with the address
        _, sender = parseaddr(config.get('email', 'from'))
        msg['From'] = formataddr((self.company.rec_name, sender))
        msg['To'] = ', '.join(to)
        if cc:
            msg['Cc'] = ', '.join(cc)
        if program.cc_salesperson and salesperson:
            msg['Reply-To'] = formataddr((
                    self.employee.rec_name if self.employee else '',
                    salesperson))
        msg['Subject'] = subject
        msg['Message-ID'] = make_msgid(domain=host())
        msg.set_content(body)
        return msg, to + cc

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def register(cls, registrations):
        Date = Pool().get('ir.date')
        today = Date.today()
        for registration in registrations:
            if not registration.vendor_number:
                raise UserError(gettext(
                        'crm_ext.msg_registration_number_required',
                        registration=registration.rec_name))
            registered = registration.registered_date or today
            expiry = registration.expiry_date or (
                registered + dt.timedelta(
                    days=registration.program.validity_days))
            if expiry < registered:
                raise UserError(gettext(
                        'crm_ext.msg_registration_expiry_before',
                        registration=registration.rec_name))
            registration.registered_date = registered
            registration.expiry_date = expiry
        cls.save(registrations)

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, registrations):
        for registration in registrations:
            if not registration.vendor_comment:
                raise UserError(gettext(
                        'crm_ext.msg_registration_reject_reason',
                        registration=registration.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, registrations):
        pass

    @classmethod
    @ModelView.button_action('crm_ext.act_registration_form')
    def renew(cls, registrations):
        "Start a new registration from closed ones"
        Date = Pool().get('ir.date')
        news = cls.copy(registrations, default={
                'state': 'draft',
                })
        today = Date.today()
        for new in news:
            if new.expected_close and new.expected_close < today:
                new.expected_close = None
        cls.save(news)
        return {'res_id': [n.id for n in news]}

    # Approval engine
    def approval_get_employee(self):
        "The deal's employee only, not the requester's"
        return self.employee

    def approval_flows(self):
        if self.program and self.program.approval_flow:
            return [self.program.approval_flow]
        return super().approval_flows()

    @classmethod
    def approval_submitted(cls, registrations):
        with without_check_access():
            cls.write(registrations, {'state': 'approval'})

    @classmethod
    def approval_approved(cls, registrations):
        with without_check_access():
            cls.write(registrations, {'state': 'to_send'})
        cls._notify(registrations, 'crm_ext.msg_registration_approved')

    @classmethod
    def _approval_back(cls, registrations, message):
        with without_check_access():
            cls.write(registrations, {'state': 'draft'})
        cls._notify(registrations, message)

    @classmethod
    def approval_rejected(cls, registrations):
        cls._approval_back(
            registrations, 'crm_ext.msg_registration_approval_rejected')

    @classmethod
    def approval_returned(cls, registrations):
        cls._approval_back(
            registrations, 'crm_ext.msg_registration_approval_rejected')

    @classmethod
    def approval_withdrawn(cls, registrations):
        with without_check_access():
            cls.write(registrations, {'state': 'draft'})

    @classmethod
    def approval_cancelled(cls, registrations):
        cls._approval_back(
            registrations, 'crm_ext.msg_registration_approval_rejected')

    @classmethod
    def _notify(cls, registrations, message):
        for registration in registrations:
            cls.notify_user([registration], 'tryton-email',
                gettext(message, registration=registration.rec_name),
                user=registration.requester.id)

    # Scheduled jobs (set-based)
    @classmethod
    def remind_expiring(cls, date=None):
        """Notify the salespeople of the registrations expiring within the
        program's reminder days, once per expiry date"""
        pool = Pool()
        Date = pool.get('ir.date')
        Program = pool.get('crm.registration.program')
        Notification = pool.get('res.notification')
        Lang = pool.get('ir.lang')
        ModelData = pool.get('ir.model.data')
        if date is None:
            date = Date.today()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # one window per program (programs are few), one query for all
        with without_check_access():
            programs = Program.search([], order=[])
        windows = Literal(False)
        for program in programs:
            windows |= ((table.program == program.id)
                & (table.expiry_date <= date + dt.timedelta(
                        days=program.reminder_days)))
        cursor.execute(*table.select(
                table.id, table.requester, table.expiry_date,
                where=(table.state == 'registered')
                & (table.expiry_date >= date)
                & (table.reminded_on == Null)
                & windows))
        rows = cursor.fetchall()
        if not rows:
            return []
        lang = Lang.get()
        action = ModelData.get_id('crm_ext', 'act_registration_form')
        names = {r.id: r.rec_name for r in cls.browse([r[0] for r in rows])}
        Notification.create([{
                    'user': requester,
                    'icon': 'tryton-warning',
                    'label': gettext('crm_ext.msg_registration_expiring',
                        registration=names[id_],
                        date=lang.strftime(_date(expiry)),
                        days=(_date(expiry) - date).days),
                    'model': cls.__name__,
                    'records': json.dumps([id_]),
                    'action': action,
                    } for id_, requester, expiry in rows])
        ids = [r[0] for r in rows]
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.update(
                    [table.reminded_on], [date],
                    where=fields.SQL_OPERATORS['in'](table.id, list(sub_ids))))
        cls._invalidate(ids)
        return ids

    @classmethod
    def expire(cls, date=None):
        "Set the registrations past their expiry date as expired"
        Date = Pool().get('ir.date')
        if date is None:
            date = Date.today()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = (table.state == 'registered') & (table.expiry_date < date)
        cursor.execute(*table.select(table.id, where=where))
        ids = [i for i, in cursor]
        if ids:
            cursor.execute(*table.update(
                    [table.state, table.write_date, table.write_uid],
                    ['expired', dt.datetime.now(), Transaction().user],
                    where=where))
            cls._invalidate(ids)
        return ids

    @classmethod
    def _invalidate(cls, ids):
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for id_ in ids:
                    cache[cls.__name__].pop(id_, None)


def _quantity(lang, quantity):
    quantity = quantity or 0
    if float(quantity).is_integer():
        return lang.format('%d', int(quantity), grouping=True)
    return lang.format_number(quantity)


def _date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class RegistrationConflictWarning(UserWarning):
    pass


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    registrations = fields.One2Many(
        'crm.registration', 'opportunity', "Vendor Registrations",
        readonly=True,
        help="The registrations of the deal with the vendors; create them "
        "with \"Register with Vendors\" or from the registrations menu.")
    registration_state = fields.Function(fields.Selection([
                ('none', "Not Registered"),
                ('pending', "Pending"),
                ('registered', "Registered"),
                ], "Registration",
            help="The most advanced registration of the opportunity."),
        'get_registration_state')
    registration_conflict = fields.Function(fields.Boolean(
            "Registration Conflict",
            help="A registration of the opportunity conflicts with another "
            "opportunity of the same customer."),
        'get_registration_conflict', searcher='search_registration_conflict')
    registration_missing = fields.Function(fields.Boolean(
            "To Register",
            help="The amount reaches the threshold of a vendor's program "
            "and no registration is pending or registered with it."),
        'get_registration_missing', searcher='search_registration_missing')
    registration_vendors = fields.Function(fields.Char(
            "Vendors to Register",
            help="The vendors whose program asks for a registration."),
        'get_registration_missing')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'create_registrations': {
                    'invisible': ~Eval('state').in_(
                        ['opportunity', 'converted']),
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('registrations', None)
        return super().copy(opportunities, default=default)

    def get_registration_state(self, name):
        states = {r.state for r in self.registrations}
        if 'registered' in states:
            return 'registered'
        if states & set(PENDING):
            return 'pending'
        return 'none'

    @classmethod
    def get_registration_conflict(cls, opportunities, name):
        Registration = Pool().get('crm.registration')
        result = {o.id: False for o in opportunities}
        conflicting = Registration.search([
                ('opportunity', 'in', [o.id for o in opportunities]),
                ('conflict', '=', True),
                ])
        for registration in conflicting:
            result[registration.opportunity.id] = True
        return result

    @classmethod
    def search_registration_conflict(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        positive = (operator == '=') == bool(value)
        domain = [('registrations.conflict', '=', True)]
        return domain if positive else ['NOT', domain]

    def _programs_to_register(self):
        Program = Pool().get('crm.registration.program')
        done = {r.vendor.id for r in self.registrations
            if r.state in ACTIVE and r.vendor}
        if self.state not in {'opportunity', 'converted'}:
            return []
        return [p for p in Program.search([
                    ('company', '=', self.company.id),
                    ('vendor', 'not in', list(done)),
                    ]) if p.applies_to(self)]

    @classmethod
    def get_registration_missing(cls, opportunities, names):
        result = {n: {} for n in names}
        with without_check_access():
            for opportunity in cls.browse(opportunities):
                programs = opportunity._programs_to_register()
                if 'registration_missing' in names:
                    result['registration_missing'][opportunity.id] = bool(
                        programs)
                if 'registration_vendors' in names:
                    result['registration_vendors'][opportunity.id] = (
                        ', '.join(p.vendor.rec_name for p in programs))
        return result

    @classmethod
    def search_registration_missing(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        positive = (operator == '=') == bool(value)
        query = cls._registration_missing_query()
        return [('id', 'in' if positive else 'not in', query)]

    @classmethod
    def _registration_missing_query(cls):
        """The ids of the open opportunities reaching the threshold of an
        active program that applies to them, without an active
        registration with its vendor: one query, one EXISTS per program
        (programs are few; opportunities are many)"""
        pool = Pool()
        Program = pool.get('crm.registration.program')
        Registration = pool.get('crm.registration')
        Line = pool.get('sale.opportunity.line')
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category')
        opportunity = cls.__table__()
        # the Numeric field casts on SQLite, where values may be text
        amount = cls.amount._domain_column(
            '>=', opportunity.amount)
        with without_check_access():
            programs = Program.search([
                    ('approval_threshold', '!=', None),
                    ])
        conditions = []
        for program in programs:
            registration = Registration.__table__()
            condition = ((opportunity.company == program.company.id)
                & (opportunity.currency == program.currency.id)
                & (amount >= cls.amount._domain_value(
                        '>=', program.approval_threshold))
                & ~Exists(registration.select(registration.id,
                        where=(registration.opportunity == opportunity.id)
                        & (registration.vendor == program.vendor.id)
                        & registration.state.in_(ACTIVE))))
            categories = program.category_ids()
            if categories:
                line = Line.__table__()
                product = Product.__table__()
                template_category = TemplateCategory.__table__()
                condition &= Exists(line
                    .join(product, condition=line.product == product.id)
                    .join(template_category, condition=(
                            template_category.template == product.template))
                    .select(line.id,
                        where=(line.opportunity == opportunity.id)
                        & template_category.category.in_(categories)))
            conditions.append(condition)
        where = opportunity.state.in_(['opportunity', 'converted'])
        if conditions:
            any_ = conditions[0]
            for condition in conditions[1:]:
                any_ |= condition
            where &= any_
        else:
            where &= Literal(False)
        return opportunity.select(opportunity.id, where=where)

    @classmethod
    @ModelView.button_action('crm_ext.act_registration_form')
    def create_registrations(cls, opportunities):
        """Create a draft registration with each vendor whose program
        applies and that has none pending or registered"""
        Registration = Pool().get('crm.registration')
        registrations = []
        for opportunity in opportunities:
            for program in opportunity._programs_to_register():
                registration = Registration(
                    company=opportunity.company, program=program,
                    opportunity=opportunity)
                registration.on_change_opportunity()
                if not registration.employee:
                    registration.employee = Registration.default_employee()
                registrations.append(registration)
        if not registrations:
            raise UserError(gettext(
                    'crm_ext.msg_registration_nothing_to_create',
                    opportunity=', '.join(o.rec_name for o in opportunities)))
        Registration.save(registrations)
        return {'res_id': [r.id for r in registrations]}


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'crm.registration' in model_names:
            context = cls._crm_context()
            key = (*key, tuple(context['crm_employees']))
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('crm.registration|remind_expiring',
                    "Remind Expiring Deal Registrations"),
                ('crm.registration|expire', "Expire Deal Registrations"),
                ])
