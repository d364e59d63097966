# This file is part of the member_points module.
import datetime
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Literal, Null, Values
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow,
    fields, sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, record_cache_size
from trytond.wizard import Button, StateReport, StateView, Wizard

from oa_workflow.rec_name import RecNameSearchMixin
from oa_workflow.row_lock import lock_rows

from .exceptions import InsufficientPointsError

EARNING_TYPES = {'earn', 'referral', 'birthday', 'adjust'}


def browse_sliced(Model, ids):
    """Browse ids by slices: each record lists only the ids of its slice
    (ModelStorage checks that list per record, so one big list would make
    large batches quadratic)"""
    return [r for sub_ids in grouped_slice(
            ids, record_cache_size(Transaction()))
        for r in Model.browse(list(sub_ids))]


def invalidate_cache(Model, ids):
    "Invalidate the caches of Model after direct SQL updates"
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            cache_cls = cache[Model.__name__]
            for id_ in ids:
                cache_cls.pop(id_, None)


def id_slices(ids):
    """Slices of ids to filter with SQL_OPERATORS['in']: all of them at once
    where the backend takes an array parameter (PostgreSQL)"""
    ids = list(ids)
    if backend.Database.has_array():
        return [ids] if ids else []
    return [list(s) for s in grouped_slice(ids, backend.MAX_QUERY_PARAMS)]


def clear_cache(*Models):
    "Clear the transaction caches of Models after set-based SQL updates"
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        for Model in Models:
            cache.pop(Model.__name__, None)


