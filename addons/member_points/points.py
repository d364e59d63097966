# This file is part of the member_points module.
from collections import defaultdict
from contextlib import contextmanager
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Column, Literal, Null, Table, Values
from sql.operators import Exists
from sql.aggregate import Sum
from sql.conditionals import Case
from sql.functions import CurrentTimestamp, Div, Round
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from oa_workflow.row_lock import lock_rows

from .exceptions import PointsValidationError
from .member import EARNING_TYPES, browse_sliced, invalidate_cache


class Rule(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Member Points Rule"
    __name__ = 'member.points.rule'

    name = fields.Char("Name", required=True, translate=True)
    tier = fields.Many2One('member.tier', "Tier", ondelete='CASCADE',
        help="Apply only to the members of this tier; empty for all.")
    category = fields.Many2One('product.category', "Product Category",
        ondelete='CASCADE',
        help="Apply only to the products of this category "
        "(or of its sub-categories); empty for all.")
    rate = fields.Numeric("Points per Amount Unit", digits=(16, 4),
        required=True, domain=[('rate', '>=', 0)],
        help="Points earned for each unit of amount purchased.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('rate_positive', Check(t, t.rate >= 0),
                'member_points.msg_rule_rate_positive'),
            ]

    @classmethod
    def default_rate(cls):
        return Decimal(1)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Check before writing to give a clear message
        if values.get('rate') is not None and values['rate'] < 0:
            raise PointsValidationError(gettext(
                    'member_points.msg_rule_rate_positive'))
        return values

    def match(self, tier, category):
        "Return whether the rule applies to a member of tier in category"
        if self.tier and self.tier != tier:
            return False
        if self.category:
            if not category:
                return False
            parent = category
            while parent:
                if parent == self.category:
                    break
                parent = parent.parent
            else:
                return False
        return True

    @classmethod
    def get_rate(cls, tier, category, rules=None):
        """Return the points per amount unit of the first rule matching
        tier and category, multiplied by the rate of the tier"""
        if rules is None:
            rules = cls.search([])
        for rule in rules:
            if rule.match(tier, category):
                rate = rule.rate
                if tier:
                    rate *= tier.rate
                return rate
        return Decimal(0)

    @staticmethod
    def points_of(amount, rate):
        "Return the whole points earned for amount at rate"
        points = (Decimal(amount) * rate).quantize(
            Decimal(1), rounding=ROUND_DOWN)
        return max(int(points), 0)

    @classmethod
    def rates_table(cls, pairs, rules=None):
        """Return a VALUES table of tier, category, numerator and denominator
        of the rate of each (tier id, category id) pair (0 for none)"""
        pool = Pool()
        Tier = pool.get('member.tier')
        Category = pool.get('product.category')
        if rules is None:
            rules = cls.search([])
        rows = []
        for tier, category in pairs:
            rate = cls.get_rate(
                Tier(tier) if tier else None,
                Category(category) if category else None, rules)
            rows.append([tier, category, *rate.as_integer_ratio()])
        return Values(rows)

    @staticmethod
    def points_sql(amount, numerator, denominator):
        """Return the SQL expression of points_of for amount (2 decimals) at
        the rate numerator / denominator: exact integer arithmetic rounded
        down, on every backend (no float on SQLite)"""
        cents = Cast(Round(amount * 100), 'BIGINT')
        return Cast(Div(cents * Cast(numerator, 'NUMERIC'),
                Cast(denominator * 100, 'NUMERIC')), 'INTEGER')

    @classmethod
    def compute_points(cls, member, category, amount, rules=None):
        "Return the points earned by member for amount in category"
        return cls.points_of(
            amount, cls.get_rate(member.tier, category, rules))


