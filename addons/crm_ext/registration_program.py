# This file is part of the crm_ext module.
"""Vendor deal registration programs (SPEC CRM-D4, 商机报备)

A program holds a vendor's rules for registering our opportunities with
it: who receives the registration email, the email template, the fields
that must be filled, how long a registration is valid and from which
amount a registration needs internal approval first.

The email template is rendered with Jinja2 in an immutable sandboxed
environment (``jinja2.sandbox.ImmutableSandboxedEnvironment``) over a
fixed set of plain values (see ``PLACEHOLDERS``), not over records: a
consultant writes ``{{ customer }}`` or ``{% for line in lines %}`` and
cannot reach other data through the ORM; every placeholder is checked when
the program is saved, so a typo is reported to the one who makes it and not
to the salesperson at sending time. (``ir.email.template`` evaluates Genshi
expressions on the record itself, which is more powerful than a vendor
template needs and harder to check.)"""
import re
from email.utils import parseaddr

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from oa_workflow.rec_name import RecNameSearchMixin

# name: description shown in the program form
PLACEHOLDERS = [
    'customer', 'customer_code', 'customer_address', 'customer_contact',
    'project', 'products', 'lines', 'amount', 'currency', 'expected_close',
    'salesperson', 'salesperson_email', 'salesperson_phone', 'company',
    'vendor', 'opportunity', 'notes',
    ]
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
# commas or semicolons outside double quotes
SEPARATOR_RE = re.compile(r'[,;](?=(?:[^"]*"[^"]*")*[^"]*$)')
REQUIRED_MODELS = ['sale.opportunity', 'crm.registration']

ENVIRONMENT = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def parse_addresses(text):
    "Return the list of addresses of text, raise ValueError on a bad one"
    addresses = []
    for chunk in SEPARATOR_RE.split(text or ''):
        chunk = chunk.strip()
        if not chunk:
            continue
        _, address = parseaddr(chunk)
        if not EMAIL_RE.match(address or ''):
            raise ValueError(chunk)
        addresses.append(address)
    return addresses


def render(template, values):
    return ENVIRONMENT.from_string(template or '').render(values)


