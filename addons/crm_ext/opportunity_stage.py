# This file is part of the crm_ext module.
"""Opportunity stages (milestones), stage history and the stage-duration
report (SPEC CRM-D2)"""
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Avg, Count, Max, Sum
from sql.conditionals import Case, Coalesce

from trytond import backend
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

DAY = 24 * 60 * 60


class OpportunityStage(sequence_ordered(), DeactivableMixin, ModelSQL,
        ModelView):
    "Opportunity Stage"
    __name__ = 'crm.opportunity.stage'
    __string__ = "Opportunity Stage"
    name = fields.Char("Name", required=True, translate=True)
    probability = fields.Float("Probability", digits=(1, 4), required=True,
        domain=[
            ('probability', '>=', 0),
            ('probability', '<=', 1),
            ],
        help="The conversion probability given to an opportunity that "
        "enters the stage.")
    max_days = fields.Integer("Maximum Days",
        domain=[If(Eval('max_days'), ('max_days', '>', 0), ())],
        help="An opportunity staying longer in the stage is flagged as "
        "stuck. Leave empty for no limit.")
    description = fields.Text("Description", translate=True,
        help="What must be done to leave the stage (its milestone).")

    @classmethod
    def default_probability(cls):
        return 0.1

    @classmethod
    def first(cls):
        "Return the first active stage or None"
        with without_check_access():
            stages = cls.search([], limit=1)
        return stages[0] if stages else None


class OpportunityStageHistory(ModelSQL, ModelView):
    "Opportunity Stage History"
    __name__ = 'crm.opportunity.stage.history'
    __string__ = "Opportunity Stage History"
    opportunity = fields.Many2One('sale.opportunity', "Opportunity",
        required=True, readonly=True, ondelete='CASCADE')
    stage = fields.Many2One('crm.opportunity.stage', "Stage", required=True,
        readonly=True, ondelete='RESTRICT')
    start = fields.Timestamp("Start", required=True, readonly=True)
    end = fields.Timestamp("End", readonly=True,
        help="Empty while the opportunity is in the stage.")
    days = fields.Float("Days", digits=(16, 2), readonly=True,
        help="Time spent in the stage, in days (set when it is left).")
    days_so_far = fields.Function(fields.Float("Days", digits=(16, 2),
            help="Time spent in the stage, in days, up to now when the "
            "opportunity is still in it."), 'get_days_so_far')
    employee = fields.Many2One('company.employee', "Salesperson",
        readonly=True, ondelete='SET NULL',
        help="The salesperson of the opportunity when it entered the stage.")
    user = fields.Many2One('res.user', "Moved By", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('opportunity')
        t = cls.__table__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range()),
                    (t.start, Index.Range())),
                Index(t, (t.opportunity, Index.Range()),
                    where=t.end == Null),
                Index(t, (t.stage, Index.Range()), (t.start, Index.Range())),
                Index(t, (t.employee, Index.Range()),
                    (t.start, Index.Range())),
                })

    def get_days_so_far(self, name):
        if self.days is not None:
            return self.days
        return round(
            (dt.datetime.now() - self.start).total_seconds() / DAY, 2)

    @classmethod
    def close(cls, opportunities, now=None):
        "End the open rows of the opportunities"
        now = now or dt.datetime.now()
        ids = [o.id for o in opportunities]
        rows = []
        with without_check_access():
            for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                rows.extend(cls.search([
                            ('opportunity', 'in', list(sub_ids)),
                            ('end', '=', None),
                            ]))
            args = []
            for row in rows:
                args.extend(([row], {
                            'end': now,
                            'days': round(
                                max((now - row.start).total_seconds(), 0)
                                / DAY, 2),
                            }))
            if args:
                cls.write(*args)
        return rows

    @classmethod
    def open(cls, opportunities, now=None):
        "Start a row for the current stage of the opportunities"
        now = now or dt.datetime.now()
        user = Transaction().user or None
        vlist = [{
                'opportunity': o.id,
                'stage': o.stage.id,
                'start': now,
                'employee': o.employee.id if o.employee else None,
                'user': user,
                } for o in opportunities if o.stage]
        with without_check_access():
            return cls.create(vlist)


class OpportunityStageDurationContext(ModelView):
    "Stage Duration Context"
    __name__ = 'crm.opportunity.stage.duration.context'
    __string__ = "Stage Duration Context"
    from_date = fields.Date("From Date",
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ())],
        help="Only the stages entered from this date.")
    to_date = fields.Date("To Date",
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())],
        help="Only the stages entered up to this date.")
    salesperson = fields.Many2One('company.employee', "Salesperson")

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')

    @classmethod
    def default_salesperson(cls):
        return Transaction().context.get('salesperson')


class OpportunityStageDuration(ModelSQL, ModelView):
    "Stage Duration"
    __name__ = 'crm.opportunity.stage.duration'
    __string__ = "Stage Duration"
    stage = fields.Many2One('crm.opportunity.stage', "Stage")
    sequence = fields.Integer("Sequence")
    entries = fields.Integer("Entries",
        help="How many times opportunities entered the stage.")
    current = fields.Integer("In Stage Now",
        help="Opportunities currently in the stage.")
    left = fields.Integer("Left",
        help="Stage entries that ended (the opportunity moved on or "
        "closed).")
    average_days = fields.Float("Average Days", digits=(16, 2),
        help="Average time spent in the stage by the entries that ended.")
    max_days = fields.Float("Longest Days", digits=(16, 2))
    total_days = fields.Float("Total Days", digits=(16, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sequence', 'ASC'), ('stage', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """One row per stage; the history is aggregated in a subquery
        LEFT JOINed on its grouping key, so that the client's search (ids
        and order only) reads the stages alone (PostgreSQL removes the unused
        join) and only the read aggregates the history"""
        pool = Pool()
        History = pool.get('crm.opportunity.stage.history')
        Stage = pool.get('crm.opportunity.stage')
        history = History.__table__()
        stage = Stage.__table__()
        totals = history.select(
            history.stage.as_('stage'),
            Count().as_('entries'),
            Sum(Case((history.end == Null, 1), else_=0)).as_('current'),
            Count(history.days).as_('left'),
            Avg(history.days).as_('average_days'),
            Max(history.days).as_('max_days'),
            Sum(history.days).as_('total_days'),
            where=cls._where(history),
            group_by=[history.stage])
        return stage.join(totals, 'LEFT',
            condition=totals.stage == stage.id
            ).select(
                stage.id.as_('id'),
                stage.id.as_('stage'),
                stage.sequence.as_('sequence'),
                Coalesce(totals.entries, 0).as_('entries'),
                Coalesce(totals.current, 0).as_('current'),
                Coalesce(totals.left, 0).as_('left'),
                totals.average_days.as_('average_days'),
                totals.max_days.as_('max_days'),
                totals.total_days.as_('total_days'),
                )

    @classmethod
    def _where(cls, history):
        Date = Pool().get('ir.date')
        context = Transaction().context
        where = Literal(True)
        if context.get('from_date'):
            where &= history.start >= Date.company_midnight(
                context['from_date'])
        if context.get('to_date'):
            where &= history.start < Date.company_midnight(
                context['to_date'] + dt.timedelta(days=1))
        if context.get('salesperson'):
            where &= history.employee == context['salesperson']
        return where
