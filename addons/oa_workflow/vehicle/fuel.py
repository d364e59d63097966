# This file is part of the oa_workflow module.
"""Fuel logs and the fuel consumption

The consumption (L/100 km) is known at each full tank following another
full tank: the litres put in after the previous full tank (partial fills
included, the previous full tank's excluded) over the kilometres driven
between the two readings."""
from decimal import Decimal
from itertools import groupby

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .checks import CheckedValuesMixin


class FuelLog(CheckedValuesMixin, ModelSQL, ModelView):
    "Vehicle Fuel Log"
    __name__ = 'oa.vehicle.fuel'
    __string__ = "Vehicle Fuel Log"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    date = fields.Date("Date", required=True)
    odometer = fields.Integer(
        "Odometer", required=True, help="The odometer reading (km).")
    litres = fields.Numeric(
        "Litres", digits=(16, 2), required=True,
        help="The litres put in; must be more than zero.")
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True,
        help="The amount paid, in the company's currency.")
    unit_price = fields.Function(
        fields.Numeric("Price per Litre", digits=(16, 2)),
        'on_change_with_unit_price')
    full_tank = fields.Boolean(
        "Full Tank",
        help="Filled up to full: the fuel consumption is computed between "
        "two full tanks.")
    station = fields.Char("Station")
    driver = fields.Many2One(
        'oa.vehicle.driver', "Driver", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    trip = fields.Many2One(
        'oa.vehicle.trip', "Trip", ondelete='SET NULL',
        domain=[('vehicle', '=', Eval('vehicle', -1))])
    notes = fields.Text("Notes")
    distance = fields.Function(fields.Integer(
            "Distance",
            help="Kilometres since the previous full tank."),
        'get_consumption')
    consumption = fields.Function(fields.Float(
            "L/100 km", digits=(16, 2),
            help="Fuel consumption since the previous full tank."),
        'get_consumption')

    _checked_fields = {'vehicle', 'date', 'odometer', 'litres', 'amount'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.vehicle, Index.Equality()), (t.odometer, Index.Range())))
        cls._order = [('date', 'DESC'), ('odometer', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_full_tank(cls):
        return True

    @fields.depends('litres', 'amount')
    def on_change_with_unit_price(self, name=None):
        if self.litres and self.amount is not None:
            return (self.amount / self.litres).quantize(Decimal('0.01'))

    @fields.depends('vehicle', 'odometer')
    def on_change_vehicle(self):
        if self.vehicle and self.odometer is None:
            self.odometer = self.vehicle.odometer

    def get_rec_name(self, name):
        return '%s %s %s L' % (
            self.vehicle.plate, self.date.strftime('%Y-%m-%d'), self.litres)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('vehicle.rec_name',) + tuple(clause[1:])]

    @classmethod
    def check_values(cls, values, record=None):
        Vehicle = Pool().get('oa.vehicle')
        name = ''
        if values.get('vehicle') and values.get('date'):
            name = '%s %s' % (
                Vehicle(values['vehicle']).plate,
                values['date'].strftime('%Y-%m-%d'))
        litres, amount = values.get('litres'), values.get('amount')
        if litres is not None and litres <= 0:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_fuel_litres',
                    record=name, litres=litres))
        if amount is not None and amount < 0:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_amount_negative',
                    record=name, amount=amount))
        if values.get('odometer') is not None:
            if values['odometer'] < 0:
                raise ValidationError(gettext(
                        'oa_workflow.msg_vehicle_odometer_negative',
                        record=name, value=values['odometer']))
            Vehicle.check_reading(
                values.get('vehicle'), values.get('date'),
                values['odometer'], record=record, name=name)

    @classmethod
    def segments(cls, vehicle_ids):
        """Return {log id: (vehicle id, litres, km)} for each full tank
        following another full tank, with one query over the vehicles"""
        result = {}
        with without_check_access():
            logs = cls.search([
                    ('vehicle', 'in', list(vehicle_ids)),
                    ], order=[('vehicle', 'ASC'), ('odometer', 'ASC'),
                    ('date', 'ASC'), ('id', 'ASC')])
        for vehicle, logs in groupby(logs, key=lambda l: l.vehicle.id):
            previous, litres = None, Decimal(0)
            for log in logs:
                if previous is not None:
                    litres += log.litres
                if log.full_tank:
                    if previous and log.odometer > previous.odometer:
                        result[log.id] = (
                            vehicle, litres, log.odometer - previous.odometer)
                    previous, litres = log, Decimal(0)
        return result

    @classmethod
    def get_consumption(cls, logs, names):
        segments = cls.segments({l.vehicle.id for l in logs})
        result = {n: {l.id: None for l in logs} for n in names}
        for log in logs:
            if log.id not in segments:
                continue
            _, litres, km = segments[log.id]
            if 'distance' in names:
                result['distance'][log.id] = km
            if 'consumption' in names:
                result['consumption'][log.id] = round(
                    float(litres) * 100 / km, 2)
        return result

    @classmethod
    def vehicle_averages(cls, vehicle_ids):
        "Return {vehicle id: L/100 km over all its full-tank segments}"
        totals = {}
        for vehicle, litres, km in cls.segments(vehicle_ids).values():
            total = totals.setdefault(vehicle, [Decimal(0), 0])
            total[0] += litres
            total[1] += km
        return {v: round(float(l) * 100 / k, 2)
            for v, (l, k) in totals.items() if k}
