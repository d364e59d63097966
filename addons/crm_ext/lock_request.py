# This file is part of the crm_ext module.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import OwnershipError


class LockRequest(Workflow, ModelSQL, ModelView):
    "Customer Lock Request"
    __name__ = 'crm.lock.request'
    _rec_name = 'reason'

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
    comment = fields.Text("Comment",
        help="The approver's comment, shown to the requester.")
    can_decide = fields.Function(
        fields.Boolean("Can Decide"), 'get_can_decide')

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
        cls._buttons.update({
                'approve_button': {
                    'invisible': Eval('state') != 'pending',
                    'readonly': ~Eval('can_decide', False),
                    'depends': ['state', 'can_decide'],
                    },
                'reject_button': {
                    'invisible': Eval('state') != 'pending',
                    'readonly': ~Eval('can_decide', False),
                    'depends': ['state', 'can_decide'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'pending']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return '%s - %s' % (self.party.rec_name, self.requester.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('party.rec_name',) + tuple(clause[1:]),
            ('requester.rec_name',) + tuple(clause[1:]),
            ]

    # Who decides
    def approvers(self):
        """Return the employees allowed to decide the request: the
        requester's supervisors (all levels) and department managers"""
        employees, seen = [], {self.requester.id}
        supervisor = self.requester.supervisor
        while supervisor and supervisor.id not in seen:
            employees.append(supervisor)
            seen.add(supervisor.id)
            supervisor = supervisor.supervisor
        for manager in self.requester.department_managers():
            if manager.id != self.requester.id and manager not in employees:
                employees.append(manager)
        return employees

    def get_can_decide(self, name):
        return self._may_decide()

    def _may_decide(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        if not transaction.user:
            return True
        if ModelData.get_id('oa_workflow', 'group_general_manager') in \
                User.get_groups():
            return True
        user = User(transaction.user)
        mine = {e.id for e in user.employees}
        return any(e.id in mine for e in self.approvers())

    @classmethod
    def check_decider(cls, requests):
        for request in requests:
            if not request._may_decide():
                raise OwnershipError(gettext('crm_ext.msg_not_approver',
                        request=request.rec_name))

    # Submission
    @classmethod
    def submit(cls, parties, employee, reason=None):
        """Create lock requests of employee for the open parties

        Rows of parties and employee are locked, then state, cool-down,
        daily limit and quota (locked + pending) are checked. Without
        approval the requests are approved at once."""
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        # The employee row first: on PostgreSQL (repeatable read) the
        # snapshot is taken by the first lock, so it must be the contended
        # one for the quota count to see the concurrent claims
        Party._crm_lock_employees([employee])
        Party.lock(parties)
        Party._crm_check_salesperson(employee)
        with without_check_access():
            parties = Party.browse(parties)
            pending = cls.search([
                    ('party', 'in', [p.id for p in parties]),
                    ('requester', '=', employee.id),
                    ('state', '=', 'pending'),
                    ])
            if pending:
                raise OwnershipError(gettext('crm_ext.msg_already_requested',
                        party=pending[0].party.rec_name))
            used = Party._crm_used_quota(employee)
            count = 0
            for party in parties:
                if party.ownership_state != 'open':
                    raise OwnershipError(gettext('crm_ext.msg_not_open',
                            party=party.rec_name,
                            owner=party.owner.rec_name if party.owner
                            else '-'))
                policy = party.crm_policy
                Party._crm_check_cooldown(party, employee, policy)
                Party._crm_check_daily_limit(employee, policy, count + 1)
                Party._crm_check_quota(
                    employee, policy, 1, used=used + count)
                count += 1
            requests = cls.create([{
                        'party': p.id,
                        'requester': employee.id,
                        'reason': reason,
                        } for p in parties])
        to_pend = [r for r in requests
            if r.party.crm_policy and r.party.crm_policy.needs_approval]
        direct = [r for r in requests if r not in to_pend]
        if to_pend:
            cls.pend(to_pend)
            History.record([r.party for r in to_pend], 'request', employee,
                reason=reason)
            cls._notify_approvers(to_pend)
        if direct:
            cls._do_approve(direct)
        return requests

    @classmethod
    @Workflow.transition('pending')
    def pend(cls, requests):
        pass

    @classmethod
    def _notify_approvers(cls, requests):
        "Show the pending requests to the users who may decide them"
        pool = Pool()
        User = pool.get('res.user')
        for request in requests:
            employees = [e.id for e in request.approvers()]
            if not employees:
                continue
            with without_check_access():
                users = User.search([('employees', 'in', employees)])
            for user in users:
                cls.notify_user([request], 'tryton-info',
                    gettext('crm_ext.msg_notify_lock_request',
                        requester=request.requester.rec_name,
                        party=request.party.rec_name),
                    user=user.id)

    @classmethod
    @ModelView.button
    def approve_button(cls, requests):
        cls.approve(requests)

    @classmethod
    @ModelView.button
    def reject_button(cls, requests):
        cls.reject(requests)

    # The approval decision: the approval engine (oa_workflow) plugs in here
    @classmethod
    def approve(cls, requests):
        "Approve pending lock requests: the customers get locked"
        cls.check_decider(requests)
        cls._do_approve(requests)

    @classmethod
    def reject(cls, requests):
        "Reject pending lock requests"
        cls.check_decider(requests)
        cls._do_reject(requests)

    @classmethod
    @Workflow.transition('approved')
    def _do_approve(cls, requests):
        pool = Pool()
        Party = pool.get('party.party')
        Party._crm_lock_employees([r.requester for r in requests])
        Party.lock([r.party for r in requests])
        user = Transaction().user or None
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
        with without_check_access():
            cls.write(requests, {
                    'approver': user,
                    'decision_date': cls._now(),
                    })

    @classmethod
    @Workflow.transition('rejected')
    def _do_reject(cls, requests):
        pool = Pool()
        History = pool.get('crm.ownership.history')
        user = Transaction().user or None
        for request in requests:
            History.record([request.party], 'reject', None,
                reason=request.comment or request.reason,
                rule='crm.lock.request,%s' % request.id)
        with without_check_access():
            cls.write(requests, {
                    'approver': user,
                    'decision_date': cls._now(),
                    })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        pass

    @staticmethod
    def _now():
        import datetime
        return datetime.datetime.now()
