# This file is part of the oa_workflow module.
"""Costs per vehicle and per km

One statement over all vehicles: the fuel, maintenance, insurance,
inspection and accident / violation costs of the period, and the kilometres
of the trips returned in it, summed per vehicle."""
import datetime as dt

from sql import Literal, Null, Union
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from decimal import Decimal

COSTS = ['fuel_cost', 'maintenance_cost', 'insurance_cost',
    'inspection_cost', 'incident_cost']
COLUMNS = COSTS + ['litres', 'distance']


class CostContext(ModelView):
    "Vehicle Cost Context"
    __name__ = 'oa.vehicle.cost.context'
    __string__ = "Vehicle Cost Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date")
    to_date = fields.Date("To Date")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today().replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()


class Cost(ModelSQL, ModelView):
    "Vehicle Cost"
    __name__ = 'oa.vehicle.cost'
    __string__ = "Vehicle Cost"

    vehicle = fields.Many2One('oa.vehicle', "Vehicle")
    company = fields.Many2One('company.company', "Company")
    fuel_cost = fields.Numeric("Fuel", digits=(16, 2))
    litres = fields.Numeric("Litres", digits=(16, 2))
    maintenance_cost = fields.Numeric("Maintenance", digits=(16, 2))
    insurance_cost = fields.Numeric(
        "Insurance", digits=(16, 2),
        help="The premiums of the policies starting in the period.")
    inspection_cost = fields.Numeric("Inspection", digits=(16, 2))
    incident_cost = fields.Numeric(
        "Accidents and Violations", digits=(16, 2))
    total_cost = fields.Numeric("Total", digits=(16, 2))
    distance = fields.Integer(
        "Distance", help="Kilometres of the trips returned in the period.")
    cost_per_km = fields.Function(
        fields.Numeric("Cost per km", digits=(16, 2)), 'get_cost_per_km')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('total_cost', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _sources(cls):
        """Yield (table, column name, amount expression, date column, date
        type) for each cost or quantity"""
        pool = Pool()
        fuel = pool.get('oa.vehicle.fuel').__table__()
        maintenance = pool.get('oa.vehicle.maintenance').__table__()
        insurance = pool.get('oa.vehicle.insurance').__table__()
        inspection = pool.get('oa.vehicle.inspection').__table__()
        incident = pool.get('oa.vehicle.incident').__table__()
        trip = pool.get('oa.vehicle.trip').__table__()
        yield fuel, 'fuel_cost', fuel.amount, fuel.date, None
        yield fuel, 'litres', fuel.litres, fuel.date, None
        yield (maintenance, 'maintenance_cost', maintenance.cost,
            maintenance.date, maintenance.state != 'cancelled')
        yield (insurance, 'insurance_cost', insurance.premium,
            insurance.start_date, None)
        yield (inspection, 'inspection_cost', inspection.cost,
            inspection.date, None)
        yield incident, 'incident_cost', incident.cost, incident.date, None
        yield (trip, 'distance', trip.odometer_in - trip.odometer_out,
            trip.returned_at, trip.state == 'done')

    @classmethod
    def table_query(cls):
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        Date = pool.get('ir.date')
        context = Transaction().context
        from_date, to_date = context.get('from_date'), context.get('to_date')
        selects = []
        for table, name, amount, date, where in cls._sources():
            condition = amount != Null
            if where is not None:
                condition &= where
            is_datetime = name == 'distance'
            if from_date:
                condition &= date >= (Date.company_midnight(from_date)
                    if is_datetime else from_date)
            if to_date:
                condition &= date < (Date.company_midnight(
                        to_date + dt.timedelta(days=1))
                    if is_datetime else to_date + dt.timedelta(days=1))
            columns = [table.vehicle.as_('vehicle')]
            for column in COLUMNS:
                columns.append(
                    (amount if column == name else Literal(0)).as_(column))
            selects.append(table.select(*columns, where=condition))
        lines = Union(*selects, all_=True)
        vehicle = Vehicle.__table__()
        where = Literal(True)
        if context.get('company') is not None:
            where &= vehicle.company == context['company']
        totals = [Coalesce(Sum(getattr(lines, c)), 0) for c in COLUMNS]
        return vehicle.join(lines, 'LEFT',
            condition=lines.vehicle == vehicle.id
            ).select(
                vehicle.id.as_('id'),
                vehicle.id.as_('vehicle'),
                vehicle.company.as_('company'),
                *(t.as_(c) for t, c in zip(totals, COLUMNS)),
                sum(totals[:len(COSTS)][1:], totals[0]).as_('total_cost'),
                where=where,
                group_by=[vehicle.id, vehicle.company])

    def get_cost_per_km(self, name):
        if self.distance:
            return (Decimal(self.total_cost or 0) / self.distance).quantize(
                Decimal('0.01'))