class Tier(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Member Tier"
    __name__ = 'member.tier'

    name = fields.Char("Name", required=True, translate=True)
    threshold_points = fields.Integer("Threshold Points",
        domain=['OR',
            ('threshold_points', '=', None),
            ('threshold_points', '>=', 0),
            ],
        help="Cumulative points from which a member reaches this tier.")
    threshold_amount = fields.Numeric("Threshold Amount", digits=(16, 2),
        domain=['OR',
            ('threshold_amount', '=', None),
            ('threshold_amount', '>=', 0),
            ],
        help="Cumulative purchase amount from which a member reaches "
        "this tier.")
    rate = fields.Numeric("Earn Rate Multiplier", digits=(16, 4),
        required=True, domain=[('rate', '>=', 0)],
        help="The points computed by the earning rules are multiplied "
        "by this rate for the members of the tier.")

    @classmethod
    def default_rate(cls):
        return Decimal(1)

    def reached(self, points, amount):
        "Return whether cumulative points or amount reach the tier"
        if self.threshold_points is None and self.threshold_amount is None:
            return True
        if (self.threshold_points is not None
                and (points or 0) >= self.threshold_points):
            return True
        if (self.threshold_amount is not None
                and (amount or 0) >= self.threshold_amount):
            return True
        return False

    def reached_sql(self, points, amount):
        "Return the SQL condition of reached on the points and amount columns"
        if self.threshold_points is None and self.threshold_amount is None:
            return Literal(True)
        condition = Literal(False)
        if self.threshold_points is not None:
            condition |= Coalesce(points, 0) >= self.threshold_points
        if self.threshold_amount is not None:
            condition |= Coalesce(amount, 0) >= Cast(
                self.threshold_amount, 'NUMERIC')
        return condition

    @classmethod
    def best(cls, points, amount, tiers=None):
        "Return the highest tier reached and the ordered list of tiers"
        if tiers is None:
            tiers = cls.search([])
        best = None
        for tier in tiers:
            if tier.reached(points, amount):
                best = tier
        return best, tiers


class Member(RecNameSearchMixin, Workflow, ModelSQL, ModelView):
    "Member"
    __name__ = 'member.member'
    _rec_name = 'code'
    _rec_name_search_fields = ['code', 'party.rec_name']

    _states = {
        'readonly': Eval('state') != 'active',
        }

    code = fields.Char("Card Number", readonly=True, strip=False)
    party = fields.Many2One('party.party', "Party", required=True,
        ondelete='RESTRICT', states=_states,
        help="The individual customer or the contact person "
        "of an organization customer.")
    organization = fields.Many2One('party.party', "Organization",
        ondelete='RESTRICT', states=_states,
        domain=[('id', '!=', Eval('party', -1))],
        help="For the contact person of an organization customer: "
        "the purchases of the organization earn points for the member.")
    tier = fields.Many2One('member.tier', "Tier", ondelete='RESTRICT',
        readonly=True)
    introducer = fields.Many2One('member.member', "Introducer",
        ondelete='RESTRICT', states=_states,
        domain=[
            If(Eval('id', -1) >= 0,
                ('id', '!=', Eval('id', -1)),
                ()),
            ],
        help="The member who referred this member.")
    referees = fields.One2Many('member.member', 'introducer', "Referees",
        readonly=True)
    join_date = fields.Date("Join Date", required=True, states=_states)
    birthday = fields.Date("Birthday", states=_states)
    state = fields.Selection([
            ('active', "Active"),
            ('suspended', "Suspended"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)
    balance = fields.Integer("Balance", readonly=True,
        help="Points available for redemption.")
    cumulative_points = fields.Integer("Cumulative Points", readonly=True,
        help="All points earned, used for the tiers.")
    cumulative_amount = fields.Numeric("Cumulative Amount", digits=(16, 2),
        readonly=True,
        help="Amount of all purchases, used for the tiers.")
    lines = fields.One2Many('member.points.line', 'member', "Points Lines",
        readonly=True)
    tier_history = fields.One2Many('member.tier.history', 'member',
        "Tier History", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_unique', Unique(t, t.party),
                'member_points.msg_member_party_unique'),
            ('code_unique', Unique(t, t.code),
                'member_points.msg_member_code_unique'),
            ('balance_positive', Check(t, t.balance >= 0),
                'member_points.msg_member_balance_positive'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.introducer, Index.Range())),
                Index(t, (t.organization, Index.Range())),
                })
        cls._order.insert(0, ('code', 'DESC'))
        cls._transitions |= {
            ('active', 'suspended'),
            ('suspended', 'active'),
            ('active', 'closed'),
            ('suspended', 'closed'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'suspended',
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'active'

    @classmethod
    def default_join_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_balance(cls):
        return 0

    @classmethod
    def default_cumulative_points(cls):
        return 0

    @classmethod
    def default_cumulative_amount(cls):
        return Decimal(0)

    @classmethod
    def default_tier(cls):
        pool = Pool()
        Tier = pool.get('member.tier')
        tier, _ = Tier.best(0, 0)
        return tier.id if tier else None

    def get_rec_name(self, name):
        if self.code:
            return f'{self.code} - {self.party.rec_name}'
        return self.party.rec_name

    @staticmethod
    def rec_name_sql(member, party):
        "Return the SQL expression of rec_name on the member and party tables"
        party_name = Coalesce(party.name, Concat(Concat('[', party.code), ']'))
        return Concat(Coalesce(Concat(member.code, ' - '), ''), party_name)

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('member.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('code'):
            config = Configuration(1)
            if config.member_sequence:
                values['code'] = config.member_sequence.get()
        return values

    @classmethod
    def copy(cls, members, default=None):
        if members:
            raise ValidationError(gettext('member_points.msg_member_no_copy'))
        return super().copy(members, default=default)

    @classmethod
    def validate_fields(cls, members, field_names):
        super().validate_fields(members, field_names)
        cls.check_introducer(members, field_names)

    @classmethod
    def check_introducer(cls, members, field_names=None):
        if field_names and 'introducer' not in field_names:
            return
        for member in members:
            if not member.introducer:
                continue
            if member.introducer == member:
                raise ValidationError(gettext(
                        'member_points.msg_member_own_introducer',
                        member=member.rec_name))
            seen = {member.id}
            introducer = member.introducer
            while introducer:
                if introducer.id in seen:
                    raise ValidationError(gettext(
                            'member_points.msg_member_introducer_cycle',
                            member=member.rec_name,
                            introducer=member.introducer.rec_name))
                seen.add(introducer.id)
                introducer = introducer.introducer

    @classmethod
    def check_modification(cls, mode, members, values=None, external=False):
        super().check_modification(
            mode, members, values=values, external=external)
        if mode == 'write' and values and values.get('introducer'):
            # Check before writing to give a clear message
            introducer = cls(values['introducer'])
            for member in members:
                if introducer == member:
                    raise ValidationError(gettext(
                            'member_points.msg_member_own_introducer',
                            member=member.rec_name))
            ids = {m.id for m in members}
            seen = set()
            parent = introducer
            while parent and parent.id not in seen:
                if parent.id in ids:
                    raise ValidationError(gettext(
                            'member_points.msg_member_introducer_cycle',
                            member=cls(parent.id).rec_name,
                            introducer=introducer.rec_name))
                seen.add(parent.id)
                parent = parent.introducer
        if mode == 'delete':
            for member in members:
                if member.lines:
                    raise ValidationError(gettext(
                            'member_points.msg_member_delete_lines',
                            member=member.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, members):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, members):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, members):
        pass

    @classmethod
    def get_members(cls, party):
        """Return the active members earning for the purchases of party:
        the member of the party and the contact persons of the organization"""
        if not party:
            return []
        return cls.search([
                ['OR',
                    ('party', '=', party.id),
                    ('organization', '=', party.id),
                    ],
                ('state', '=', 'active'),
                ], order=[('id', 'ASC')])

    @classmethod
    def get_members_of_parties(cls, parties):
        "Return {party id: members} as get_members for many parties"
        result = defaultdict(list)
        party_ids = [p.id for p in parties if p]
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            for member in cls.search([
                        ['OR',
                            ('party', 'in', sub_ids),
                            ('organization', 'in', sub_ids),
                            ],
                        ('state', '=', 'active'),
                        ], order=[('id', 'ASC')]):
                for party in {member.party, member.organization}:
                    if party and party.id in sub_ids:
                        result[party.id].append(member)
        return result

    @classmethod
    def read_balances(cls, ids):
        "Read the stored balances from the database (not from the cache)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = list(ids)
        cursor.execute(*table.select(table.id, table.balance,
                where=table.id.in_(ids or [-1])))
        return dict(cursor)

    @classmethod
    def insufficient_points(cls, member_id, points, balance=None):
        "Return the error for member_id missing points"
        if balance is None:
            balance = cls.read_balances([member_id]).get(member_id, 0)
        return InsufficientPointsError(gettext(
                'member_points.msg_insufficient_points',
                member=cls(member_id).rec_name,
                balance=balance,
                points=points))

    @classmethod
    def check_balances(cls, needs, lock=False):
        """Raise unless each member has the points of needs
        ({member id: points taken}); lock the members first with lock
        (waiting for the concurrent redemptions: oa_workflow.row_lock)"""
        needs = {m: p for m, p in needs.items() if p > 0}
        if not needs:
            return
        if lock:
            lock_rows(cls.browse(sorted(needs)))
        balances = cls.read_balances(needs)
        for member_id, points in needs.items():
            if balances.get(member_id, 0) < points:
                raise cls.insufficient_points(
                    member_id, points, balances.get(member_id, 0))

    @classmethod
    def _update_balances(cls, deltas):
        """Apply deltas as {member id: (balance, cumulative points, amount)}

        The decreases are guarded one member at a time so a balance can
        never become negative; the increases are applied in bulk."""
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        increases = []
        for member_id, (balance, cumulative, amount) in deltas.items():
            if balance >= 0:
                increases.append((member_id, balance, cumulative, amount))
                continue
            cursor.execute(*table.update(
                    [table.balance, table.cumulative_points,
                        table.cumulative_amount],
                    [table.balance + balance,
                        Coalesce(table.cumulative_points, 0) + cumulative,
                        Coalesce(table.cumulative_amount, 0) + amount],
                    where=(table.id == member_id)
                    & ((table.balance + balance) >= 0)))
            if cursor.rowcount != 1:
                raise cls.insufficient_points(member_id, -balance)
        for sub_increases in grouped_slice(increases, 1000):
            values = Values([
                    [m, b, c, Cast(a, 'NUMERIC')]
                    for m, b, c, a in sub_increases])
            cursor.execute(*table.update(
                    [table.balance, table.cumulative_points,
                        table.cumulative_amount],
                    [table.balance + values.column2,
                        Coalesce(table.cumulative_points, 0)
                        + values.column3,
                        Coalesce(table.cumulative_amount, 0)
                        + values.column4],
                    from_=[values],
                    where=table.id == values.column1))
        invalidate_cache(cls, list(deltas))

    @classmethod
    def add_points(cls, entries):
        """Add to the balances and cumulative points and amount of the members
        the ledger entries (a query of member, points and amount of earning
        lines) with one UPDATE"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        total = entries.select(entries.member,
            Sum(entries.points).as_('points'),
            Sum(Coalesce(entries.amount, 0)).as_('amount'),
            group_by=[entries.member])
        cursor.execute(*table.update(
                [table.balance, table.cumulative_points,
                    table.cumulative_amount],
                [table.balance + total.points,
                    Coalesce(table.cumulative_points, 0) + total.points,
                    Coalesce(table.cumulative_amount, 0) + total.amount],
                from_=[total], where=table.id == total.member))
        clear_cache(cls)

    @classmethod
    def update_tiers(cls, members, date=None):
        "Upgrade members whose cumulative points or amount reach a tier"
        Date = Pool().get('ir.date')
        date = date or Date.today()
        table = cls.__table__()
        for sub_ids in id_slices({int(m) for m in members}):
            cls.upgrade_tiers(table.select(
                    table.id.as_('member'), Literal(date).as_('date'),
                    where=SQL_OPERATORS['in'](table.id, sub_ids)))

    @classmethod
    def upgrade_tiers(cls, candidates):
        """Upgrade the members of candidates (a query of member and date)
        whose cumulative points or amount reach a higher tier than theirs and
        record the history at date, in two statements"""
        pool = Pool()
        Tier = pool.get('member.tier')
        History = pool.get('member.tier.history')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        tiers = Tier.search([])
        if not tiers:
            return
        table = cls.__table__()
        history = History.__table__()

        def reached(value):
            "CASE giving value(index, tier) of the highest tier reached"
            return Case(*((t.reached_sql(
                            table.cumulative_points, table.cumulative_amount),
                        value(i, t)) for i, t in reversed(list(
                            enumerate(tiers)))), else_=Null)
        best = reached(lambda i, t: t.id)
        current = Case(*((table.tier == t.id, i)
                for i, t in enumerate(tiers)), else_=-1)
        upgrade = Coalesce(reached(lambda i, t: i), -1) > current
        cursor.execute(*history.insert(
                [history.create_uid, history.create_date, history.member,
                    history.date, history.from_tier, history.to_tier,
                    history.reason],
                table.join(candidates,
                    condition=candidates.member == table.id).select(
                    Literal(transaction.user), CurrentTimestamp(),
                    table.id, candidates.date, table.tier, best,
                    Literal('upgrade'), where=upgrade)))
        cursor.execute(*table.update(
                [table.tier, table.write_uid, table.write_date],
                [best, transaction.user, CurrentTimestamp()],
                where=upgrade & table.id.in_(
                    candidates.select(candidates.member))))
        clear_cache(cls)

    @classmethod
    def earn(cls, member, amounts, origin, date=None, description=None):
        """Earn points for a purchase of the member.

        amounts is a list of (product category or None, amount) and origin
        the source document as a string 'model,id'.
        Return the number of points earned."""
        points, = cls.earn_many([{
                    'member': member,
                    'amounts': amounts,
                    'origin': origin,
                    'date': date,
                    'description': description,
                    }])
        return points

    @classmethod
    def earn_many(cls, purchases):
        """Earn the points of many purchases in one batch.

        Each purchase is a dictionary with member, amounts, origin, date and
        description as for earn.  The rules, tiers and configuration are
        read once, the first purchases found with one query per slice of
        members, the ledger and balances written in bulk.
        Return the list of points earned by each purchase."""
        pool = Pool()
        Rule = pool.get('member.points.rule')
        Line = pool.get('member.points.line')
        Configuration = pool.get('member.configuration')
        Date = pool.get('ir.date')
        config = Configuration(1)
        today = Date.today()
        rules = Rule.search([])
        expiry_dates = {}
        rates = {}

        def rate(tier, category):
            key = (tier, category)
            if key not in rates:
                rates[key] = Rule.get_rate(tier, category, rules)
            return rates[key]

        Tier = pool.get('member.tier')
        tiers = {t.id: t for t in Tier.search([])}
        # read() fetches the members by slices, without a record per member
        members = {v['id']: v for v in cls.read(
                list({int(p['member']) for p in purchases}),
                ['tier', 'introducer'])}
        active_introducers = {v['id'] for v in cls.read(
                list({m['introducer'] for m in members.values()
                        if m['introducer']}), ['state'])
            if v['state'] == 'active'}
        has_earned = Line.members_with_earnings(
            [i for i, m in members.items() if m['introducer']])

        entries, result = [], []
        by_date = defaultdict(set)
        for purchase in purchases:
            member_id = int(purchase['member'])
            member = members[member_id]
            tier = member['tier']
            if tier is not None:
                tier = tiers.get(tier) or Tier(tier)
            date = purchase.get('date') or today
            origin = purchase['origin']
            amounts = [(c, a) for c, a in purchase['amounts'] if a > 0]
            total_amount = sum((a for _, a in amounts), Decimal(0))
            points = sum(
                (Rule.points_of(amount, rate(tier, category))
                    for category, amount in amounts), 0)
            result.append(points)
            if date not in expiry_dates:
                expiry_dates[date] = Line.compute_expiry_date(date)
            expiry_date = expiry_dates[date]
            entries.append({
                    'member': member_id,
                    'type': 'earn',
                    'points': points,
                    'amount': total_amount,
                    'origin': origin,
                    'date': date,
                    'expiry_date': expiry_date,
                    'description': purchase.get('description'),
                    })
            by_date[date].add(member_id)
            introducer = member['introducer']
            if introducer not in active_introducers:
                continue
            referral = 0
            if (member_id not in has_earned
                    and config.referral_first_points):
                referral += config.referral_first_points
            has_earned.add(member_id)
            if config.referral_percentage and points:
                referral += int(
                    Decimal(points) * config.referral_percentage / 100)
            if referral:
                entries.append({
                        'member': introducer,
                        'type': 'referral',
                        'points': referral,
                        'origin': origin,
                        'date': date,
                        'expiry_date': expiry_date,
                        'description': gettext(
                            'member_points.msg_referral_description',
                            member=cls(member_id).rec_name),
                        })
                by_date[date].add(introducer)
        Line.post(entries)
        for date, members in sorted(by_date.items()):
            cls.update_tiers(list(members), date=date)
        return result

    @classmethod
    def grant_birthday_points(cls, date=None):
        "Give the birthday bonus to active members born on date"
        pool = Pool()
        Line = pool.get('member.points.line')
        Configuration = pool.get('member.configuration')
        Date = pool.get('ir.date')
        config = Configuration(1)
        date = date or Date.today()
        if not config.birthday_points:
            return []
        members = cls.search([
                ('state', '=', 'active'),
                ('birthday', '!=', None),
                ])

        def is_birthday(birthday):
            try:
                return birthday.replace(year=date.year) == date
            except ValueError:
                # 29 February on a common year: celebrate on 28 February
                return (date.month, date.day) == (2, 28)
        members = [m for m in members if is_birthday(m.birthday)]
        if not members:
            return []
        already = {l.member.id for l in Line.search([
                    ('member', 'in', [m.id for m in members]),
                    ('type', '=', 'birthday'),
                    ('date', '>=', datetime.date(date.year, 1, 1)),
                    ('date', '<=', datetime.date(date.year, 12, 31)),
                    ])}
        members = [m for m in members if m.id not in already]
        expiry_date = Line.compute_expiry_date(date)
        Line.post([{
                    'member': m.id,
                    'type': 'birthday',
                    'points': config.birthday_points,
                    'date': date,
                    'expiry_date': expiry_date,
                    'description': gettext(
                        'member_points.msg_birthday_description'),
                    } for m in members])
        cls.update_tiers(members, date=date)
        return members

    @classmethod
    def downgrade_tiers(cls, date=None):
        """Downgrade members whose points earned over the rolling window
        no longer reach their tier (run at period end)"""
        pool = Pool()
        Line = pool.get('member.points.line')
        Tier = pool.get('member.tier')
        History = pool.get('member.tier.history')
        Configuration = pool.get('member.configuration')
        Date = pool.get('ir.date')
        config = Configuration(1)
        if not config.tier_downgrade or not config.downgrade_window_months:
            return []
        date = date or Date.today()
        start = date - relativedelta(months=config.downgrade_window_months)

        line = Line.__table__()
        reversed_ = Line.__table__()
        cursor = Transaction().connection.cursor()
        # Points and amount earned over the window, reversals included
        query = line.join(reversed_, 'LEFT',
            condition=line.reversal_of == reversed_.id
            ).select(
                line.member,
                Sum(line.points), Sum(Coalesce(line.amount, 0)),
                where=(line.date > start) & (line.date <= date)
                & (line.type.in_(list(EARNING_TYPES))
                    | ((line.type == 'reverse')
                        & reversed_.type.in_(list(EARNING_TYPES)))),
                group_by=[line.member])
        cursor.execute(*query)
        window = {m: (p or 0, a or 0) for m, p, a in cursor}

        members = cls.search([
                ('state', '=', 'active'),
                ('tier', '!=', None),
                ])
        tiers = Tier.search([])
        histories, to_write = [], defaultdict(list)
        for member in members:
            points, amount = window.get(member.id, (0, 0))
            best, _ = Tier.best(points, amount, tiers)
            if (best and member.tier in tiers
                    and tiers.index(best) < tiers.index(member.tier)):
                histories.append(History(
                        member=member, date=date, from_tier=member.tier,
                        to_tier=best, reason='downgrade'))
                to_write[best.id].append(member)
        if to_write:
            cls.write(*(x for tier, downgraded in to_write.items()
                    for x in (downgraded, {'tier': tier})))
            History.save(histories)
        return [h.member for h in histories]


class TierHistory(ModelSQL, ModelView):
    "Member Tier History"
    __name__ = 'member.tier.history'

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='CASCADE', readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    from_tier = fields.Many2One('member.tier', "From Tier", readonly=True,
        ondelete='RESTRICT')
    to_tier = fields.Many2One('member.tier', "To Tier", readonly=True,
        ondelete='RESTRICT')
    reason = fields.Selection([
            ('upgrade', "Upgrade"),
            ('downgrade', "Downgrade"),
            ], "Reason", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.member, Index.Range()), (t.date, Index.Range())))
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))


class StatementStart(ModelView):
    "Member Statement"
    __name__ = 'member.statement.start'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date")

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today().replace(day=1)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()


class PrintStatement(Wizard):
    "Print Member Statement"
    __name__ = 'member.statement.print'

    start = StateView('member.statement.start',
        'member_points.statement_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('member.statement')

    def do_print_(self, action):
        return action, {
            'ids': [r.id for r in self.records],
            'model': 'member.member',
            'from_date': self.start.from_date,
            'to_date': self.start.to_date,
            }


class Statement(Report):
    "Member Statement"
    __name__ = 'member.statement'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Line = pool.get('member.points.line')
        context = super().get_context(records, header, data)
        from_date = data.get('from_date')
        to_date = data.get('to_date')
        if isinstance(from_date, str):
            from_date = datetime.date.fromisoformat(from_date)
        if isinstance(to_date, str):
            to_date = datetime.date.fromisoformat(to_date)
        context['from_date'] = from_date
        context['to_date'] = to_date

        def statement_lines(member):
            domain = [('member', '=', member.id)]
            if from_date:
                domain.append(('date', '>=', from_date))
            if to_date:
                domain.append(('date', '<=', to_date))
            return Line.search(domain, order=[('date', 'ASC'), ('id', 'ASC')])

        def opening_balance(member):
            if not from_date:
                return 0
            return Line.sum_points(member, to_date=(
                    from_date - datetime.timedelta(days=1)))

        def closing_balance(member):
            return Line.sum_points(member, to_date=to_date)

        context['statement_lines'] = statement_lines
        context['opening_balance'] = opening_balance
        context['closing_balance'] = closing_balance
        return context
