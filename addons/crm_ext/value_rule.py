# This file is part of the crm_ext module.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields, sequence_ordered
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access


class ValueRule(sequence_ordered(), ModelSQL, ModelView):
    "Customer Value Rule"
    __name__ = 'crm.value.rule'
    __string__ = "Customer Value Rule"
    value_class = fields.Many2One(
        'crm.value.class', "Value Class", required=True, ondelete='CASCADE')
    period_days = fields.Integer("Period (Days)", required=True,
        help="Revenue and purchase count are summed over this period.")
    min_revenue = fields.Numeric("Minimal Revenue", digits=(16, 2),
        help="Untaxed amount of the confirmed sales in the period.")
    min_orders = fields.Integer("Minimal Purchases",
        help="Number of confirmed sales in the period.")
    max_recency_days = fields.Integer("Maximal Days Since Last Purchase")

    @classmethod
    def default_period_days(cls):
        return 365

    def get_rec_name(self, name):
        return self.value_class.rec_name

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            for value in [rule.period_days, rule.min_revenue,
                    rule.min_orders, rule.max_recency_days]:
                if value is not None and value < 0:
                    raise ValidationError(gettext(
                            'crm_ext.msg_negative_days'))

    def match(self, revenue, orders, recency):
        if self.min_revenue is not None and revenue < self.min_revenue:
            return False
        if self.min_orders is not None and orders < self.min_orders:
            return False
        if self.max_recency_days is not None and (
                recency is None or recency > self.max_recency_days):
            return False
        return True

    @classmethod
    def _statistics(cls, period_days, today):
        "Return {party: (revenue, orders, last date)} from confirmed sales"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        start = today - dt.timedelta(days=period_days)
        cursor.execute(*sale.select(
                sale.party,
                Sum(Coalesce(sale.untaxed_amount_cache, 0)),
                Count(sale.id), Max(sale.sale_date),
                where=sale.state.in_(['confirmed', 'processing', 'done'])
                & (sale.sale_date >= start),
                group_by=[sale.party]))
        return {p: (Decimal(str(r or 0)), c, d)
            for p, r, c, d in cursor}

    @classmethod
    def compute_all(cls, parties=None):
        """Compute the value class of the customers; changes are recorded
        in the value history"""
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.value.history')
        Date = pool.get('ir.date')
        today = Date.today()
        rules = cls.search([])
        if not rules:
            return
        stats = {}
        for period in {r.period_days for r in rules}:
            stats[period] = cls._statistics(period, today)
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        where = party.crm_type != Null
        if parties is not None:
            where &= fields.SQL_OPERATORS['in'](
                party.id, [p.id for p in parties])
        cursor.execute(*party.select(party.id, party.value_class,
                where=where))
        changes = defaultdict(list)
        history = []
        for party_id, current in cursor.fetchall():
            new = None
            for rule in rules:
                revenue, orders, last = stats[rule.period_days].get(
                    party_id, (Decimal(0), 0, None))
                if isinstance(last, str):
                    last = dt.date.fromisoformat(last[:10])
                recency = (today - last).days if last else None
                if rule.match(revenue, orders, recency):
                    new = rule
                    break
            new_class = new.value_class.id if new else None
            if new_class != current:
                changes[new_class].append(party_id)
                history.append({
                        'party': party_id,
                        'date': today,
                        'old_class': current,
                        'new_class': new_class,
                        'rule': new.id if new else None,
                        })
        for value_class, party_ids in changes.items():
            for sub_ids in grouped_slice(party_ids, 1000):
                cursor.execute(*party.update(
                        [party.value_class], [value_class],
                        where=fields.SQL_OPERATORS['in'](party.id, sub_ids)))
        if history:
            with without_check_access():
                History.create(history)
        Party._crm_invalidate()


class ValueHistory(ModelSQL, ModelView):
    "Customer Value History"
    __name__ = 'crm.value.history'
    __string__ = "Customer Value History"
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True, readonly=True)
    old_class = fields.Many2One('crm.value.class', "Old Class",
        readonly=True, ondelete='SET NULL')
    new_class = fields.Many2One('crm.value.class', "New Class",
        readonly=True, ondelete='SET NULL')
    rule = fields.Many2One('crm.value.rule', "Rule", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('party')
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))


class ValueDistribution(ModelSQL, ModelView):
    "Customer Value Distribution"
    __name__ = 'crm.value.distribution'
    __string__ = "Customer Value Distribution"
    value_class = fields.Many2One('crm.value.class', "Value Class")
    customers = fields.Integer("Customers")
    locked = fields.Integer("Locked")
    open_pool = fields.Integer("Open Pool")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('customers', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        return party.select(
            Min(party.id).as_('id'),
            party.value_class.as_('value_class'),
            Count(party.id).as_('customers'),
            Sum(Case((party.ownership_state == 'locked', Literal(1)),
                    else_=Literal(0))).as_('locked'),
            Sum(Case((party.ownership_state == 'open', Literal(1)),
                    else_=Literal(0))).as_('open_pool'),
            where=party.crm_type != Null,
            group_by=[party.value_class])
