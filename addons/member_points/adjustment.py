# This file is part of the member_points module.
from trytond.i18n import gettext
from trytond.model import (
    Check, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from oa_workflow.approval import ApprovalMixin
from oa_workflow.deletable import DeletableStatesMixin

from .exceptions import PointsValidationError


class Adjustment(DeletableStatesMixin, ApprovalMixin, Workflow, ModelSQL,
        ModelView):
    """Member Points Adjustment

    Adjustments of more points (in absolute value) than the configured
    threshold go through the approval engine of oa_workflow: the flow for
    "member.adjustment" decides who approves (a default flow sends them to
    the sales supervisors; consultants change it in Office > Approvals >
    Flows).  The points are posted when the flow approves."""
    __name__ = 'member.adjustment'
    _delete_message = 'member_points.msg_adjustment_delete'
    _delete_message_name = 'adjustment'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[('state', '=', 'active')])
    date = fields.Date("Date", required=True, states=_states)
    points = fields.Integer("Points", required=True, states=_states,
        domain=[('points', '!=', 0)],
        help="Positive to add points, negative to remove points.")
    reason = fields.Text("Reason", required=True, states=_states)
    requested_by = fields.Many2One('res.user', "Requested by", readonly=True)
    approved_by = fields.Many2One('res.user', "Decided by", readonly=True)
    decision_date = fields.Date("Decision Date", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('waiting', "Waiting Approval"),
            ('approved', "Approved"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_constraints += [
            ('points_not_zero', Check(t, t.points != 0),
                'member_points.msg_adjustment_points_not_zero'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.member, Index.Range()), (t.date, Index.Range())))
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low')),
                where=t.state == 'waiting'))
        cls._order.insert(0, ('date', 'DESC'))
        cls._transitions |= {
            ('draft', 'waiting'),
            ('draft', 'approved'),
            ('waiting', 'approved'),
            ('waiting', 'cancelled'),
            ('waiting', 'draft'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })
        # adjustments go to approval through the Request button only
        cls._buttons['submit_approval']['invisible'] = True

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return f'{self.member.rec_name} {self.points:+d}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('member.rec_name',) + tuple(clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Check before writing to give a clear message
        if 'points' in values and not values['points']:
            raise PointsValidationError(gettext(
                    'member_points.msg_adjustment_points_not_zero'))
        return values

    def needs_approval(self):
        pool = Pool()
        Configuration = pool.get('member.configuration')
        config = Configuration(1)
        return abs(self.points) > (config.adjust_approval_threshold or 0)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, adjustments):
        cls.write(adjustments, {
                'approved_by': None,
                'decision_date': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, adjustments):
        pass

    @classmethod
    @ModelView.button
    def request(cls, adjustments):
        """Apply the adjustments under the threshold, submit the others to
        the approval engine"""
        pool = Pool()
        Member = pool.get('member.member')
        adjustments = [a for a in adjustments if a.state == 'draft']
        # Refuse early removals of more points than the balance
        needs = {}
        for adjustment in adjustments:
            if adjustment.points < 0:
                needs.setdefault(adjustment.member.id, 0)
                needs[adjustment.member.id] -= adjustment.points
        Member.check_balances(needs)
        waiting = [a for a in adjustments if a.needs_approval()]
        for adjustment in waiting:
            if not adjustment.approval_find_flow():
                raise UserError(gettext(
                        'member_points.msg_adjustment_no_flow',
                        adjustment=adjustment.rec_name))
        cls.write(adjustments, {
                'requested_by': Transaction().user,
                })
        direct = [a for a in adjustments if not a.needs_approval()]
        if direct:
            cls.apply(direct)
        if waiting:
            cls.wait(waiting)
            cls.submit_approval(waiting)

    @classmethod
    @Workflow.transition('waiting')
    def wait(cls, adjustments):
        pass

    @classmethod
    @Workflow.transition('approved')
    def apply(cls, adjustments):
        "Post the points in the ledger"
        pool = Pool()
        Line = pool.get('member.points.line')
        Member = pool.get('member.member')
        entries = []
        for adjustment in adjustments:
            entry = {
                'member': adjustment.member.id,
                'type': 'adjust',
                'points': adjustment.points,
                'date': adjustment.date,
                'origin': str(adjustment),
                'description': adjustment.reason[:200],
                }
            if adjustment.points > 0:
                entry['expiry_date'] = Line.compute_expiry_date(
                    adjustment.date)
            entries.append(entry)
        Line.post(entries)
        cls._decided(adjustments)
        Member.update_tiers(list({a.member for a in adjustments}))

    @classmethod
    def _decided(cls, adjustments):
        "Record who decided (the last approver) and when"
        Date = Pool().get('ir.date')
        cls.write(adjustments, {
                'approved_by': Transaction().user,
                'decision_date': Date.today(),
                })

    # Approval hooks: the approver may not be allowed to write adjustments
    def approval_get_requester(self):
        if self.requested_by:
            return self.requested_by.id
        return super().approval_get_requester()

    @classmethod
    def approval_approved(cls, adjustments):
        with without_check_access():
            cls.apply(adjustments)

    @classmethod
    def approval_rejected(cls, adjustments):
        "Nothing is posted"
        with without_check_access():
            cls.cancel(adjustments)
            cls._decided(adjustments)

    approval_cancelled = approval_rejected

    @classmethod
    def approval_returned(cls, adjustments):
        "Back to draft to be corrected and requested again"
        with without_check_access():
            cls.draft(adjustments)

    approval_withdrawn = approval_returned
