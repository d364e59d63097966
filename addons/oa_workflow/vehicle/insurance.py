# This file is part of the oa_workflow module.
"""Insurance policies and annual inspections (年检)

Both expire; the scheduled job reminds before the expiry of the latest
policy of each kind and the latest inspection of each vehicle (a renewal
recorded in time means no reminder)."""
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .checks import CheckedValuesMixin


class ExpiryMixin(CheckedValuesMixin):
    "A document of a vehicle that expires"
    __slots__ = ()
    _expiry_field = None
    _start_field = None

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    reminded = fields.Boolean(
        "Reminded", readonly=True,
        help="The expiry reminder has been sent.")
    expiry_state = fields.Function(fields.Selection([
                ('valid', "Valid"),
                ('expiring', "Expiring Soon"),
                ('expired', "Expired"),
                ], "Validity"), 'get_expiry_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.vehicle, Index.Equality()),
                (getattr(t, cls._expiry_field), Index.Range())))
        cls._order = [(cls._expiry_field, 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_reminded(cls):
        return False

    def get_expiry_state(self, name):
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('oa.vehicle.configuration')
        today = Date.today()
        expiry = getattr(self, self._expiry_field)
        if expiry < today:
            return 'expired'
        days = Configuration(1).get_reminder_days()
        if (expiry - today).days <= days:
            return 'expiring'
        return 'valid'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # a new expiry is reminded again
        if mode == 'write' and cls._expiry_field in values:
            values.setdefault('reminded', False)
        return values

    @classmethod
    def check_values(cls, values, record=None):
        start = values.get(cls._start_field)
        expiry = values.get(cls._expiry_field)
        name = record.rec_name if record else ''
        if start and expiry and expiry <= start:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_expiry_before_start',
                    record=name))
        for field in cls._amount_fields:
            amount = values.get(field)
            if amount is not None and amount < 0:
                raise ValidationError(gettext(
                        'oa_workflow.msg_vehicle_amount_negative',
                        record=name, amount=amount))

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('reminded', False)
        return super().copy(records, default=default)


class Insurance(ExpiryMixin, ModelSQL, ModelView):
    "Vehicle Insurance"
    __name__ = 'oa.vehicle.insurance'
    __string__ = "Vehicle Insurance"
    _expiry_field = 'end_date'
    _start_field = 'start_date'
    _amount_fields = ['premium']
    _checked_fields = {'start_date', 'end_date', 'premium'}

    kind = fields.Selection([
            ('compulsory', "Compulsory Traffic Insurance"),
            ('commercial', "Commercial Insurance"),
            ], "Kind", required=True, sort=False)
    kind_string = kind.translated('kind')
    insurer = fields.Char("Insurer", required=True)
    policy_number = fields.Char("Policy Number", required=True, strip=True)
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "Expiry Date", required=True,
        help="The last day of cover; reminded before.")
    premium = fields.Numeric(
        "Premium", digits=(16, 2), help="In the company's currency.")
    coverage = fields.Text("Coverage")

    @classmethod
    def default_kind(cls):
        return 'compulsory'

    def get_rec_name(self, name):
        return '%s %s %s' % (
            self.vehicle.plate, self.kind_string, self.policy_number)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('policy_number', operator, value),
            ('vehicle.rec_name', operator, value),
            ]


class Inspection(ExpiryMixin, ModelSQL, ModelView):
    "Vehicle Annual Inspection"
    __name__ = 'oa.vehicle.inspection'
    __string__ = "Vehicle Annual Inspection"
    _expiry_field = 'expiry_date'
    _start_field = 'date'
    _amount_fields = ['cost']
    _checked_fields = {'date', 'expiry_date', 'cost'}

    date = fields.Date("Inspection Date", required=True)
    expiry_date = fields.Date(
        "Valid Until", required=True,
        help="The date the next annual inspection is due; reminded before.")
    station = fields.Char("Station")
    result = fields.Selection([
            ('passed', "Passed"),
            ('failed', "Failed"),
            ], "Result", required=True, sort=False)
    cost = fields.Numeric(
        "Cost", digits=(16, 2), help="In the company's currency.")
    notes = fields.Text("Notes")

    @classmethod
    def default_result(cls):
        return 'passed'

    def get_rec_name(self, name):
        return '%s %s' % (
            self.vehicle.plate, self.expiry_date.strftime('%Y-%m-%d'))

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('vehicle.rec_name',) + tuple(clause[1:])]