class Line(ModelSQL, ModelView):
    "Member Points Line"
    __name__ = 'member.points.line'

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='RESTRICT', readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    type = fields.Selection([
            ('earn', "Earn"),
            ('referral', "Referral Reward"),
            ('birthday', "Birthday Bonus"),
            ('adjust', "Adjustment"),
            ('redeem', "Redemption"),
            ('expire', "Expiry"),
            ('reverse', "Reversal"),
            ], "Type", required=True, readonly=True)
    type_string = type.translated('type')
    points = fields.Integer("Points", required=True, readonly=True)
    remaining = fields.Integer("Remaining", readonly=True,
        help="The part of the points not yet used nor expired.")
    amount = fields.Numeric("Amount", digits=(16, 2), readonly=True,
        help="The purchase amount which earned the points.")
    expiry_date = fields.Date("Expiry Date", readonly=True)
    origin = fields.Reference("Origin", selection='get_origin',
        readonly=True)
    reversal_of = fields.Many2One('member.points.line', "Reversal of",
        readonly=True, ondelete='RESTRICT')
    reversed_by = fields.One2Many('member.points.line', 'reversal_of',
        "Reversed by", readonly=True)
    description = fields.Char("Description", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_constraints += [
            ('remaining_positive', Check(t, t.remaining >= 0),
                'member_points.msg_line_remaining_positive'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.member, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.origin, Index.Equality())),
                Index(t, (t.reversal_of, Index.Range())),
                Index(t,
                    (t.expiry_date, Index.Range()),
                    where=t.remaining > 0),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_remaining(cls):
        return 0

    @classmethod
    def _get_origin(cls):
        return ['sale.sale', 'member.purchase', 'member.redemption',
            'member.adjustment', 'member.points.line']

    @classmethod
    def get_origin(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origin()]

    def get_rec_name(self, name):
        return f'{self.member.rec_name} {self.date} {self.points:+d}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('member.rec_name',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode in {'write', 'delete'}:
            raise AccessError(gettext('member_points.msg_line_immutable'))

    @classmethod
    def copy(cls, lines, default=None):
        if lines:
            raise AccessError(gettext('member_points.msg_line_immutable'))
        return super().copy(lines, default=default)

    @classmethod
    def compute_expiry_date(cls, date):
        pool = Pool()
        Configuration = pool.get('member.configuration')
        config = Configuration(1)
        if config.expiry_months:
            return date + relativedelta(months=config.expiry_months)

    @classmethod
    def expiry_dates_sql(cls, dates, date_column):
        """Return the table (or None) to LEFT JOIN on date_column and the
        expression of compute_expiry_date for it: computed in Python once
        per date"""
        rows = [[d, e] for d, e in (
                (d, cls.compute_expiry_date(d)) for d in dates) if e]
        if not rows:
            return None, Cast(Null, cls.expiry_date.sql_type().base)
        table = Values(rows)
        return table, table.column2

    @classmethod
    def origin_sql(cls, Model, id_column):
        "Return the SQL expression of the origin Model,id stored in origin"
        return Concat(Model.__name__ + ',',
            Cast(id_column, cls.origin.sql_type().base))

    @classmethod
    @contextmanager
    def entries_table(cls, entries):
        """Materialize in a temporary table, for the statements of the block,
        the query of ledger entries: member, type, points, amount, date,
        origin, description and expiry_date"""
        cursor = Transaction().connection.cursor()
        table = Table('member_points_entries')
        names = ['member', 'type', 'points', 'amount', 'date', 'origin',
            'description', 'expiry_date']
        # CREATE TABLE AS takes no parameter on PostgreSQL
        cursor.execute('CREATE TEMPORARY TABLE "%s" (%s)' % (
                table._name, ', '.join('"%s" %s' % (
                        n, cls._fields[n].sql_type().base) for n in names)))
        cursor.execute(*table.insert(
                [Column(table, n) for n in names],
                entries.select(*(Column(entries, n) for n in names))))
        yield table
        # Not in a finally: an error rolls the creation back
        cursor.execute('DROP TABLE "%s"' % table._name)

    @classmethod
    def insert_entries(cls, entries):
        """Insert in one statement the lines of entries (a table as made by
        entries_table) of positive lines (nothing consumed)"""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.insert(
                [table.create_uid, table.create_date, table.member,
                    table.type, table.points, table.remaining, table.amount,
                    table.date, table.origin, table.description,
                    table.expiry_date],
                entries.select(
                    Literal(transaction.user), CurrentTimestamp(),
                    entries.member, entries.type, entries.points,
                    entries.points, entries.amount, entries.date,
                    entries.origin, entries.description,
                    entries.expiry_date)))

    @classmethod
    def sum_points(cls, member, to_date=None):
        line = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = line.member == member.id
        if to_date:
            where &= line.date <= to_date
        cursor.execute(*line.select(Sum(line.points), where=where))
        return cursor.fetchone()[0] or 0

    @classmethod
    def members_with_earnings(cls, member_ids):
        "Return the set of the members with an earn line not reversed"
        line = cls.__table__()
        reversal = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = set()
        for sub_ids in grouped_slice(member_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(line.member,
                    where=fields.SQL_OPERATORS['in'](
                        line.member, list(sub_ids))
                    & (line.type == 'earn')
                    & ~Exists(reversal.select(Literal(1),
                            where=reversal.reversal_of == line.id)),
                    group_by=[line.member]))
            result.update(m for m, in cursor)
        return result

    @classmethod
    def _insert(cls, values):
        """Insert the new lines of values in bulk and return their ids.

        The ledger is written only by post: its values are complete and
        checked there, so the lines skip the per-record ORM create."""
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        names = ['member', 'type', 'points', 'date', 'origin',
            'description', 'amount', 'reversal_of', 'expiry_date',
            'remaining']
        columns = [getattr(table, n) for n in names] + [
            table.create_uid, table.create_date]
        user = transaction.user
        now = CurrentTimestamp()
        ids = []
        for sub_values in grouped_slice(values, 1000):
            rows = [[v[n] for n in names] + [user, now] for v in sub_values]
            if database.has_returning():
                cursor.execute(*table.insert(
                        columns, rows, returning=[table.id]))
                ids.extend(i for i, in cursor)
            else:
                for row in rows:
                    cursor.execute(*table.insert(columns, [row]))
                    ids.append(database.lastid(cursor))
        transaction.create_records[cls.__name__].extend(ids)
        return ids

    @classmethod
    def _consume(cls, target, first=None):
        """Consume the points of the negative line target from the remaining
        of the positive lines of the member: the line first (if any) then
        the oldest expiry first. The allocations are recorded so a reversal
        restores the points on the same lines."""
        pool = Pool()
        Allocation = pool.get('member.points.allocation')
        line = cls.__table__()
        allocation = Allocation.__table__()
        cursor = Transaction().connection.cursor()
        quantity = -target.points
        order_by = []
        if first:
            order_by.append(Case((line.id == first, 0), else_=1))
        order_by += [
            Case((line.expiry_date == Null, 1), else_=0),
            line.expiry_date.asc, line.date.asc, line.id.asc]
        cursor.execute(*line.select(
                line.id, line.remaining,
                where=(line.member == target.member.id)
                & (line.remaining > 0),
                order_by=order_by))
        updates = []
        for line_id, remaining in cursor:
            if quantity <= 0:
                break
            take = min(remaining, quantity)
            quantity -= take
            updates.append((line_id, remaining - take, take))
        if quantity > 0:
            Member = pool.get('member.member')
            raise Member.insufficient_points(
                target.member.id, -target.points)
        for line_id, remaining, _ in updates:
            cursor.execute(*line.update(
                    [line.remaining], [remaining],
                    where=line.id == line_id))
        if updates:
            cursor.execute(*allocation.insert(
                    [allocation.source, allocation.target,
                        allocation.points],
                    [[line_id, target.id, take]
                        for line_id, _, take in updates]))
        invalidate_cache(cls, [u[0] for u in updates])

    @classmethod
    def _restore(cls, reversed_line):
        "Give back the points consumed by reversed_line to their lines"
        pool = Pool()
        Allocation = pool.get('member.points.allocation')
        line = cls.__table__()
        allocation = Allocation.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*allocation.select(
                allocation.source, allocation.points,
                where=allocation.target == reversed_line))
        sources = cursor.fetchall()
        for source, points in sources:
            cursor.execute(*line.update(
                    [line.remaining], [line.remaining + points],
                    where=line.id == source))
        invalidate_cache(cls, [s for s, _ in sources])

    @classmethod
    @without_check_access
    def post(cls, entries):
        """Insert ledger lines and update the member balances.

        Each entry is a dictionary with: member (id), type, points (signed),
        date and optionally origin, description, expiry_date, amount,
        reversal_of (line id).
        Negative entries lock the members first and are refused when the
        balance is not enough."""
        pool = Pool()
        Member = pool.get('member.member')
        # Lines without points are kept when they carry a purchase amount
        entries = [e for e in entries if e.get('points') or e.get('amount')]
        if not entries:
            return []
        to_lock = {e['member'] for e in entries if e['points'] < 0}
        if to_lock:
            lock_rows(Member.browse(sorted(to_lock)))
            # Check first so nothing is changed when the balance is not enough
            deltas = defaultdict(int)
            for entry in entries:
                if entry['member'] in to_lock:
                    deltas[entry['member']] -= entry['points']
            Member.check_balances(deltas)

        reversed_lines = {}
        reversal_ids = [e['reversal_of'] for e in entries
            if e.get('reversal_of')]
        if reversal_ids:
            reversed_lines = {l.id: l for l in cls.browse(reversal_ids)}

        member_deltas = defaultdict(lambda: [0, 0, Decimal(0)])
        positives, negatives, restores = [], [], []
        for entry in entries:
            values = {
                'member': entry['member'],
                'type': entry['type'],
                'points': entry['points'],
                'date': entry['date'],
                'origin': entry.get('origin'),
                'description': entry.get('description'),
                'amount': entry.get('amount'),
                'reversal_of': entry.get('reversal_of'),
                'expiry_date': entry.get('expiry_date'),
                'remaining': 0,
                }
            reversed_line = reversed_lines.get(entry.get('reversal_of'))
            if entry['points'] > 0:
                if reversed_line:
                    # The points go back to the lines they were taken from
                    restores.append(reversed_line.id)
                else:
                    values['remaining'] = entry['points']
                positives.append(values)
            else:
                negatives.append(values)
            delta = member_deltas[entry['member']]
            delta[0] += entry['points']
            if (entry['type'] in EARNING_TYPES
                    or (reversed_line
                        and reversed_line.type in EARNING_TYPES)):
                delta[1] += entry['points']
            delta[2] += entry.get('amount') or 0

        # Positive lines first so they can be consumed by the negative ones
        lines = browse_sliced(cls, cls._insert(positives))
        for reversed_line in restores:
            cls._restore(reversed_line)
        for values in negatives:
            line, = cls.create([values])
            cls._consume(line, first=values.get('reversal_of'))
            lines.append(line)
        Member._update_balances(
            {m: tuple(d) for m, d in member_deltas.items()})
        return lines

    @classmethod
    def reverse(cls, lines, date=None):
        "Post the reversal of lines not yet reversed"
        pool = Pool()
        Date = pool.get('ir.date')
        date = date or Date.today()
        entries = []
        for line in lines:
            if line.type in {'reverse', 'expire'} or line.reversed_by:
                continue
            entries.append({
                    'member': line.member.id,
                    'type': 'reverse',
                    'points': -line.points,
                    'date': date,
                    'origin': str(line.origin) if line.origin else None,
                    'reversal_of': line.id,
                    'amount': -line.amount if line.amount else None,
                    'description': gettext(
                        'member_points.msg_reversal_description',
                        type=line.type_string),
                    })
        return cls.post(entries)

    @classmethod
    def reverse_origins(cls, origins, date=None):
        "Reverse all the lines of the origins"
        pool = Pool()
        Member = pool.get('member.member')
        origins = [str(o) for o in origins]
        if not origins:
            return []
        lines = cls.search([
                ('origin', 'in', origins),
                ('type', 'not in', ['reverse', 'expire']),
                ('reversed_by', '=', None),
                ], order=[('id', 'ASC')])
        result = cls.reverse(lines, date=date)
        Member.update_tiers(list({l.member for l in lines}), date=date)
        return result

    @classmethod
    def expire_points(cls, date=None):
        """Expire the remaining points of the lines past their expiry date
        with a few set-based statements"""
        pool = Pool()
        Member = pool.get('member.member')
        Date = pool.get('ir.date')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        date = date or Date.today()
        line = cls.__table__()
        expiring = cls.__table__()
        member = Member.__table__()

        def condition(table):
            return ((table.expiry_date <= date)
                & (table.remaining > 0))

        # 1. One expire line per expired line, linked to it by its origin
        cursor.execute(*line.insert(
                [line.create_uid, line.create_date, line.member, line.date,
                    line.type, line.points, line.remaining, line.origin,
                    line.description],
                expiring.select(
                    Literal(transaction.user), CurrentTimestamp(),
                    expiring.member, Literal(date), Literal('expire'),
                    -expiring.remaining, Literal(0),
                    cls.origin_sql(cls, expiring.id),
                    Literal(None),
                    where=condition(expiring))))
        # 2. Decrease the balances (one aggregate, joined: not a subquery
        # per member)
        expired = expiring.select(
            expiring.member, Sum(expiring.remaining).as_('points'),
            where=condition(expiring), group_by=[expiring.member])
        cursor.execute(*member.update(
                [member.balance], [member.balance - expired.points],
                from_=[expired], where=member.id == expired.member))
        # 3. Nothing remains on the expired lines
        cursor.execute(*line.update(
                [line.remaining], [0], where=condition(line)))
        transaction.counter += 1
        for cache in transaction.cache.values():
            cache.pop(cls.__name__, None)
            cache.pop(Member.__name__, None)


class Allocation(ModelSQL):
    "Member Points Allocation"
    __name__ = 'member.points.allocation'

    source = fields.Many2One('member.points.line', "Source", required=True,
        ondelete='CASCADE',
        help="The positive line whose points are used.")
    target = fields.Many2One('member.points.line', "Target", required=True,
        ondelete='CASCADE',
        help="The negative line which uses the points.")
    points = fields.Integer("Points", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.target, Index.Range())),
                Index(t, (t.source, Index.Range())),
                })