class Program(RecNameSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    "Deal Registration Program"
    __name__ = 'crm.registration.program'
    __string__ = "Deal Registration Program"
    _rec_name_search_fields = ['name', 'vendor.rec_name']

    name = fields.Char(
        "Name", required=True,
        help="E.g. the vendor's name for its partner registration program.")
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    vendor = fields.Many2One(
        'party.party', "Vendor", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The supplier with which opportunities are registered.")
    recipients = fields.Char(
        "Recipients", required=True,
        help="The vendor's email addresses receiving the registrations, "
        "separated by commas.")
    recipients_cc = fields.Char(
        "Copy To",
        help="Other addresses receiving a copy, separated by commas "
        "(e.g. the vendor's channel manager).")
    cc_salesperson = fields.Boolean(
        "Copy to the Salesperson",
        help="Send a copy to the salesperson and set the salesperson as "
        "the reply-to address.")
    subject = fields.Char(
        "Subject", required=True,
        help="Template of the email subject, with placeholders such as "
        "{{ customer }}.")
    body = fields.Text(
        "Body", required=True,
        help="Template of the email body (Jinja2). Placeholders: "
        "{{ customer }}, {{ customer_code }}, {{ customer_address }}, "
        "{{ customer_contact }}, {{ project }}, {{ products }}, "
        "{{ amount }}, {{ currency }}, {{ expected_close }}, "
        "{{ salesperson }}, {{ salesperson_email }}, "
        "{{ salesperson_phone }}, {{ company }}, {{ vendor }}, "
        "{{ opportunity }}, {{ notes }}; loop over the product lines with "
        "{% for line in lines %}{{ line.product }} {{ line.quantity }} "
        "{{ line.unit }}{% endfor %}.")
    required_fields = fields.Many2Many(
        'crm.registration.program-ir.model.field', 'program', 'field',
        "Required Fields",
        domain=[
            ('model', 'in', REQUIRED_MODELS),
            ('ttype', 'not in', ['one2many', 'many2many', 'function']),
            ],
        help="Fields of the opportunity or of the registration that must "
        "be filled before a registration is submitted.")
    validity_days = fields.Integer(
        "Validity Days", required=True,
        domain=[('validity_days', '>', 0)],
        help="How long a registration is protected by the vendor, used "
        "when the vendor's answer gives no expiry date.")
    reminder_days = fields.Integer(
        "Reminder Days", required=True,
        domain=[('reminder_days', '>=', 0)],
        help="The salesperson is reminded this many days before a "
        "registration expires.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, ondelete='RESTRICT')
    approval_threshold = Monetary(
        "Approval Threshold", currency='currency', digits='currency',
        domain=[If(Eval('approval_threshold'),
                ('approval_threshold', '>=', 0), ())],
        help="Registrations of this amount or more need an internal "
        "approval before they are sent; opportunities of this amount or "
        "more are listed as to register. Leave empty for none.")
    approval_flow = fields.Many2One(
        'oa.approval.flow', "Approval Flow", ondelete='RESTRICT',
        domain=[('model', '=', 'crm.registration')],
        help="The approval flow of the registrations of this program; "
        "when empty, the first flow for registrations whose condition "
        "matches.")
    categories = fields.Many2Many(
        'crm.registration.program-product.category', 'program', 'category',
        "Product Categories",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The vendor's product categories: the program applies to the "
        "opportunities with a product of these categories (or of their "
        "subcategories). Leave empty for every opportunity.")
    instructions = fields.Text(
        "Instructions",
        help="The vendor's rules of registration, shown to the salespeople.")
    registrations = fields.One2Many(
        'crm.registration', 'program', "Registrations", readonly=True)
    placeholders = fields.Function(
        fields.Text("Available Placeholders"), 'get_placeholders')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('vendor_company_unique', Unique(t, t.company, t.vendor),
                'crm_ext.msg_registration_program_vendor_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.vendor, Index.Equality())))
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company and company >= 0:
            return Company(company).currency.id

    @fields.depends('company', 'currency')
    def on_change_company(self):
        if self.company and not self.currency:
            self.currency = self.company.currency

    @classmethod
    def default_validity_days(cls):
        return 90

    @classmethod
    def default_reminder_days(cls):
        return 14

    @classmethod
    def default_cc_salesperson(cls):
        return True

    @classmethod
    def default_subject(cls):
        return gettext('crm_ext.msg_registration_default_subject')

    @classmethod
    def default_body(cls):
        return gettext('crm_ext.msg_registration_default_body')

    def get_placeholders(self, name):
        return ' '.join('{{ %s }}' % p for p in PLACEHOLDERS)

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def validate_fields(cls, programs, field_names):
        super().validate_fields(programs, field_names)
        if field_names & {'recipients', 'recipients_cc'}:
            cls.check_recipients(programs)
        if field_names & {'subject', 'body'}:
            cls.check_templates(programs)

    @classmethod
    def check_recipients(cls, programs):
        for program in programs:
            for name in ['recipients', 'recipients_cc']:
                try:
                    addresses = parse_addresses(getattr(program, name))
                except ValueError as exception:
                    raise ValidationError(gettext(
                            'crm_ext.msg_registration_program_bad_address',
                            address=str(exception),
                            program=program.rec_name))
                if name == 'recipients' and not addresses:
                    raise ValidationError(gettext(
                            'crm_ext.msg_registration_program_no_recipient',
                            program=program.rec_name))

    @classmethod
    def check_templates(cls, programs):
        for program in programs:
            for name in ['subject', 'body']:
                text = getattr(program, name) or ''
                field = getattr(cls, name).string
                try:
                    ast = ENVIRONMENT.parse(text)
                except TemplateSyntaxError as exception:
                    raise ValidationError(gettext(
                            'crm_ext.msg_registration_program_template_syntax',
                            field=field, program=program.rec_name,
                            line=exception.lineno,
                            error=exception.message))
                unknown = (meta.find_undeclared_variables(ast)
                    - set(PLACEHOLDERS))
                if unknown:
                    raise ValidationError(gettext(
                            'crm_ext.msg_registration_program_placeholder',
                            placeholder=sorted(unknown)[0], field=field,
                            program=program.rec_name,
                            placeholders=', '.join(PLACEHOLDERS)))

    def applies_to(self, opportunity):
        "Whether the opportunity needs a registration with the vendor"
        pool = Pool()
        Currency = pool.get('currency.currency')
        if (self.approval_threshold is None
                or opportunity.company != self.company
                or opportunity.amount is None):
            return False
        amount = Currency.compute(
            opportunity.currency, opportunity.amount, self.currency,
            round=False)
        if amount < self.approval_threshold:
            return False
        return self.covers(opportunity)

    def covers(self, opportunity):
        """Whether the program is the vendor's for the opportunity: same
        company and a product of the program's categories (any opportunity
        when it has none)"""
        if opportunity.company != self.company:
            return False
        if not self.categories:
            return True
        categories = set(self.category_ids())
        for line in opportunity.lines:
            if line.product and categories & {
                    c.id for c in line.product.template.categories}:
                return True
        return False

    def category_ids(self):
        "The ids of the program's categories and of their subcategories"
        Category = Pool().get('product.category')
        if not self.categories:
            return []
        return [c.id for c in Category.search([
                    ('parent', 'child_of', [c.id for c in self.categories]),
                    ])]

    def check_required(self, registration):
        "Raise if a required field of the registration is empty"
        records = {
            'sale.opportunity': registration.opportunity,
            'crm.registration': registration,
            }
        for field in self.required_fields:
            value = getattr(records[field.model], field.name, None)
            if is_empty(value):
                raise ValidationError(gettext(
                        'crm_ext.msg_registration_field_required',
                        field=field.string,
                        registration=registration.rec_name,
                        program=self.rec_name))


def is_empty(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)) or hasattr(value, 'is_zero'):
        return not value
    return value is None or value == '' or value == [] or value == ()


class ProgramField(ModelSQL):
    "Deal Registration Program - Required Field"
    __name__ = 'crm.registration.program-ir.model.field'
    __string__ = "Deal Registration Program - Required Field"
    program = fields.Many2One(
        'crm.registration.program', "Program", required=True,
        ondelete='CASCADE')
    field = fields.Many2One(
        'ir.model.field', "Field", required=True, ondelete='CASCADE')


class ProgramCategory(ModelSQL):
    "Deal Registration Program - Product Category"
    __name__ = 'crm.registration.program-product.category'
    __string__ = "Deal Registration Program - Product Category"
    program = fields.Many2One(
        'crm.registration.program', "Program", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'product.category', "Category", required=True, ondelete='CASCADE')
