# This file is part of the member_points module.
from trytond.i18n import gettext
from trytond.model import (
    Check, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import InsufficientPointsError, PointsValidationError


class Adjustment(Workflow, ModelSQL, ModelView):
    """Member Points Adjustment

    Adjustments of more points (in absolute value) than the configured
    threshold wait for the approval of a sales supervisor.
    The decision is kept in the approve and reject class methods so it can
    be plugged into the approval engine."""
    __name__ = 'member.adjustment'

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
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'waiting',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'waiting',
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
    def check_modification(
            cls, mode, adjustments, values=None, external=False):
        super().check_modification(
            mode, adjustments, values=values, external=external)
        if mode == 'delete':
            for adjustment in adjustments:
                if adjustment.state not in {'draft', 'cancelled'}:
                    raise AccessError(gettext(
                            'member_points.msg_adjustment_delete',
                            adjustment=adjustment.rec_name))

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
    @Workflow.transition('waiting')
    def request(cls, adjustments):
        "Apply directly the adjustments under the threshold"
        pool = Pool()
        Member = pool.get('member.member')
        # Refuse early removals of more points than the balance
        balances = Member.read_balances({a.member.id for a in adjustments})
        for adjustment in adjustments:
            balance = balances[adjustment.member.id]
            if adjustment.points < 0 and balance + adjustment.points < 0:
                raise InsufficientPointsError(gettext(
                        'member_points.msg_insufficient_points',
                        member=adjustment.member.rec_name,
                        balance=balance,
                        points=-adjustment.points))
        cls.write(adjustments, {
                'requested_by': Transaction().user,
                })
        direct = [a for a in adjustments if not a.needs_approval()]
        waiting = [a for a in adjustments if a.needs_approval()]
        if waiting:
            cls.notify_approvers(waiting)
        if direct:
            with without_check_access():
                cls.approve(direct)

    @classmethod
    def get_approvers(cls):
        "Return the users who can approve the adjustments"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        groups = [
            ModelData.get_id('oa_workflow', 'group_sales_supervisor'),
            ModelData.get_id('oa_workflow', 'group_consultant'),
            ]
        return User.search([('groups', 'in', groups)])

    @classmethod
    def notify_approvers(cls, adjustments):
        for user in cls.get_approvers():
            cls.notify_user(adjustments, 'tryton-info',
                gettext('member_points.msg_adjustment_waiting',
                    count=len(adjustments)),
                user=user.id)

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, adjustments):
        "Decision: approve and post the points"
        pool = Pool()
        Line = pool.get('member.points.line')
        Member = pool.get('member.member')
        Date = pool.get('ir.date')
        today = Date.today()
        Member.lock(Member.browse(sorted(
            {a.member.id for a in adjustments if a.points < 0})))
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
        cls.write(adjustments, {
                'approved_by': Transaction().user,
                'decision_date': today,
                })
        Member.update_tiers(list({a.member for a in adjustments}))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def reject(cls, adjustments):
        "Decision: reject, no points are posted"
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(adjustments, {
                'approved_by': Transaction().user,
                'decision_date': Date.today(),
                })
