# This file is part of the member_points module.
from sql import Cast, Literal, Union, Window
from sql.aggregate import Min
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Div
from sql.operators import Concat, Exists

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from oa_workflow.deletable import DeletableStatesMixin

from .member import clear_cache, id_slices


class Purchase(DeletableStatesMixin, Workflow, ModelSQL, ModelView):
    "Member Purchase"
    __name__ = 'member.purchase'
    _deletable_states = {'draft'}
    _delete_message = 'member_points.msg_purchase_delete_draft'
    _delete_message_name = 'purchase'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[('state', '=', 'active')])
    date = fields.Date("Date", required=True, states=_states)
    amount = fields.Numeric("Amount", digits=(16, 2), required=True,
        states=_states, domain=[('amount', '>', 0)])
    category = fields.Many2One('product.category', "Product Category",
        ondelete='RESTRICT', states=_states)
    reference = fields.Char("Reference", states=_states)
    description = fields.Text("Description", states=_states)
    points = fields.Function(fields.Integer("Points"), 'get_points')
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.member, Index.Range()), (t.date, Index.Range())))
        cls._order.insert(0, ('date', 'DESC'))
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
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
        return self.reference or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('reference',) + tuple(clause[1:])]

    def get_points(self, name):
        pool = Pool()
        Line = pool.get('member.points.line')
        return sum(l.points for l in Line.search([
                    ('origin', '=', str(self)),
                    ('member', '=', self.member.id),
                    ]))

    @classmethod
    @ModelView.button
    def confirm(cls, purchases):
        """Confirm the draft purchases and earn their points.

        The Workflow transition draft -> confirmed done set-based: a few
        statements over all the purchases instead of a read, a write and a
        log per record. PostgreSQL takes them in one slice; on SQLite (slices
        of MAX_QUERY_PARAMS) a member upgraded by a slice earns at the rate of
        the new tier in the next ones."""
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        slices = id_slices([p.id for p in purchases])
        for ids in slices:
            cls.check_members_active(ids)
        for ids in slices:
            entries = cls.points_entries(ids)
            if entries is None:
                continue
            # Computed once: the query depends on the ledger and the tiers
            with Line.entries_table(entries) as table:
                Member.add_points(table)
                Line.insert_entries(table)
                Member.upgrade_tiers(table.select(table.member,
                        Min(table.date).as_('date'), group_by=[table.member]))
            cls.log_transition(ids, 'confirmed')
            cls.set_state(ids, 'confirmed')
        clear_cache(cls, Member, Line)

    @classmethod
    def draft_condition(cls, table, ids):
        "Return the SQL condition of the draft purchases among ids"
        return SQL_OPERATORS['in'](table.id, ids) & (table.state == 'draft')

    @classmethod
    def check_members_active(cls, ids):
        "Raise if a member of the draft purchases ids is not active"
        pool = Pool()
        Member = pool.get('member.member')
        purchase = cls.__table__()
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*purchase.join(member,
                condition=purchase.member == member.id).select(
                member.id,
                where=cls.draft_condition(purchase, ids)
                & (member.state != 'active'),
                limit=1))
        row = cursor.fetchone()
        if row:
            raise AccessError(gettext(
                    'member_points.msg_member_not_active',
                    member=Member(row[0]).rec_name))

    @classmethod
    def earnings(cls, ids):
        """Return the query of the points earned by the draft purchases ids:
        purchase, member, introducer, date, amount, reference, points,
        expiry_date and member_first (the member's first purchase of ids),
        or None without draft purchase.

        The rates (few) and the expiry dates (one per date) are computed in
        Python and joined as VALUES."""
        pool = Pool()
        Member = pool.get('member.member')
        Rule = pool.get('member.points.rule')
        Line = pool.get('member.points.line')
        purchase = cls.__table__()
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        tier = Coalesce(member.tier, 0)
        category = Coalesce(purchase.category, 0)
        where = cls.draft_condition(purchase, ids)
        query = purchase.join(member, condition=purchase.member == member.id)
        cursor.execute(*query.select(member.tier, purchase.category,
                where=where, group_by=[member.tier, purchase.category]))
        pairs = [(t or 0, c or 0) for t, c in cursor]
        if not pairs:
            return None
        rates = Rule.rates_table(pairs)
        query = query.join(rates, condition=(rates.column1 == tier)
            & (rates.column2 == category))
        cursor.execute(*purchase.select(purchase.date,
                where=where, group_by=[purchase.date]))
        expiries, expiry_date = Line.expiry_dates_sql(
            [d for d, in cursor], purchase.date)
        if expiries:
            query = query.join(expiries, 'LEFT',
                condition=expiries.column1 == purchase.date)
        return query.select(
            purchase.id.as_('purchase'), purchase.member.as_('member'),
            member.introducer.as_('introducer'), purchase.date.as_('date'),
            purchase.amount.as_('amount'),
            purchase.reference.as_('reference'),
            Rule.points_sql(purchase.amount, rates.column3, rates.column4
                ).as_('points'),
            expiry_date.as_('expiry_date'),
            Min(purchase.id, window=Window([purchase.member])
                ).as_('member_first'),
            where=where)

    @classmethod
    def points_entries(cls, ids):
        """Return the query of the ledger entries of the draft purchases ids:
        member, type, points, amount, date, origin, description and
        expiry_date of the earn lines and of the referral rewards"""
        pool = Pool()
        Line = pool.get('member.points.line')
        earnings = cls.earnings(ids)
        if earnings is None:
            return None
        earn = earnings.select(
            earnings.member, Literal('earn').as_('type'), earnings.points,
            earnings.amount, earnings.date,
            Line.origin_sql(cls, earnings.purchase).as_('origin'),
            earnings.reference.as_('description'), earnings.expiry_date)
        referral = cls.referral_entries(earnings)
        if referral is None:
            return earn
        return Union(earn, referral, all_=True)

    @classmethod
    def referral_entries(cls, earnings):
        """Return the query of the rewards of the active introducers on the
        earnings: the first points on the first earning of the referee (no
        earn line not reversed in the ledger, first purchase of the batch)
        and the percentage of the points rounded down"""
        pool = Pool()
        Configuration = pool.get('member.configuration')
        Member = pool.get('member.member')
        Party = pool.get('party.party')
        Line = pool.get('member.points.line')
        config = Configuration(1)
        if not config.referral_first_points and not config.referral_percentage:
            return None
        introducer = Member.__table__()
        referee = Member.__table__()
        party = Party.__table__()
        line = Line.__table__()
        reversal = Line.__table__()
        has_earned = Exists(line.select(Literal(1),
                where=(line.member == earnings.member)
                & (line.type == 'earn')
                & ~Exists(reversal.select(Literal(1),
                        where=reversal.reversal_of == line.id))))
        first = (earnings.purchase == earnings.member_first) & ~has_earned
        numerator, denominator = (
            config.referral_percentage or 0).as_integer_ratio()
        points = Cast(
            Case((first, config.referral_first_points or 0), else_=0)
            + Div(earnings.points * numerator, denominator * 100),
            'INTEGER')
        prefix, suffix = gettext('member_points.msg_referral_description',
            member='\x00').split('\x00')
        return earnings.join(introducer,
            condition=(introducer.id == earnings.introducer)
            & (introducer.state == 'active')
            ).join(referee, condition=referee.id == earnings.member
            ).join(party, condition=party.id == referee.party
            ).select(
                introducer.id.as_('member'),
                Literal('referral').as_('type'), points.as_('points'),
                Literal(None).as_('amount'), earnings.date,
                Line.origin_sql(cls, earnings.purchase).as_('origin'),
                Concat(Concat(prefix, Member.rec_name_sql(referee, party)),
                    suffix).as_('description'),
                earnings.expiry_date,
                where=points > 0)

    @classmethod
    def log_transition(cls, ids, state):
        """Record in ir.model.log the transition of the draft purchases ids
        to state, as Workflow.transition does, in one INSERT"""
        pool = Pool()
        Log = pool.get('ir.model.log')
        Line = pool.get('member.points.line')
        if not cls._log:
            return
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        purchase = cls.__table__()
        log = Log.__table__()
        user = Literal(transaction.user)
        cursor.execute(*log.insert(
                [log.create_uid, log.create_date, log.resource, log.event,
                    log.target, log.user],
                purchase.select(user, CurrentTimestamp(),
                    Line.origin_sql(cls, purchase.id), Literal('transition'),
                    Literal(f'{cls._transition_state}:{state}'), user,
                    where=cls.draft_condition(purchase, ids))))

    @classmethod
    def set_state(cls, ids, state):
        "Write state on the draft purchases ids in one UPDATE"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        purchase = cls.__table__()
        cursor.execute(*purchase.update(
                [purchase.state, purchase.write_uid, purchase.write_date],
                [state, transaction.user, CurrentTimestamp()],
                where=cls.draft_condition(purchase, ids)))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, purchases):
        pool = Pool()
        Line = pool.get('member.points.line')
        Line.reverse_origins(
            [str(p) for p in purchases if p.state == 'confirmed'])
