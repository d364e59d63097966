# This file is part of the oa_workflow module.
"""The vehicle register and the odometer readings

The odometer readings of a vehicle are spread over its trips (out / in),
fuel logs and maintenance records. ``odometer_query`` gives the current
reading of every vehicle in one statement; ``check_reading`` refuses a
reading lower than an earlier one or higher than a later one: an odometer
never goes backwards."""
import datetime as dt

from sql import Null, Union
from sql.aggregate import Max

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from ..rec_name import RecNameSearchMixin
from .reminder import remind

STATUS = [
    ('available', "Available"),
    ('in_use', "In Use"),
    ('maintenance', "Maintenance"),
    ]
# Where the odometer readings are: model, date field, odometer field
READINGS = [
    ('oa.vehicle.trip', 'departed_at', 'odometer_out'),
    ('oa.vehicle.trip', 'returned_at', 'odometer_in'),
    ('oa.vehicle.fuel', 'date', 'odometer'),
    ('oa.vehicle.maintenance', 'date', 'odometer'),
    ]


class Vehicle(RecNameSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    "Vehicle"
    __name__ = 'oa.vehicle'
    __string__ = "Vehicle"
    _rec_name = 'plate'
    _rec_name_search_fields = ['plate', 'vehicle_model']

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    plate = fields.Char(
        "Plate", required=True, strip=True,
        help="The licence plate number, e.g. 沪A·12345.")
    vehicle_model = fields.Char(
        "Model", required=True, help="Brand and model, e.g. 别克 GL8.")
    seats = fields.Integer(
        "Seats", required=True,
        domain=[('seats', '>', 0)],
        help="The number of seats, the driver's included.")
    color = fields.Char("Color")
    fuel_type = fields.Selection([
            ('gasoline', "Gasoline"),
            ('diesel', "Diesel"),
            ('electric', "Electric"),
            ('hybrid', "Hybrid"),
            ], "Energy", sort=False)
    vin = fields.Char("VIN", strip=True, help="Vehicle identification number.")
    purchase_date = fields.Date("Purchase Date")
    status = fields.Selection(
        STATUS, "Status", required=True, readonly=True, sort=False,
        help="In use while a trip is on the road; "
        "a vehicle in maintenance cannot be dispatched.")
    responsible = fields.Many2One(
        'res.user', "Responsible", ondelete='SET NULL',
        help="The user reminded of the insurance, inspection and "
        "maintenance due dates; without one the fleet administrators are.")
    initial_odometer = fields.Integer(
        "Initial Odometer", required=True,
        domain=[('initial_odometer', '>=', 0)],
        help="The odometer reading (km) when the vehicle was registered.")
    maintenance_km = fields.Integer(
        "Maintenance Every (km)",
        domain=['OR',
            ('maintenance_km', '=', None),
            ('maintenance_km', '>', 0)],
        help="Proposes the next maintenance mileage of a maintenance record.")
    maintenance_months = fields.Integer(
        "Maintenance Every (months)",
        domain=['OR',
            ('maintenance_months', '=', None),
            ('maintenance_months', '>', 0)],
        help="Proposes the next maintenance date of a maintenance record.")
    notes = fields.Text("Notes")
    odometer = fields.Function(fields.Integer(
            "Odometer",
            help="The highest reading of the trips, fuel logs and "
            "maintenance records (km)."), 'get_odometer')
    fuel_consumption = fields.Function(fields.Float(
            "Fuel Consumption", digits=(16, 2),
            help="Average litres per 100 km between the first and the last "
            "full tank."), 'get_fuel_consumption')
    insurance_expiry = fields.Function(
        fields.Date("Insurance Expiry"), 'get_expiry')
    inspection_expiry = fields.Function(
        fields.Date("Inspection Expiry"), 'get_expiry')
    trips = fields.One2Many('oa.vehicle.trip', 'vehicle', "Trips",
        readonly=True)
    fuel_logs = fields.One2Many('oa.vehicle.fuel', 'vehicle', "Fuel Logs",
        readonly=True)
    maintenances = fields.One2Many(
        'oa.vehicle.maintenance', 'vehicle', "Maintenance", readonly=True)
    insurances = fields.One2Many(
        'oa.vehicle.insurance', 'vehicle', "Insurance", readonly=True)
    inspections = fields.One2Many(
        'oa.vehicle.inspection', 'vehicle', "Inspections", readonly=True)
    incidents = fields.One2Many(
        'oa.vehicle.incident', 'vehicle', "Accidents and Violations",
        readonly=True)
    calendar_color = fields.Function(
        fields.Char("Calendar Color"), 'get_calendar_color')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('plate_unique', Unique(t, t.company, t.plate),
                'oa_workflow.msg_vehicle_plate_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.status, Index.Equality())))
        cls._order.insert(0, ('plate', 'ASC'))
        cls._buttons.update({
                'set_maintenance': {
                    'invisible': Eval('status') != 'available',
                    'depends': ['status'],
                    },
                'set_available': {
                    'invisible': Eval('status') != 'maintenance',
                    'depends': ['status'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_status(cls):
        return 'available'

    @classmethod
    def default_seats(cls):
        return 5

    @classmethod
    def default_initial_odometer(cls):
        return 0

    @classmethod
    def default_fuel_type(cls):
        return 'gasoline'

    def get_rec_name(self, name):
        return '%s (%s)' % (self.plate, self.vehicle_model)

    def get_calendar_color(self, name):
        palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
            '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']
        return palette[self.id % len(palette)]

    @classmethod
    def copy(cls, vehicles, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('plate', lambda data: data['plate'] + '-copy')
        default.setdefault('status', 'available')
        for name in ['trips', 'fuel_logs', 'maintenances', 'insurances',
                'inspections', 'incidents']:
            default.setdefault(name, None)
        return super().copy(vehicles, default=default)

    # Odometer
    @classmethod
    def odometer_query(cls):
        "SELECT vehicle, odometer: the current reading of every vehicle"
        pool = Pool()
        vehicle = cls.__table__()
        selects = [vehicle.select(
                vehicle.id.as_('vehicle'),
                vehicle.initial_odometer.as_('odometer'))]
        for model, _, field in READINGS:
            table = pool.get(model).__table__()
            selects.append(table.select(
                    table.vehicle.as_('vehicle'),
                    getattr(table, field).as_('odometer'),
                    where=getattr(table, field) != Null))
        readings = Union(*selects, all_=True)
        return readings.select(
            readings.vehicle.as_('vehicle'),
            Max(readings.odometer).as_('odometer'),
            group_by=[readings.vehicle])

    @classmethod
    def get_odometer(cls, vehicles, name):
        cursor = Transaction().connection.cursor()
        result = {v.id: 0 for v in vehicles}
        query = cls.odometer_query()
        for sub_ids in grouped_slice(
                [v.id for v in vehicles], backend.MAX_QUERY_PARAMS):
            cursor.execute(*query.select(
                    query.vehicle, query.odometer,
                    where=query.vehicle.in_(list(sub_ids))))
            result.update((v, o or 0) for v, o in cursor)
        return result

    @classmethod
    def check_reading(cls, vehicle, day, value, record=None, name=''):
        """Refuse a reading (km) on the day lower than one of an earlier day
        or higher than one of a later day; record is the record being
        checked (excluded)"""
        pool = Pool()
        Date = pool.get('ir.date')
        if vehicle is None or day is None or value is None:
            return
        vehicle = cls(int(vehicle))
        if isinstance(day, dt.datetime):
            day = Date.company_date(day, vehicle.company)
        if value < vehicle.initial_odometer:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_odometer_initial',
                    record=name, value=value, vehicle=vehicle.rec_name,
                    initial=vehicle.initial_odometer))
        with without_check_access():
            for model, date_field, field in READINGS:
                Model = pool.get(model)
                if Model._fields[date_field]._type == 'datetime':
                    before = Date.company_midnight(day, vehicle.company)
                    after = before + dt.timedelta(days=1)
                    after_op = '>='
                else:
                    before, after, after_op = day, day, '>'
                domain = [
                    ('vehicle', '=', vehicle.id),
                    ('id', '!=', record.id if (
                            record and record.__name__ == model
                            and record.id is not None
                            and record.id >= 0) else -1),
                    ]
                if 'state' in Model._fields:
                    domain.append(('state', '!=', 'cancelled'))
                for clause, order in [
                        ([(date_field, '<', before), (field, '>', value)],
                            'DESC'),
                        ([(date_field, after_op, after), (field, '<', value)],
                            'ASC')]:
                    found = Model.search(
                        domain + clause, order=[(field, order)], limit=1)
                    if found:
                        other, = found
                        other_day = getattr(other, date_field)
                        if isinstance(other_day, dt.datetime):
                            other_day = Date.company_date(
                                other_day, vehicle.company)
                        raise ValidationError(gettext(
                                'oa_workflow.msg_vehicle_odometer_backwards',
                                record=name, value=value,
                                vehicle=vehicle.rec_name,
                                other=other.rec_name,
                                other_value=getattr(other, field),
                                date=other_day.strftime('%Y-%m-%d')))

    # Fuel
    @classmethod
    def get_fuel_consumption(cls, vehicles, name):
        FuelLog = Pool().get('oa.vehicle.fuel')
        result = {}
        with without_check_access():
            averages = FuelLog.vehicle_averages([v.id for v in vehicles])
        for vehicle in vehicles:
            result[vehicle.id] = averages.get(vehicle.id)
        return result

    # Documents
    @classmethod
    def get_expiry(cls, vehicles, names):
        pool = Pool()
        cursor = Transaction().connection.cursor()
        sources = {
            'insurance_expiry': (pool.get('oa.vehicle.insurance'), 'end_date'),
            'inspection_expiry': (
                pool.get('oa.vehicle.inspection'), 'expiry_date'),
            }
        result = {n: {v.id: None for v in vehicles} for n in names}
        ids = [v.id for v in vehicles]
        for name in names:
            Model, field = sources[name]
            table = Model.__table__()
            for sub_ids in grouped_slice(
                    ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.select(
                        table.vehicle, Max(getattr(table, field)),
                        where=table.vehicle.in_(list(sub_ids)),
                        group_by=[table.vehicle]))
                for vehicle, day in cursor:
                    if isinstance(day, str):
                        day = dt.date.fromisoformat(day)
                    result[name][vehicle] = day
        return result

    # Status
    @classmethod
    def _set_status(cls, vehicles, status):
        with without_check_access():
            cls.write(list(vehicles), {'status': status})

    @classmethod
    @ModelView.button
    def set_maintenance(cls, vehicles):
        Trip = Pool().get('oa.vehicle.trip')
        with without_check_access():
            ongoing = Trip.search([
                    ('vehicle', 'in', [v.id for v in vehicles]),
                    ('state', '=', 'ongoing'),
                    ], limit=1)
        if ongoing:
            trip, = ongoing
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_on_the_road',
                    vehicle=trip.vehicle.rec_name, trip=trip.rec_name))
        cls._set_status(vehicles, 'maintenance')

    @classmethod
    @ModelView.button
    def set_available(cls, vehicles):
        cls._set_status(vehicles, 'available')

    def check_dispatchable(self, name):
        "Raise if the vehicle cannot be dispatched for the named trip"
        if self.status == 'maintenance':
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_in_maintenance',
                    vehicle=self.rec_name, trip=name))
        if not self.active:
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_inactive',
                    vehicle=self.rec_name, trip=name))

    # Scheduled job
    @classmethod
    def cron_remind(cls):
        "Remind before insurance / inspection expiry and maintenance due"
        return remind()
