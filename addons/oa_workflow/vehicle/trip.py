# This file is part of the oa_workflow module.
"""Dispatches (trips) of a vehicle with its driver

Neither a vehicle nor a driver is ever dispatched twice for overlapping
periods: a Python check names the conflicting dispatch and, on PostgreSQL,
two exclusion constraints on the time range guarantee it also under
concurrent dispatching (their violation is turned into the same message)."""
from sql.operators import Equal

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Exclude, Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.sql.functions import TSRange
from trytond.sql.operators import RangeOverlap
from trytond.transaction import Transaction, without_check_access

from ..deletable import DeletableStatesMixin
from ..overlap import BtreeGistMixin, overlapping_ids
from ..rec_name import RecNameSearchMixin
from .checks import CheckedValuesMixin, format_period, now

# States in which a trip holds its vehicle and its driver
ACTIVE = ('planned', 'ongoing')
RESOURCES = ('vehicle', 'driver')


class Trip(DeletableStatesMixin, RecNameSearchMixin, BtreeGistMixin,
        CheckedValuesMixin, Workflow, ModelSQL, ModelView):
    "Vehicle Trip"
    __name__ = 'oa.vehicle.trip'
    __string__ = "Vehicle Trip"
    _rec_name = 'destination'
    _rec_name_search_fields = ['destination', 'vehicle.plate']
    _deletable_states = {'planned', 'cancelled'}
    _delete_message = 'oa_workflow.msg_vehicle_trip_delete'
    _delete_message_name = 'trip'

    _planned = {'readonly': Eval('state') != 'planned'}

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_planned)
    request = fields.Many2One(
        'oa.vehicle.request', "Request", readonly=True, ondelete='RESTRICT',
        help="The vehicle request this trip was dispatched for.")
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_planned)
    driver = fields.Many2One(
        'oa.vehicle.driver', "Driver", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_planned)
    requester = fields.Many2One(
        'res.user', "Requester", ondelete='SET NULL', states=_planned)
    start = fields.DateTime("Start", required=True, states=_planned)
    end = fields.DateTime("End", required=True, states=_planned)
    destination = fields.Char("Destination", required=True, states=_planned)
    purpose = fields.Text("Purpose", states=_planned)
    passengers = fields.Integer(
        "Passengers", states=_planned,
        domain=['OR', ('passengers', '=', None), ('passengers', '>=', 0)])
    state = fields.Selection([
            ('planned', "Planned"),
            ('ongoing', "On the Road"),
            ('done', "Returned"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    odometer_out = fields.Integer(
        "Odometer Out", states={
            'readonly': ~Eval('state').in_(['planned', 'ongoing']),
            },
        help="The odometer reading (km) at departure; "
        "the vehicle's current reading when left empty.")
    odometer_in = fields.Integer(
        "Odometer In", states={
            'readonly': Eval('state') != 'ongoing',
            'required': Eval('state') == 'done',
            },
        help="The odometer reading (km) on return.")
    departed_at = fields.DateTime("Departed At", readonly=True)
    returned_at = fields.DateTime("Returned At", readonly=True)
    distance = fields.Function(
        fields.Integer("Distance", help="Kilometres driven."),
        'on_change_with_distance')
    notes = fields.Text("Notes")
    vehicle_color = fields.Function(
        fields.Char("Vehicle Color"), 'get_vehicle_color')

    del _planned

    _checked_fields = {
        'company', 'vehicle', 'driver', 'start', 'end', 'destination',
        'requester', 'state', 'odometer_out', 'odometer_in', 'departed_at',
        'returned_at'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        period = TSRange(t.start, t.end, '[)')
        active = t.state.in_(list(ACTIVE))
        cls._sql_constraints += [
            ('vehicle_overlap',
                Exclude(t, (t.vehicle, Equal), (period, RangeOverlap),
                    where=active),
                'oa_workflow.msg_vehicle_trip_vehicle_overlap_db'),
            ('driver_overlap',
                Exclude(t, (t.driver, Equal), (period, RangeOverlap),
                    where=active),
                'oa_workflow.msg_vehicle_trip_driver_overlap_db'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.vehicle, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.driver, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.state, Index.Equality()),
                    (t.start, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'ongoing'),
            ('ongoing', 'done'),
            ('planned', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'depart': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'arrive': {
                    'invisible': Eval('state') != 'ongoing',
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
    def default_state(cls):
        return 'planned'

    @fields.depends('odometer_out', 'odometer_in')
    def on_change_with_distance(self, name=None):
        if self.odometer_out is not None and self.odometer_in is not None:
            return self.odometer_in - self.odometer_out

    def get_vehicle_color(self, name):
        return self.vehicle.calendar_color

    def format_period(self):
        return format_period(self.company, self.start, self.end)

    def get_rec_name(self, name):
        return '%s [%s %s]' % (
            self.destination, self.vehicle.plate, self.format_period())

    # Checks
    @classmethod
    def find_conflicts(cls, resource, record_id, start, end, exclude=()):
        "The first active trip holding the resource during [start, end)"
        return cls.browse(overlapping_ids(
                cls.__table__(), resource, record_id, start, end, ACTIVE,
                exclude=exclude, limit=1))

    def _conflict_message(self, resource, conflict):
        return gettext(
            'oa_workflow.msg_vehicle_trip_%s_overlap' % resource,
            resource=getattr(self, resource).rec_name,
            trip=self.destination or '',
            conflict=conflict.destination,
            vehicle=conflict.vehicle.rec_name,
            driver=conflict.driver.rec_name,
            requester=(conflict.requester.rec_name
                if conflict.requester else '-'),
            period=conflict.format_period())

    @classmethod
    def check_values(cls, values, record=None):
        Vehicle = Pool().get('oa.vehicle')
        start, end = values.get('start'), values.get('end')
        name = values.get('destination') or ''
        if start and end and end <= start:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_period',
                    record=name))
        out, in_ = values.get('odometer_out'), values.get('odometer_in')
        for value in (out, in_):
            if value is not None and value < 0:
                raise ValidationError(gettext(
                        'oa_workflow.msg_vehicle_odometer_negative',
                        record=name, value=value))
        if out is not None and in_ is not None and in_ < out:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_trip_odometer_in',
                    record=name, odometer_in=in_, odometer_out=out))
        if out is not None:
            Vehicle.check_reading(
                values.get('vehicle'), values.get('departed_at') or start,
                out, record=record, name=name)
        if in_ is not None:
            Vehicle.check_reading(
                values.get('vehicle'), values.get('returned_at') or end,
                in_, record=record, name=name)
        if (values.get('state') in ACTIVE and start and end
                and end > start):
            trip = cls(**{k: v for k, v in values.items()
                    if k in {'company', 'vehicle', 'driver', 'start', 'end',
                        'destination', 'requester'}})
            for resource in RESOURCES:
                if not values.get(resource):
                    continue
                conflicts = cls.find_conflicts(
                    resource, values[resource], start, end,
                    exclude=[record] if record else [])
                if conflicts:
                    raise ValidationError(
                        trip._conflict_message(resource, conflicts[0]))

    @classmethod
    def validate(cls, trips):
        # also the trips created together, before ModelSQL.validate which
        # checks the exclusion constraints without naming the conflict
        for trip in trips:
            if trip.state not in ACTIVE:
                continue
            for resource in RESOURCES:
                conflicts = cls.find_conflicts(
                    resource, getattr(trip, resource).id,
                    trip.start, trip.end, exclude=[trip])
                if conflicts:
                    raise ValidationError(
                        trip._conflict_message(resource, conflicts[0]))
        super().validate(trips)

    @classmethod
    def _named_constraint_error(cls, exception, vlist):
        """Turn the database's exclusion violation into the message naming
        the conflicting trip, found in a new transaction (the current one is
        aborted; the concurrent dispatch is committed when the constraint
        fires)"""
        with Transaction().new_transaction(readonly=True):
            messages = {
                gettext('oa_workflow.msg_vehicle_trip_%s_overlap_db' % r)
                for r in RESOURCES}
            if exception.message not in messages:
                return exception
            for values in vlist:
                try:
                    cls.check_values(values)
                except ValidationError as error:
                    return error
        return exception

    @classmethod
    def _check_together(cls, vlist):
        "Refuse trips created together that hold a vehicle or driver twice"
        active = [v for v in vlist if v.get('state') in ACTIVE
            and v.get('start') and v.get('end')]
        for i, values in enumerate(active):
            for other in active[i + 1:]:
                if not (values['start'] < other['end']
                        and other['start'] < values['end']):
                    continue
                for resource in RESOURCES:
                    if values.get(resource) and (
                            values[resource] == other.get(resource)):
                        trip = cls(**{k: v for k, v in other.items()
                                if k in cls._checked_fields})
                        conflict = cls(**{k: v for k, v in values.items()
                                if k in cls._checked_fields})
                        raise ValidationError(
                            trip._conflict_message(resource, conflict))

    @classmethod
    def create(cls, vlist):
        future = [cls._future_values(None, v) for v in vlist]
        cls._check_together(future)
        try:
            return super().create(vlist)
        except SQLConstraintError as exception:
            raise cls._named_constraint_error(exception, future) from exception

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        future = []
        for records, values in zip(actions, actions):
            if {'vehicle', 'driver', 'start', 'end', 'state'} & set(values):
                future.extend(
                    cls._future_values(r, values) for r in records)
        try:
            return super().write(*args)
        except SQLConstraintError as exception:
            raise cls._named_constraint_error(exception, future) from exception

    @classmethod
    def copy(cls, trips, default=None):
        default = default.copy() if default is not None else {}
        for name in ['request', 'odometer_out', 'odometer_in',
                'departed_at', 'returned_at']:
            default.setdefault(name, None)
        default.setdefault('state', 'planned')
        return super().copy(trips, default=default)

    # Workflow
    @classmethod
    def check_dispatchable(cls, trips):
        for trip in trips:
            trip.vehicle.check_dispatchable(trip.rec_name)
            trip.driver.check_dispatchable(trip.rec_name, trip.end)

    @classmethod
    def on_modification(cls, mode, trips, field_names=None):
        super().on_modification(mode, trips, field_names=field_names)
        if mode == 'create':
            cls.check_dispatchable(trips)

    @classmethod
    @ModelView.button
    @Workflow.transition('ongoing')
    def depart(cls, trips):
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        cls.check_dispatchable(trips)
        at = now()
        for trip in trips:
            if trip.odometer_out is None:
                trip.odometer_out = trip.vehicle.odometer
            trip.departed_at = at
        cls.save(trips)
        Vehicle._set_status({t.vehicle for t in trips}, 'in_use')

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def arrive(cls, trips):
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        Request = pool.get('oa.vehicle.request')
        for trip in trips:
            if trip.odometer_in is None:
                raise UserError(gettext(
                        'oa_workflow.msg_vehicle_trip_odometer_in_missing',
                        trip=trip.rec_name))
        cls.write(trips, {'returned_at': now()})
        Vehicle._set_status(
            {t.vehicle for t in trips if t.vehicle.status == 'in_use'},
            'available')
        requests = [t.request for t in trips if t.request]
        if requests:
            with without_check_access():
                Request.do(requests)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, trips):
        Request = Pool().get('oa.vehicle.request')
        if Transaction().context.get('_vehicle_request_cancel'):
            return
        requests = [t.request for t in trips
            if t.request and t.request.state == 'dispatched']
        if requests:
            # the request waits for another dispatch
            with without_check_access():
                Request.undispatch(requests)

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, trips):
        for trip in trips:
            if trip.request:
                raise UserError(gettext(
                        'oa_workflow.msg_vehicle_trip_replan_request',
                        trip=trip.rec_name,
                        request=trip.request.rec_name))
        cls.check_dispatchable(trips)
