# This file is part of the oa_workflow module.
"""Delegation of approvals while away (SPEC OA-A4)"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access


class Delegation(ModelSQL, ModelView):
    "Approval Delegation"
    __name__ = 'oa.approval.delegation'
    __string__ = "Approval Delegation"

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE',
        help="The user who is away.")
    delegate = fields.Many2One(
        'res.user', "Delegate", required=True, ondelete='CASCADE',
        help="The user who approves instead.")
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime(
        "End", required=True)
    flows = fields.Many2Many(
        'oa.approval.delegation-oa.approval.flow', 'delegation', 'flow',
        "Flows", help="Leave empty to delegate every flow.")
    state = fields.Function(fields.Selection([
                ('planned', "Planned"),
                ('active', "Active"),
                ('expired', "Expired"),
                ], "State"), 'get_state')
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_user(cls):
        return Transaction().user or None

    @classmethod
    def default_start(cls):
        return dt.datetime.now().replace(microsecond=0)

    def get_rec_name(self, name):
        return '%s → %s' % (self.user.rec_name, self.delegate.rec_name)

    def get_state(self, name):
        now = dt.datetime.now()
        if self.start and self.start > now:
            return 'planned'
        if self.end and self.end < now:
            return 'expired'
        return 'active'

    @classmethod
    def validate_fields(cls, delegations, field_names):
        super().validate_fields(delegations, field_names)
        for delegation in delegations:
            if delegation.user == delegation.delegate:
                raise ValidationError(gettext(
                        'oa_workflow.msg_delegation_self',
                        user=delegation.user.rec_name))
            if (delegation.start and delegation.end
                    and delegation.end <= delegation.start):
                raise ValidationError(gettext(
                        'oa_workflow.msg_delegation_dates',
                        delegation=delegation.rec_name))

    @classmethod
    def on_modification(cls, mode, delegations, field_names=None):
        super().on_modification(mode, delegations, field_names=field_names)
        if mode in {'create', 'write'}:
            cls.reroute([d for d in delegations if d.state == 'active'])

    @classmethod
    def reroute(cls, delegations):
        "Send the pending tasks of the delegating users to their delegates"
        Task = Pool().get('oa.approval.task')
        with without_check_access():
            for delegation in delegations:
                domain = [
                    ('user', '=', delegation.user.id),
                    ('state', '=', 'pending'),
                    ('instance.state', '=', 'running'),
                    ]
                if delegation.flows:
                    domain.append(('instance.flow', 'in',
                            [f.id for f in delegation.flows]))
                Task.delegate(Task.search(domain))

    @classmethod
    def get_delegate(cls, user, flow, at=None):
        """Return the id of the user who approves for `user` on `flow` at
        `at` (now by default), following chains, or None"""
        at = at or dt.datetime.now()
        user_id = int(user)
        flow_id = int(flow) if flow else None
        seen = {user_id}
        current = user_id
        with without_check_access():
            for _ in range(5):
                delegations = cls.search([
                        ('user', '=', current),
                        ('start', '<=', at),
                        ('end', '>=', at),
                        ], order=[('start', 'DESC'), ('id', 'DESC')])
                delegate = None
                for delegation in delegations:
                    if (not delegation.flows
                            or flow_id in {f.id for f in delegation.flows}):
                        delegate = delegation.delegate.id
                        break
                if delegate is None or delegate in seen:
                    break
                seen.add(delegate)
                current = delegate
        return current if current != user_id else None


class DelegationFlow(ModelSQL):
    "Approval Delegation - Flow"
    __name__ = 'oa.approval.delegation-oa.approval.flow'
    __string__ = "Approval Delegation - Flow"
    delegation = fields.Many2One(
        'oa.approval.delegation', "Delegation", required=True,
        ondelete='CASCADE')
    flow = fields.Many2One(
        'oa.approval.flow', "Flow", required=True, ondelete='CASCADE')
