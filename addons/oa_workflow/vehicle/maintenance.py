# This file is part of the oa_workflow module.
"""Maintenance records

A record puts its vehicle in maintenance while it is in progress (the
vehicle cannot be dispatched then) and, once done, sets when the next one is
due: by mileage, by date or both (proposed from the vehicle's intervals).
The scheduled job reminds before either is reached."""
from dateutil.relativedelta import relativedelta

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .checks import CheckedValuesMixin


class Maintenance(CheckedValuesMixin, Workflow, ModelSQL, ModelView):
    "Vehicle Maintenance"
    __name__ = 'oa.vehicle.maintenance'
    __string__ = "Vehicle Maintenance"

    _open = {'readonly': Eval('state').in_(['done', 'cancelled'])}

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_open)
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))], states=_open)
    kind = fields.Selection([
            ('service', "Service"),
            ('repair', "Repair"),
            ('tyres', "Tyres"),
            ('other', "Other"),
            ], "Kind", required=True, sort=False, states=_open)
    kind_string = kind.translated('kind')
    date = fields.Date("Date", required=True, states=_open)
    odometer = fields.Integer(
        "Odometer", states=_open, help="The odometer reading (km).")
    garage = fields.Char("Garage", states=_open)
    description = fields.Text("Description", states=_open)
    cost = fields.Numeric(
        "Cost", digits=(16, 2), states=_open,
        help="In the company's currency.")
    next_due_date = fields.Date(
        "Next Due Date",
        help="The date of the next maintenance; reminded before.")
    next_due_odometer = fields.Integer(
        "Next Due Odometer",
        help="The odometer reading (km) of the next maintenance; "
        "reminded before.")
    state = fields.Selection([
            ('planned', "Planned"),
            ('in_progress', "In Progress"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    reminded = fields.Boolean("Reminded", readonly=True)

    del _open

    _checked_fields = {'vehicle', 'date', 'odometer', 'cost',
        'next_due_odometer'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.vehicle, Index.Equality()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'in_progress'),
            ('planned', 'done'),
            ('in_progress', 'done'),
            ('planned', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'finish': {
                    'invisible': ~Eval('state').in_(
                        ['planned', 'in_progress']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'plan': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_kind(cls):
        return 'service'

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_reminded(cls):
        return False

    @fields.depends('vehicle', 'odometer', 'date', 'kind',
        'next_due_date', 'next_due_odometer')
    def on_change_vehicle(self):
        if not self.vehicle:
            return
        if self.odometer is None:
            self.odometer = self.vehicle.odometer
        self.on_change_odometer()

    @fields.depends('vehicle', 'odometer', 'date', 'kind',
        'next_due_date', 'next_due_odometer')
    def on_change_odometer(self):
        "Propose the next due mileage and date from the vehicle's intervals"
        if not self.vehicle or self.kind != 'service':
            return
        if (self.next_due_odometer is None and self.odometer is not None
                and self.vehicle.maintenance_km):
            self.next_due_odometer = (
                self.odometer + self.vehicle.maintenance_km)
        if (self.next_due_date is None and self.date
                and self.vehicle.maintenance_months):
            self.next_due_date = self.date + relativedelta(
                months=self.vehicle.maintenance_months)

    @fields.depends(methods=['on_change_odometer'])
    def on_change_date(self):
        self.on_change_odometer()

    def get_rec_name(self, name):
        return '%s %s %s' % (
            self.vehicle.plate, self.date.strftime('%Y-%m-%d'),
            self.kind_string)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('vehicle.rec_name',) + tuple(clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # a new due date or mileage is reminded again
        if mode == 'write' and (
                {'next_due_date', 'next_due_odometer'} & set(values)):
            values.setdefault('reminded', False)
        return values

    @classmethod
    def check_values(cls, values, record=None):
        Vehicle = Pool().get('oa.vehicle')
        name = record.rec_name if record else ''
        cost = values.get('cost')
        if cost is not None and cost < 0:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_amount_negative',
                    record=name, amount=cost))
        odometer = values.get('odometer')
        if odometer is not None:
            if odometer < 0:
                raise ValidationError(gettext(
                        'oa_workflow.msg_vehicle_odometer_negative',
                        record=name, value=odometer))
            Vehicle.check_reading(
                values.get('vehicle'), values.get('date'), odometer,
                record=record, name=name)
            due = values.get('next_due_odometer')
            if due is not None and due <= odometer:
                raise ValidationError(gettext(
                        'oa_workflow.msg_vehicle_maintenance_next_odometer',
                        record=name, due=due, odometer=odometer))

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'planned')
        default.setdefault('reminded', False)
        return super().copy(records, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, records):
        Vehicle = Pool().get('oa.vehicle')
        vehicles = list({r.vehicle for r in records})
        Vehicle.set_maintenance(
            [v for v in vehicles if v.status != 'maintenance'])

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def finish(cls, records):
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        for record in records:
            if record.odometer is None:
                raise UserError(gettext(
                        'oa_workflow.msg_vehicle_maintenance_odometer',
                        record=record.rec_name))
        vehicles = {r.vehicle for r in records}
        with without_check_access():
            busy = {r.vehicle for r in cls.search([
                        ('vehicle', 'in', [v.id for v in vehicles]),
                        ('state', '=', 'in_progress'),
                        ('id', 'not in', [r.id for r in records]),
                        ])}
        Vehicle._set_status(
            [v for v in vehicles - busy if v.status == 'maintenance'],
            'available')

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, records):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, records):
        pass
