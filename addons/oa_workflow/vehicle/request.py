# This file is part of the oa_workflow module.
"""Vehicle requests

An employee asks for a vehicle (period, destination, passengers, purpose);
the request goes through the approval flows configured for it (approved at
once when none applies), then the fleet administrator dispatches a vehicle
and a driver: a trip is created, which holds both for the period."""
import datetime as dt

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from ..approval import notify
from ..approval_workflow import ApprovalWorkflowMixin
from ..deletable import DeletableStatesMixin
from ..rec_name import RecNameSearchMixin
from ..requester import RequesterMixin
from .checks import CheckedValuesMixin, format_period, now

# Tolerance for "in the past" (the user takes time to fill the form)
PAST_TOLERANCE = dt.timedelta(minutes=5)


class Request(DeletableStatesMixin, RecNameSearchMixin, RequesterMixin,
        CheckedValuesMixin, ApprovalWorkflowMixin, Workflow, ModelSQL,
        ModelView):
    "Vehicle Request"
    __name__ = 'oa.vehicle.request'
    __string__ = "Vehicle Request"
    _rec_name = 'destination'
    _rec_name_search_fields = [
        'destination',
        'requester.name',
        'approval_number',
        ]
    _delete_message = 'oa_workflow.msg_vehicle_request_delete'
    _delete_message_name = 'request'

    _draft = {'readonly': Eval('state') != 'draft'}
    _dispatch = {
        'readonly': Eval('state') != 'approved',
        'invisible': Eval('state').in_(['draft', 'waiting', 'rejected']),
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_draft)
    requester = fields.Many2One(
        'res.user', "Requester", required=True, ondelete='RESTRICT',
        states=_draft)
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='SET NULL', states=_draft,
        domain=[('company', '=', Eval('company', -1))],
        help="The employee the approval flows take the supervisor and "
        "department of.")
    start = fields.DateTime("Start", required=True, states=_draft)
    end = fields.DateTime("End", required=True, states=_draft)
    destination = fields.Char("Destination", required=True, states=_draft)
    passengers = fields.Integer(
        "Passengers", required=True, states=_draft,
        help="The number of people travelling, the driver excluded.")
    purpose = fields.Text("Purpose", required=True, states=_draft)
    state = fields.Selection([
            ('draft', "Draft"),
            ('waiting', "Waiting Approval"),
            ('approved', "Approved"),
            ('dispatched', "Dispatched"),
            ('done', "Done"),
            ('rejected', "Rejected"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    vehicle = fields.Many2One(
        'oa.vehicle', "Vehicle", ondelete='RESTRICT', states=_dispatch,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('status', '!=', 'maintenance'),
            ],
        help="Chosen by the fleet administrator when dispatching.")
    driver = fields.Many2One(
        'oa.vehicle.driver', "Driver", ondelete='RESTRICT', states=_dispatch,
        domain=[('company', '=', Eval('company', -1))],
        help="Chosen by the fleet administrator when dispatching.")
    dispatch_note = fields.Text("Dispatch Note", states=_dispatch)

    del _draft, _dispatch

    _checked_fields = {'start', 'end', 'passengers', 'destination', 'state'}
    # run without access check: the approver may not be allowed to write the
    # request otherwise
    _approval_transitions = {
        'approved': 'approve',
        'rejected': 'reject',
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.requester, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.state, Index.Equality())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'waiting'),
            ('waiting', 'approved'),
            ('waiting', 'rejected'),
            ('waiting', 'draft'),
            ('approved', 'dispatched'),
            ('dispatched', 'approved'),
            ('dispatched', 'done'),
            ('draft', 'cancelled'),
            ('approved', 'cancelled'),
            ('dispatched', 'cancelled'),
            ('rejected', 'draft'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'dispatch': {
                    'invisible': Eval('state') != 'approved',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'approved', 'dispatched']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(['rejected', 'cancelled']),
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })
        # requests go to approval through the Submit button only
        cls._buttons['submit_approval']['invisible'] = True

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_passengers(cls):
        return 1

    @fields.depends('start', 'end')
    def on_change_start(self):
        if self.start and (not self.end or self.end <= self.start):
            self.end = self.start + dt.timedelta(hours=2)

    def format_period(self):
        return format_period(self.company, self.start, self.end)

    def get_rec_name(self, name):
        return '%s [%s %s]' % (
            self.destination, self.requester.rec_name, self.format_period())

    # Checks
    @classmethod
    def check_values(cls, values, record=None):
        name = values.get('destination') or ''
        start, end = values.get('start'), values.get('end')
        if start and end and end <= start:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_period', record=name))
        if (record is None and start
                and start < now() - PAST_TOLERANCE):
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_request_past', record=name))
        passengers = values.get('passengers')
        if passengers is not None and passengers < 1:
            raise ValidationError(gettext(
                    'oa_workflow.msg_vehicle_request_passengers',
                    record=name))

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('vehicle', None)
        default.setdefault('driver', None)
        default.setdefault('dispatch_note', None)
        return super().copy(requests, default=default)

    # Workflow
    @classmethod
    @ModelView.button
    def submit(cls, requests):
        "Send the requests to approval (approved at once without a flow)"
        requests = [r for r in requests if r.state == 'draft']
        for request in requests:
            if request.start < now() - PAST_TOLERANCE:
                raise UserError(gettext(
                        'oa_workflow.msg_vehicle_request_past',
                        record=request.rec_name))
        cls.wait(requests)
        cls.submit_approval(requests)

    @classmethod
    @Workflow.transition('waiting')
    def wait(cls, requests):
        pass

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, requests):
        pass

    @classmethod
    @Workflow.transition('rejected')
    def reject(cls, requests):
        pass

    @classmethod
    @Workflow.transition('approved')
    def undispatch(cls, requests):
        pass

    @classmethod
    @Workflow.transition('done')
    def do(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('dispatched')
    def dispatch(cls, requests):
        "Create the trips holding the chosen vehicle and driver"
        pool = Pool()
        Trip = pool.get('oa.vehicle.trip')
        for request in requests:
            request.check_dispatch()
        with without_check_access():
            trips = Trip.create([r._trip_values() for r in requests])
        for request, trip in zip(requests, trips):
            notify([request.requester], gettext(
                    'oa_workflow.msg_vehicle_request_dispatched',
                    request=request.rec_name,
                    vehicle=trip.vehicle.rec_name,
                    driver=trip.driver.rec_name),
                cls.__name__, [request])

    def check_dispatch(self):
        if not self.vehicle or not self.driver:
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_request_dispatch_missing',
                    request=self.rec_name))
        self.vehicle.check_dispatchable(self.rec_name)
        self.driver.check_dispatchable(self.rec_name, self.end)
        if self.passengers > self.vehicle.seats - 1:
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_request_seats',
                    request=self.rec_name, vehicle=self.vehicle.rec_name,
                    seats=self.vehicle.seats, passengers=self.passengers))

    def _trip_values(self):
        return {
            'company': self.company.id,
            'request': self.id,
            'vehicle': self.vehicle.id,
            'driver': self.driver.id,
            'requester': self.requester.id,
            'start': self.start,
            'end': self.end,
            'destination': self.destination,
            'purpose': self.purpose,
            'passengers': self.passengers,
            'notes': self.dispatch_note,
            }

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        Trip = Pool().get('oa.vehicle.trip')
        with without_check_access():
            trips = Trip.search([
                    ('request', 'in', [r.id for r in requests]),
                    ('state', 'in', ['planned', 'ongoing']),
                    ])
            ongoing = [t for t in trips if t.state == 'ongoing']
            if ongoing:
                raise UserError(gettext(
                        'oa_workflow.msg_vehicle_request_on_the_road',
                        request=ongoing[0].request.rec_name))
            with Transaction().set_context(_vehicle_request_cancel=True):
                Trip.cancel(trips)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, requests):
        pass

    # Approval hooks
    @classmethod
    def _approval_back(cls, requests, state):
        """Put the requests still waiting in the state: written, not a
        transition (the Cancel button has none from waiting, the draft one
        takes back rejected and cancelled requests too)"""
        with without_check_access():
            cls.write([r for r in requests if r.state == 'waiting'],
                {'state': state})

    @classmethod
    def approval_cancelled(cls, requests):
        cls._approval_back(requests, 'cancelled')

    @classmethod
    def approval_returned(cls, requests):
        cls._approval_back(requests, 'draft')

    approval_withdrawn = approval_returned
