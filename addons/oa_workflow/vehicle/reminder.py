# This file is part of the oa_workflow module.
"""Vehicle configuration and the scheduled reminders

The job finds, with one statement per kind of document over all vehicles,
the insurance policies and annual inspections expiring within the
configured days and the maintenance due within those days or kilometres,
notifies the responsible user of each vehicle (the fleet administrators
when it has none) and marks them reminded with one UPDATE per kind."""
import datetime as dt

from sql import Literal, Null
from sql.operators import Exists

from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from ..approval import notify


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Vehicle Configuration"
    __name__ = 'oa.vehicle.configuration'
    __string__ = "Vehicle Configuration"

    reminder_days = fields.Integer(
        "Remind Days Ahead", required=True,
        domain=[('reminder_days', '>=', 0)],
        help="How many days before the expiry of an insurance policy or an "
        "annual inspection, or before a maintenance date, the responsible "
        "user is reminded.")
    reminder_km = fields.Integer(
        "Remind Kilometres Ahead", required=True,
        domain=[('reminder_km', '>=', 0)],
        help="How many kilometres before a maintenance mileage the "
        "responsible user is reminded.")
    fleet_group = fields.Many2One(
        'res.group', "Fleet Administrators", ondelete='SET NULL',
        help="The group reminded for the vehicles without a responsible "
        "user; the office administrators when empty.")

    @classmethod
    def default_reminder_days(cls):
        return 30

    @classmethod
    def default_reminder_km(cls):
        return 500

    def get_reminder_days(self):
        if self.reminder_days is None:
            return self.default_reminder_days()
        return self.reminder_days

    def get_reminder_km(self):
        if self.reminder_km is None:
            return self.default_reminder_km()
        return self.reminder_km

    def fleet_administrators(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        group = (self.fleet_group.id if self.fleet_group
            else ModelData.get_id('oa_workflow', 'group_office_admin'))
        return User.search([('groups', '=', group)])


def _date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _not_reminded(table):
    return (table.reminded == Literal(False)) | (table.reminded == Null)


def due_insurances(horizon):
    "Rows (id, vehicle, expiry) of the latest policies expiring by horizon"
    pool = Pool()
    Insurance = pool.get('oa.vehicle.insurance')
    vehicle = pool.get('oa.vehicle').__table__()
    policy = Insurance.__table__()
    later = Insurance.__table__()
    return policy.join(vehicle, condition=policy.vehicle == vehicle.id
        ).select(policy.id, policy.vehicle, policy.end_date,
            where=_not_reminded(policy)
            & (policy.end_date <= horizon)
            & (vehicle.active == Literal(True))
            & ~Exists(later.select(later.id,
                    where=(later.vehicle == policy.vehicle)
                    & (later.kind == policy.kind)
                    & (later.end_date > policy.end_date))))


def due_inspections(horizon):
    "Rows (id, vehicle, expiry) of the latest inspections expiring by horizon"
    pool = Pool()
    Inspection = pool.get('oa.vehicle.inspection')
    vehicle = pool.get('oa.vehicle').__table__()
    inspection = Inspection.__table__()
    later = Inspection.__table__()
    return inspection.join(vehicle,
        condition=inspection.vehicle == vehicle.id
        ).select(inspection.id, inspection.vehicle, inspection.expiry_date,
            where=_not_reminded(inspection)
            & (inspection.expiry_date <= horizon)
            & (vehicle.active == Literal(True))
            & ~Exists(later.select(later.id,
                    where=(later.vehicle == inspection.vehicle)
                    & (later.expiry_date > inspection.expiry_date))))


def due_maintenances(horizon, km):
    """Rows (id, vehicle, due date, due odometer, odometer) of the latest
    maintenance of each vehicle whose next one is due by horizon or within
    km of the current reading"""
    pool = Pool()
    Vehicle = pool.get('oa.vehicle')
    Maintenance = pool.get('oa.vehicle.maintenance')
    vehicle = Vehicle.__table__()
    record = Maintenance.__table__()
    later = Maintenance.__table__()
    odometer = Vehicle.odometer_query()
    return record.join(vehicle, condition=record.vehicle == vehicle.id
        ).join(odometer, condition=odometer.vehicle == record.vehicle
        ).select(record.id, record.vehicle, record.next_due_date,
            record.next_due_odometer, odometer.odometer,
            where=_not_reminded(record)
            & (record.state == 'done')
            & (vehicle.active == Literal(True))
            & (((record.next_due_date != Null)
                    & (record.next_due_date <= horizon))
                | ((record.next_due_odometer != Null)
                    & (record.next_due_odometer <= odometer.odometer + km)))
            & ~Exists(later.select(later.id,
                    where=(later.vehicle == record.vehicle)
                    & (later.state != 'cancelled')
                    & ((later.date > record.date)
                        | ((later.date == record.date)
                            & (later.id > record.id))))))


def remind():
    """Notify the due reminders; return {model: [ids]} of the reminded
    records"""
    pool = Pool()
    Date = pool.get('ir.date')
    Vehicle = pool.get('oa.vehicle')
    Configuration = pool.get('oa.vehicle.configuration')
    cursor = Transaction().connection.cursor()
    config = Configuration(1)
    today = Date.today()
    horizon = today + dt.timedelta(days=config.get_reminder_days())

    due = []  # (model, id, vehicle id, message id, values)
    cursor.execute(*due_insurances(horizon))
    for id_, vehicle, expiry in cursor.fetchall():
        due.append(('oa.vehicle.insurance', id_, vehicle,
                'msg_vehicle_insurance_reminder', {'date': _date(expiry)}))
    cursor.execute(*due_inspections(horizon))
    for id_, vehicle, expiry in cursor.fetchall():
        due.append(('oa.vehicle.inspection', id_, vehicle,
                'msg_vehicle_inspection_reminder', {'date': _date(expiry)}))
    cursor.execute(*due_maintenances(horizon, config.get_reminder_km()))
    for id_, vehicle, day, due_km, km in cursor.fetchall():
        due.append(('oa.vehicle.maintenance', id_, vehicle,
                'msg_vehicle_maintenance_reminder', {
                    'date': _date(day), 'due_km': due_km, 'km': km}))
    if not due:
        return {}

    vehicles = {v.id: v for v in Vehicle.browse({d[2] for d in due})}
    administrators = None
    reminded = {}
    for model, id_, vehicle_id, message, values in due:
        vehicle = vehicles[vehicle_id]
        if vehicle.responsible:
            users = [vehicle.responsible]
        else:
            if administrators is None:
                administrators = config.fleet_administrators()
            users = administrators
        day = values.get('date')
        label = gettext('oa_workflow.' + message,
            vehicle=vehicle.rec_name,
            date=day.strftime('%Y-%m-%d') if day else '-',
            days=(day - today).days if day else '-',
            due_km=values.get('due_km') or '-',
            km=values.get('km') if values.get('km') is not None else '-')
        Model = pool.get(model)
        notify(users, label, model, [Model(id_)])
        reminded.setdefault(model, []).append(id_)

    # one UPDATE per kind (and per slice of ids)
    with without_check_access():
        for model, ids in reminded.items():
            Model = pool.get(model)
            Model.write(Model.browse(ids), {'reminded': True})
    return reminded


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('oa.vehicle|cron_remind',
                "Remind Vehicle Insurance, Inspection and Maintenance"))
