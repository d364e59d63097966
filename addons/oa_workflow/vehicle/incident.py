# This file is part of the oa_workflow module.
"Accidents and traffic violations of the vehicles"
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from ..rec_name import RecNameSearchMixin
from .checks import CheckedValuesMixin


class Incident(RecNameSearchMixin, CheckedValuesMixin, ModelSQL, ModelView):
    "Vehicle Accident or Violation"
    __name__ = 'oa.vehicle.incident'
    __string__ = "Vehicle Accident or Violation"
    _rec_name_search_fields = ['vehicle.rec_name', 'location']

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    kind = fields.Selection([
            ('accident', "Accident"),
            ('violation', "Violation"),
            ], "Kind", required=True, sort=False)
    kind_string = kind.translated('kind')
    date = fields.Date("Date", required=True)
    driver = fields.Many2One(
        'oa.vehicle.driver', "Driver", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    trip = fields.Many2One(
        'oa.vehicle.trip', "Trip", ondelete='SET NULL',
        domain=[('vehicle', '=', Eval('vehicle', -1))])
    location = fields.Char("Location")
    description = fields.Text("Description", required=True)
    responsibility = fields.Selection([
            (None, ""),
            ('full', "Full"),
            ('main', "Main"),
            ('equal', "Equal"),
            ('minor', "Minor"),
            ('none', "None"),
            ], "Responsibility", sort=False,
        states={'invisible': Eval('kind') != 'accident'})
    insurance_claim = fields.Boolean(
        "Insurance Claim", states={'invisible': Eval('kind') != 'accident'})
    points = fields.Integer(
        "Penalty Points", states={'invisible': Eval('kind') != 'violation'},
        domain=['OR', ('points', '=', None), ('points', '>=', 0)])
    cost = fields.Numeric(
        "Cost", digits=(16, 2),
        help="Repairs not covered or the fine, in the company's currency.")
    handled = fields.Boolean(
        "Handled", help="The fine is paid or the claim is closed.")

    _checked_fields = {'cost'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.vehicle, Index.Equality()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_kind(cls):
        return 'violation'

    @classmethod
    def default_handled(cls):
        return False

    @classmethod
    def default_insurance_claim(cls):
        return False

    def get_rec_name(self, name):
        return '%s %s %s' % (
            self.vehicle.plate, self.date.strftime('%Y-%m-%d'),
            self.kind_string)

    @classmethod
    def check_values(cls, values, record=None):
        cost = values.get('cost')
        if cost is not None and cost < 0:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_amount_negative',
                    record=record.rec_name if record else '', amount=cost))
