# This file is part of the member_points module.
import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow,
    fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateReport, StateView, Wizard

from .exceptions import InsufficientPointsError

EARNING_TYPES = {'earn', 'referral', 'birthday', 'adjust'}


def invalidate_cache(Model, ids):
    "Invalidate the caches of Model after direct SQL updates"
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            cache_cls = cache[Model.__name__]
            for id_ in ids:
                cache_cls.pop(id_, None)


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

    @classmethod
    def best(cls, points, amount):
        "Return the highest tier reached and the ordered list of tiers"
        tiers = cls.search([])
        best = None
        for tier in tiers:
            if tier.reached(points, amount):
                best = tier
        return best, tiers


class Member(Workflow, ModelSQL, ModelView):
    "Member"
    __name__ = 'member.member'
    _rec_name = 'code'

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

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code', operator, operand, *extra),
            ('party.rec_name', operator, operand, *extra),
            ]

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
    def read_balances(cls, ids):
        "Read the stored balances from the database (not from the cache)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = list(ids)
        cursor.execute(*table.select(table.id, table.balance,
                where=table.id.in_(ids or [-1])))
        return dict(cursor)

    @classmethod
    def _update_balances(cls, deltas):
        """Apply deltas as {member id: (balance, cumulative points, amount)}

        The balance update is guarded so it can never become negative."""
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        for member_id, (balance, cumulative, amount) in deltas.items():
            where = table.id == member_id
            if balance < 0:
                where &= (table.balance + balance) >= 0
            cursor.execute(*table.update(
                    [table.balance, table.cumulative_points,
                        table.cumulative_amount],
                    [table.balance + balance,
                        Coalesce(table.cumulative_points, 0) + cumulative,
                        Coalesce(table.cumulative_amount, 0) + amount],
                    where=where))
            if cursor.rowcount != 1:
                member = cls(member_id)
                raise InsufficientPointsError(gettext(
                        'member_points.msg_insufficient_points',
                        member=member.rec_name,
                        balance=cls.read_balances([member_id])[member_id],
                        points=-balance))
        invalidate_cache(cls, list(deltas))

    @classmethod
    def update_tiers(cls, members, date=None):
        "Upgrade members whose cumulative points or amount reach a tier"
        pool = Pool()
        Tier = pool.get('member.tier')
        History = pool.get('member.tier.history')
        Date = pool.get('ir.date')
        date = date or Date.today()
        invalidate_cache(cls, [m.id for m in members])
        members = cls.browse(members)
        histories = []
        to_write = []
        for member in members:
            best, tiers = Tier.best(
                member.cumulative_points, member.cumulative_amount)
            if not best or best == member.tier:
                continue
            if member.tier and member.tier in tiers:
                if tiers.index(best) <= tiers.index(member.tier):
                    continue
            histories.append(History(
                    member=member, date=date, from_tier=member.tier,
                    to_tier=best, reason='upgrade'))
            to_write.extend([[member], {'tier': best.id}])
        if to_write:
            cls.write(*to_write)
            History.save(histories)

    @classmethod
    def earn(cls, member, amounts, origin, date=None, description=None):
        """Earn points for a purchase of the member.

        amounts is a list of (product category or None, amount) and origin
        the source document as a string 'model,id'.
        Return the number of points earned."""
        pool = Pool()
        Rule = pool.get('member.points.rule')
        Line = pool.get('member.points.line')
        Configuration = pool.get('member.configuration')
        Date = pool.get('ir.date')
        config = Configuration(1)
        date = date or Date.today()

        total_amount = sum((a for _, a in amounts if a > 0), Decimal(0))
        points = sum(
            (Rule.compute_points(member, category, amount)
                for category, amount in amounts if amount > 0), 0)
        expiry_date = Line.compute_expiry_date(date)

        first_purchase = not Line.search([
                ('member', '=', member.id),
                ('type', '=', 'earn'),
                ('reversed_by', '=', None),
                ], limit=1)
        entries = [{
                'member': member.id,
                'type': 'earn',
                'points': points,
                'amount': total_amount,
                'origin': origin,
                'date': date,
                'expiry_date': expiry_date,
                'description': description,
                }]
        introducer = member.introducer
        if introducer and introducer.state == 'active':
            referral = 0
            if first_purchase and config.referral_first_points:
                referral += config.referral_first_points
            if config.referral_percentage and points:
                referral += int(
                    Decimal(points) * config.referral_percentage / 100)
            if referral:
                entries.append({
                        'member': introducer.id,
                        'type': 'referral',
                        'points': referral,
                        'origin': origin,
                        'date': date,
                        'expiry_date': expiry_date,
                        'description': gettext(
                            'member_points.msg_referral_description',
                            member=member.rec_name),
                        })
        Line.post(entries)
        cls.update_tiers(
            [member] + ([introducer] if len(entries) > 1 else []),
            date=date)
        return points

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
        histories, to_write = [], []
        for member in members:
            points, amount = window.get(member.id, (0, 0))
            best = None
            for tier in tiers:
                if tier.reached(points, amount):
                    best = tier
            if (best and member.tier in tiers
                    and tiers.index(best) < tiers.index(member.tier)):
                histories.append(History(
                        member=member, date=date, from_tier=member.tier,
                        to_tier=best, reason='downgrade'))
                to_write.extend([[member], {'tier': best.id}])
        if to_write:
            cls.write(*to_write)
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
