# This file is part of the crm_ext module.
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from oa_workflow.approval import ApprovalMixin

from .exceptions import OwnershipError
from .ownership import CustomerWizardMixin


class LockRequest(ApprovalMixin, Workflow, ModelSQL, ModelView):
    """Customer Lock Request (申请锁定)

    A request that needs approval (policy) goes through the oa_workflow
    approval engine: the flows for "Customer Lock Request" are configured
    in records (a default flow to the requester's supervisor is provided).
    The engine's outcome hooks lock the customer, checking the quota and
    the cool-down again at decision time under row locks."""
    __name__ = 'crm.lock.request'
    __string__ = "Customer Lock Request"
    _rec_name = 'reason'
    _approval_summary_fields = ['party', 'requester', 'reason']

    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'})
    requester = fields.Many2One(
        'company.employee', "Requester", required=True, ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'})
    reason = fields.Char("Reason",
        states={'readonly': Eval('state') != 'draft'})
    state = fields.Selection([
            ('draft', "Draft"),
            ('pending', "Pending"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    approver = fields.Many2One('res.user', "Decided By", readonly=True)
    decision_date = fields.Timestamp("Decision Date", readonly=True)
    comment = fields.Text("Comment", readonly=True,
        help="The approver's comment, shown to the requester.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.requester, Index.Range()),
                    (t.state, Index.Equality())),
                Index(t, (t.party, Index.Range())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'pending'),
                })
        cls._transitions |= {
            ('draft', 'pending'),
            ('draft', 'approved'),
            ('pending', 'approved'),
            ('pending', 'rejected'),
            ('draft', 'cancelled'),
            ('pending', 'cancelled'),
            }
        # Submitted by "Request Lock" on the customer, never resubmitted
        cls._buttons['submit_approval'] = {
            'invisible': True,
            }
        cls._buttons.update({
                # the requester's withdrawal: the approvers do not see it
                'cancel': {
                    'invisible': (~Eval('state').in_(['draft', 'pending'])
                        | ~Eval('approval_by_me', False)),
                    'depends': ['state', 'approval_by_me'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def get_rec_name(cls, requests, name):
        """Customer - requester, as their names read: one query for all the
        requests gives the columns of the two parties' names, instead of
        reading the parties with all their columns"""
        pool = Pool()
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        request = cls.__table__()
        customer = Party.__table__()
        employee = Employee.__table__()
        person = Party.__table__()
        cursor = Transaction().connection.cursor()
        names = {}
        for sub_ids in grouped_slice(
                [r.id for r in requests], backend.MAX_QUERY_PARAMS):
            cursor.execute(*request
                .join(customer, condition=request.party == customer.id)
                .join(employee, condition=request.requester == employee.id)
                .join(person, condition=employee.party == person.id)
                .select(request.id,
                    customer.id, customer.name, customer.code,
                    person.id, person.name, person.code,
                    where=fields.SQL_OPERATORS['in'](
                        request.id, list(sub_ids))))
            for id_, c_id, c_name, c_code, p_id, p_name, p_code in cursor:
                # the parties' own rule (a party without name shows its
                # code), on instances holding the values just read
                customer = Party(c_id, name=c_name, code=c_code)
                person = Party(p_id, name=p_name, code=p_code)
                names[id_] = '%s - %s' % (
                    customer.get_rec_name(None), person.get_rec_name(None))
        return names

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('party.rec_name',) + tuple(clause[1:]),
            ('requester.rec_name',) + tuple(clause[1:]),
            ]

    # Submission
    @classmethod
    def check_claimable(cls, parties, employee):
        """Check that employee, a salesperson, may apply to lock the parties
        now: in the open pool, not requested by anyone, no cool-down, within
        the daily limit and the quota (locked + pending); return {party id:
        whether its lock needs approval}"""
        pool = Pool()
        Party = pool.get('party.party')
        Party._crm_check_salesperson(employee)
        with without_check_access():
            parties = Party.browse(parties)
            pending = {r.party.id: r for r in cls.search([
                        ('party', 'in', [p.id for p in parties]),
                        ('state', '=', 'pending'),
                        ], order=[('id', 'DESC')])}
            used = Party._crm_used_quota(employee)
            needs_approval = {}
            for party in parties:
                if party.ownership_state != 'open':
                    raise OwnershipError(gettext('crm_ext.msg_not_open',
                            party=party.rec_name,
                            owner=party.owner.rec_name if party.owner
                            else '-'))
                request = pending.get(party.id)
                if request and request.requester == employee:
                    raise OwnershipError(gettext(
                            'crm_ext.msg_already_requested',
                            party=party.rec_name))
                elif request:
                    # first come, first served: one request at a time
                    raise OwnershipError(gettext(
                            'crm_ext.msg_requested_by_other',
                            party=party.rec_name,
                            employee=request.requester.rec_name))
                policy = party.crm_policy
                count = len(needs_approval)
                Party._crm_check_cooldown(party, employee, policy)
                Party._crm_check_daily_limit(employee, policy, count + 1)
                Party._crm_check_quota(
                    employee, policy, 1, used=used + count)
                needs_approval[party.id] = bool(
                    policy and policy.needs_approval)
        return needs_approval

    @classmethod
    def submit(cls, parties, employee, reason=None):
        """Create lock requests of employee for the open parties

        The rows of the employee and the parties are locked (waiting for
        the concurrent claims), then the parties are checked as
        check_claimable does. Without approval the requests are approved
        at once."""
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        Instance = pool.get('oa.approval.instance')
        Party._crm_lock_employees([employee], parties)
        needs_approval = cls.check_claimable(parties, employee)
        with without_check_access():
            # requests needing approval are created pending (the
            # transition from draft has no side effect)
            requests = cls.create([{
                        'party': p.id,
                        'requester': employee.id,
                        'reason': reason,
                        'state': ('pending' if needs_approval[p.id]
                            else 'draft'),
                        } for p in parties])
        to_pend = [r for r in requests if r.state == 'pending']
        direct = [r for r in requests if r.state != 'pending']
        if to_pend:
            History.record([r.party for r in to_pend], 'request', employee,
                reason=reason)
            # the engine finds the flow; it may decide at once (no flow
            # matching, every step skipped): the hooks below then run
            Instance.submit(to_pend)
        if direct:
            cls._do_approve(direct)
        return requests

    @classmethod
    def outcome(cls, requests):
        """Tell the requester, one line per request, whether the customer
        is theirs now or who decides on it"""
        lines = []
        with without_check_access():
            for request in cls.browse(requests):
                party = request.party.rec_name
                if request.state == 'approved':
                    lines.append(gettext('crm_ext.msg_lock_granted',
                            party=party))
                elif request.state == 'pending':
                    instance = request.approval_instance
                    approvers = sorted({t.user.rec_name
                            for t in (instance.tasks if instance else [])
                            if t.state == 'pending'})
                    lines.append(gettext('crm_ext.msg_lock_requested',
                            party=party,
                            approvers=', '.join(approvers) or '-'))
        return '\n'.join(lines)

    # Approval engine (oa_workflow) hooks and overrides
    def approval_get_requester(self):
        "The user of the requesting salesperson"
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        user_id = Transaction().user
        if Party._crm_user_has_employee(self.requester):
            return user_id
        with without_check_access():
            users = User.search([
                    ('employees', '=', self.requester.id),
                    ], order=[('id', 'ASC')], limit=1)
        return users[0].id if users else user_id

    def approval_get_employee(self):
        return self.requester

    def approval_get_company(self):
        return self.requester.company

    @classmethod
    def approval_check_submit(cls, requests):
        super().approval_check_submit(requests)
        for request in requests:
            if request.state != 'pending' or request.approval_instance:
                raise OwnershipError(gettext(
                        'crm_ext.msg_lock_request_not_submittable',
                        request=request.rec_name))

    @classmethod
    def approval_approved(cls, requests):
        super().approval_approved(requests)
        cls._do_approve(requests)

    @classmethod
    def approval_rejected(cls, requests):
        super().approval_rejected(requests)
        cls._do_reject(requests)

    @classmethod
    def approval_returned(cls, requests):
        "A returned request is closed: the salesperson may apply again"
        super().approval_returned(requests)
        cls._do_cancel(requests)

    @classmethod
    def approval_withdrawn(cls, requests):
        super().approval_withdrawn(requests)
        cls._do_cancel(requests)

    @classmethod
    def approval_cancelled(cls, requests):
        super().approval_cancelled(requests)
        cls._do_cancel(requests)

    def _decision_comment(self):
        "The comment of the last approval decision, if any"
        if not self.approval_instance:
            return None
        comments = [l for l in self.approval_instance.logs if l.comment]
        if comments:
            return max(comments, key=lambda l: (l.date, l.id)).comment

    @classmethod
    @Workflow.transition('approved')
    def _do_approve(cls, requests):
        pool = Pool()
        Party = pool.get('party.party')
        Party._crm_lock_employees([r.requester for r in requests],
            [r.party for r in requests])
        for request in requests:
            party = Party(request.party.id)
            policy = party.crm_policy
            if party.ownership_state == 'open':
                Party._crm_check_cooldown(party, request.requester, policy)
            # quota at decision time: locked customers + other pending
            Party.lock_customers([party], request.requester, action='lock',
                reason=request.reason, rule='crm.lock.request,%s'
                % request.id, check_quota=False)
            Party._crm_check_quota(request.requester, policy, 0,
                exclude_pending=[r.id for r in requests])
        cls._write_decision(requests)

    @classmethod
    def _write_decision(cls, requests):
        user = Transaction().user or None
        with without_check_access():
            for request in requests:
                cls.write([request], {
                        'approver': user,
                        'decision_date': cls._now(),
                        'comment': request._decision_comment(),
                        })

    @classmethod
    @Workflow.transition('rejected')
    def _do_reject(cls, requests):
        pool = Pool()
        History = pool.get('crm.ownership.history')
        for request in requests:
            History.record([request.party], 'reject', None,
                reason=request._decision_comment() or request.reason,
                rule='crm.lock.request,%s' % request.id)
        cls._write_decision(requests)

    @classmethod
    @ModelView.button
    def cancel(cls, requests):
        "Cancel requests; a running approval is withdrawn (撤回)"
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        running = [r.approval_instance for r in requests
            if r.approval_state == 'running' and r.approval_instance]
        if running:
            Instance.withdraw(running)
        cls._do_cancel([r for r in cls.browse(requests)
                if r.state in {'draft', 'pending'}])

    @classmethod
    @Workflow.transition('cancelled')
    def _do_cancel(cls, requests):
        pass

    @staticmethod
    def _now():
        import datetime
        return datetime.datetime.now()


class RequestLockStart(ModelView):
    "Request Lock"
    __name__ = 'crm.customer.request_lock.start'
    __string__ = "Request Lock"
    customers = fields.Char("Customers", readonly=True)
    needs_approval = fields.Boolean("Needs Approval", readonly=True,
        help="The lock waits for the approval of your supervisor; "
        "otherwise the customers are locked to you at once.")
    reason = fields.Text("Reason", required=True,
        help="Why you apply for the customers: the approver reads it and "
        "it is kept in their ownership history.")


class RequestLockDone(ModelView):
    "Request Lock"
    __name__ = 'crm.customer.request_lock.done'
    __string__ = "Lock Requested"
    result = fields.Text("Result", readonly=True)


class RequestLock(CustomerWizardMixin, Wizard):
    "Request Lock"
    __name__ = 'crm.customer.request_lock'
    _taken_message = 'crm_ext.msg_not_open'
    start = StateView('crm.customer.request_lock.start',
        'crm_ext.customer_request_lock_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Request Lock", 'request', 'tryton-ok', default=True),
            ])
    request = StateTransition()
    done = StateView('crm.customer.request_lock.done',
        'crm_ext.customer_request_lock_done_view_form', [
            Button("OK", 'end', 'tryton-ok', default=True),
            ])

    def _employee(self):
        employee = self.model._crm_current_employee()
        if not employee:
            raise OwnershipError(gettext('crm_ext.msg_no_employee'))
        return employee

    def default_start(self, fields):
        "Tell at once why the customers cannot be claimed, if so"
        pool = Pool()
        Request = pool.get('crm.lock.request')
        needs_approval = Request.check_claimable(
            list(self.records), self._employee())
        with without_check_access():
            names = [p.rec_name for p in self.model.browse(self.records)]
        return {
            'customers': ', '.join(names),
            'needs_approval': any(needs_approval.values()),
            }

    def transition_request(self):
        pool = Pool()
        Request = pool.get('crm.lock.request')
        requests = self.model.request_lock_customers(
            list(self.records), reason=self.start.reason)
        self.done.result = Request.outcome(requests)
        return 'done'

    def default_done(self, fields):
        return {'result': self.done.result}
