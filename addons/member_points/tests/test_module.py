# This file is part of the member_points module.
import datetime
import io
import threading
import time
import zipfile
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, DomainValidationError, SQLConstraintError, ValidationError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, with_transaction)
from trytond.transaction import Transaction, TransactionError

from oa_workflow.tests.tools import TranslationTestMixin


def create_member(name, **values):
    pool = Pool()
    Party = pool.get('party.party')
    Member = pool.get('member.member')
    party = Party(name=name)
    party.save()
    member = Member(party=party, **values)
    member.save()
    return member


def create_tiers():
    pool = Pool()
    Tier = pool.get('member.tier')
    silver, gold = Tier.create([{
                'name': "Silver",
                'sequence': 10,
                'rate': Decimal(1),
                }, {
                'name': "Gold",
                'sequence': 20,
                'threshold_points': 1000,
                'rate': Decimal(2),
                }])
    return silver, gold


def create_rule(rate=Decimal(1), **values):
    pool = Pool()
    Rule = pool.get('member.points.rule')
    values.setdefault('sequence', 10)
    rule = Rule(name="Default", rate=rate, **values)
    rule.save()
    return rule


def purchase(member, amount, date=None, category=None):
    pool = Pool()
    Purchase = pool.get('member.purchase')
    Date = pool.get('ir.date')
    record = Purchase(
        member=member, amount=Decimal(amount), date=date or Date.today(),
        category=category)
    record.save()
    Purchase.confirm([record])
    return record


def create_gift(quantity=10, points_price=100, type='gift'):
    pool = Pool()
    Gift = pool.get('member.gift')
    gift = Gift(name="Tea Set", points_price=points_price, quantity=quantity,
        type=type)
    gift.save()
    return gift


def ledger_sum(member):
    pool = Pool()
    Line = pool.get('member.points.line')
    return sum(l.points for l in Line.search([('member', '=', member.id)]))


def reload(record):
    return record.__class__(record.id)


class MemberPointsTestCase(TranslationTestMixin, ModuleTestCase):
    "Test member_points module"
    module = 'member_points'

    @with_transaction()
    def test_configuration(self):
        "Points validity defaults to 24 months and cannot be negative"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        config = Configuration(1)
        self.assertEqual(config.expiry_months, 24)
        self.assertEqual(config.adjust_approval_threshold, 1000)
        config.expiry_months = -1
        with self.assertRaises(DomainValidationError):
            config.save()

    @with_transaction()
    def test_member_card_number_and_tier(self):
        "A new member gets a card number from the sequence and the base tier"
        silver, gold = create_tiers()
        member1 = create_member("Zhang San")
        member2 = create_member("Li Si")
        self.assertTrue(member1.code.startswith('M'))
        self.assertNotEqual(member1.code, member2.code)
        self.assertEqual(member1.tier, silver)
        self.assertEqual(member1.state, 'active')
        self.assertEqual(member1.balance, 0)

    @with_transaction()
    def test_members_follow_their_customer(self):
        """A member, its points and its history are read by whom reads its
        customer: a salesperson does not reach a colleague's customer's
        contact person through the members"""
        from crm_ext.tests.tools import (
            as_user, create_customers, give, setup_organization,
            setup_policy)
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        create_tiers()
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            organization, = create_customers(["恒信电子"])
            contact, = create_customers(["陈立峰"], crm_type='contact',
                crm_employer=organization.id)
            member = Member(party=contact, organization=organization)
            member.save()
            give([organization], ns.c)
            with as_user(ns, 'c'):
                self.assertEqual(Member.search([]), [member])
                row, = Member.read([member.id], ['party.rec_name'])
                self.assertEqual(row['party.']['rec_name'], "陈立峰")
            with as_user(ns, 'a'):
                self.assertEqual(Member.search([]), [])
                self.assertEqual(Member.search_count([]), 0)
                self.assertEqual(Line.search([]), [])
                with self.assertRaises(AccessError):
                    Member.read([member.id], ['code'])

    @with_transaction()
    def test_member_unique_party(self):
        "A party has only one member card"
        pool = Pool()
        Member = pool.get('member.member')
        member = create_member("Zhang San")
        with self.assertRaises(SQLConstraintError):
            Member.create([{'party': member.party.id}])

    @with_transaction()
    def test_own_introducer(self):
        "A member cannot be their own introducer and nothing is changed"
        member = create_member("Zhang San")
        member.introducer = member
        with self.assertRaises(ValidationError) as cm:
            member.save()
        self.assertIn("own introducer", cm.exception.message)
        self.assertIsNone(reload(member).introducer)

    @with_transaction()
    def test_introducer_cycle(self):
        "An introducer cycle is refused"
        a = create_member("A")
        b = create_member("B", introducer=a)
        c = create_member("C", introducer=b)
        a.introducer = c
        with self.assertRaises(ValidationError) as cm:
            a.save()
        self.assertIn("cycle", cm.exception.message)
        self.assertIsNone(reload(a).introducer)

    @with_transaction()
    def test_negative_rule_rate(self):
        "An earning rule cannot have a negative rate"
        pool = Pool()
        Rule = pool.get('member.points.rule')
        with self.assertRaises(ValidationError) as cm:
            create_rule(rate=Decimal(-1))
        self.assertIn("cannot be negative", cm.exception.message)
        self.assertEqual(Rule.search([]), [])

    @with_transaction()
    def test_earn_by_tier_and_category_rate(self):
        "Points are computed by the rules, per category and tier rate"
        pool = Pool()
        Category = pool.get('product.category')
        silver, gold = create_tiers()
        wine, = Category.create([{'name': "Wine"}])
        red, = Category.create([{'name': "Red", 'parent': wine.id}])
        create_rule(rate=Decimal(3), category=wine, sequence=1)
        create_rule(rate=Decimal(1), sequence=10)
        member = create_member("Zhang San")

        purchase(member, '100', category=red)  # 3 points per unit
        member = reload(member)
        self.assertEqual(member.balance, 300)
        purchase(member, '99.99')  # default rule, rounded down
        member = reload(member)
        self.assertEqual(member.balance, 399)
        self.assertEqual(member.cumulative_points, 399)
        self.assertEqual(member.cumulative_amount, Decimal('199.99'))

        # Gold members earn twice
        member.tier = gold
        member.save()
        purchase(member, '100')
        self.assertEqual(reload(member).balance, 599)
        self.assertEqual(ledger_sum(member), 599)

    @with_transaction()
    def test_referral_and_upgrade(self):
        "The introducer is rewarded and members upgrade at the threshold"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        History = pool.get('member.tier.history')
        config = Configuration(1)
        config.referral_first_points = 50
        config.referral_percentage = Decimal(10)
        config.save()
        silver, gold = create_tiers()
        create_rule()
        introducer = create_member("Introducer")
        member = create_member("Referee", introducer=introducer)

        purchase(member, '600')
        self.assertEqual(reload(introducer).balance, 50 + 60)
        self.assertEqual(reload(member).tier, silver)
        purchase(member, '500')
        # no first purchase reward the second time
        self.assertEqual(reload(introducer).balance, 50 + 60 + 50)
        member = reload(member)
        self.assertEqual(member.balance, 1100)
        self.assertEqual(member.tier, gold)
        history, = History.search([('member', '=', member.id)])
        self.assertEqual(
            (history.from_tier, history.to_tier, history.reason),
            (silver, gold, 'upgrade'))

    @with_transaction()
    def test_batch_confirm(self):
        "A batch of purchases earns as one purchase at a time would"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        Category = pool.get('product.category')
        Purchase = pool.get('member.purchase')
        Line = pool.get('member.points.line')
        History = pool.get('member.tier.history')
        Log = pool.get('ir.model.log')
        config = Configuration(1)
        config.referral_first_points = 50
        config.referral_percentage = Decimal(10)
        config.save()
        silver, gold = create_tiers()
        wine, tea = Category.create([{'name': "Wine"}, {'name': "Tea"}])
        red, = Category.create([{'name': "Red", 'parent': wine.id}])
        create_rule(rate=Decimal(3), category=wine, sequence=1)
        create_rule(rate=Decimal('0.15'), category=tea, sequence=2)
        create_rule(rate=Decimal(1), sequence=10)
        introducer = create_member("Introducer")
        gone = create_member("Gone")
        a = create_member("A", introducer=introducer)
        b = create_member("B", introducer=introducer, tier=gold)
        c = create_member("C", introducer=gone)
        purchase(b, '10')  # before the batch: 20 points, 50 + 2 referral
        gone.suspend([gone])
        today = datetime.date.today()
        day = today - relativedelta(days=3)

        def draft(member, amount, category=None, date=today):
            return Purchase(member=member, amount=Decimal(amount),
                category=category, date=date, reference=f"P{amount}")
        batch = [
            draft(a, '99.99', date=day),  # 99, first earning of A: 50 + 9
            draft(a, '310', red),  # 930 then gold (1029), 93
            draft(b, '33.33', red),  # 33.33 x 3 x 2 = 199.98: 199, 19
            draft(c, '66.67', tea),  # 10.0005: 10, introducer not active
            draft(c, '0.50'),  # no point, the amount counts
            ]
        Purchase.save(batch)
        confirmed = purchase(c, '1')
        Purchase.confirm(batch + [confirmed])

        self.assertEqual([p.state for p in batch], ['confirmed'] * 5)
        lines = Line.search([
                ('origin', 'in', [str(p) for p in batch + [confirmed]]),
                ], order=[('id', 'ASC')])
        self.assertEqual(sorted(
                (str(l.origin), l.member.party.name, l.type, l.points,
                    l.remaining, l.amount, l.expiry_date, l.date)
                for l in lines), sorted([
                    (str(batch[0]), "A", 'earn', 99, 99, Decimal('99.99'),
                        day + relativedelta(months=24), day),
                    (str(batch[0]), "Introducer", 'referral', 59, 59, None,
                        day + relativedelta(months=24), day),
                    (str(batch[1]), "A", 'earn', 930, 930, Decimal(310),
                        today + relativedelta(months=24), today),
                    (str(batch[1]), "Introducer", 'referral', 93, 93, None,
                        today + relativedelta(months=24), today),
                    (str(batch[2]), "B", 'earn', 199, 199, Decimal('33.33'),
                        today + relativedelta(months=24), today),
                    (str(batch[2]), "Introducer", 'referral', 19, 19, None,
                        today + relativedelta(months=24), today),
                    (str(batch[3]), "C", 'earn', 10, 10, Decimal('66.67'),
                        today + relativedelta(months=24), today),
                    (str(batch[4]), "C", 'earn', 0, 0, Decimal('0.50'),
                        today + relativedelta(months=24), today),
                    (str(confirmed), "C", 'earn', 1, 1, Decimal(1),
                        today + relativedelta(months=24), today),
                    ]))
        referral = [l for l in lines if l.type == 'referral'][0]
        self.assertEqual(referral.description,
            f'Referral reward for "{a.code} - A"')
        self.assertEqual(
            [(m.balance, m.cumulative_points, m.cumulative_amount, m.tier)
                for m in map(reload, [a, b, c, introducer])], [
                (1029, 1029, Decimal('409.99'), gold),
                (219, 219, Decimal('43.33'), gold),
                (11, 11, Decimal('68.17'), silver),
                (52 + 59 + 93 + 19, 52 + 59 + 93 + 19, 0, silver),
                ])
        history, = History.search([('member', '=', a.id)])
        self.assertEqual(
            (history.date, history.from_tier, history.to_tier,
                history.reason), (day, silver, gold, 'upgrade'))
        log, = Log.search([
                ('resource', '=', str(batch[1])),
                ('event', '=', 'transition'),
                ])
        self.assertEqual(log.target, 'state:confirmed')

        # Confirming again changes nothing
        Purchase.confirm(batch)
        self.assertEqual(reload(a).balance, 1029)
        self.assertEqual(Line.search_count([
                    ('origin', 'in', [str(p) for p in batch])]), 8)

    @with_transaction()
    def test_batch_confirm_member_not_active(self):
        "A batch with a member not active is refused and changes nothing"
        pool = Pool()
        Purchase = pool.get('member.purchase')
        Member = pool.get('member.member')
        create_rule()
        a = create_member("A")
        b = create_member("B")
        batch = [Purchase(member=m, amount=Decimal(10)) for m in [a, b]]
        Purchase.save(batch)
        Member.suspend([b])
        with self.assertRaises(AccessError) as cm:
            Purchase.confirm(batch)
        self.assertIn(b.rec_name, cm.exception.message)
        self.assertEqual([reload(p).state for p in batch], ['draft'] * 2)
        self.assertEqual(reload(a).balance, 0)

    @with_transaction()
    def test_upgrade_by_amount_without_points(self):
        "The amount of purchases without points counts for the tiers"
        pool = Pool()
        Tier = pool.get('member.tier')
        Category = pool.get('product.category')
        Purchase = pool.get('member.purchase')
        silver, gold = create_tiers()
        vip = Tier(name="VIP", sequence=30, threshold_amount=Decimal(300))
        vip.save()
        wine, = Category.create([{'name': "Wine"}])
        create_rule(category=wine)
        member = create_member("Zhang San")
        record = purchase(member, '500')
        member = reload(member)
        self.assertEqual(member.balance, 0)
        self.assertEqual(member.cumulative_amount, Decimal(500))
        self.assertEqual(member.tier, vip)
        Purchase.cancel([record])
        self.assertEqual(reload(member).cumulative_amount, 0)

    @with_transaction()
    def test_purchase_cancel_reverses(self):
        "Cancelling a purchase reverses its points and the referral"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        Purchase = pool.get('member.purchase')
        config = Configuration(1)
        config.referral_first_points = 20
        config.save()
        create_rule()
        introducer = create_member("Introducer")
        member = create_member("Referee", introducer=introducer)
        record = purchase(member, '100')
        self.assertEqual(reload(member).balance, 100)
        self.assertEqual(reload(introducer).balance, 20)

        Purchase.cancel([record])
        member, introducer = reload(member), reload(introducer)
        self.assertEqual(member.balance, 0)
        self.assertEqual(member.cumulative_points, 0)
        self.assertEqual(member.cumulative_amount, 0)
        self.assertEqual(introducer.balance, 0)
        self.assertEqual(ledger_sum(member), 0)
        # Cancelling again changes nothing
        Purchase.cancel([record])
        self.assertEqual(ledger_sum(member), 0)
        self.assertEqual(reload(record).state, 'cancelled')

    @with_transaction()
    def test_ledger_immutable(self):
        "Points lines can be neither modified nor deleted"
        pool = Pool()
        Line = pool.get('member.points.line')
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '10')
        line, = Line.search([('member', '=', member.id)])
        with self.assertRaises(AccessError):
            Line.write([line], {'points': 1000})
        with self.assertRaises(AccessError):
            Line.delete([line])
        self.assertEqual(reload(line).points, 10)

    @with_transaction()
    def test_redeem_and_cancel(self):
        "A redemption takes points and stock; cancelling restores them"
        pool = Pool()
        Redemption = pool.get('member.redemption')
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '500')
        gift = create_gift(quantity=3, points_price=200)

        redemption = Redemption(member=member, gift=gift, quantity=2)
        redemption.save()
        Redemption.redeem([redemption])
        redemption = reload(redemption)
        self.assertEqual(redemption.state, 'requested')
        self.assertEqual(redemption.points, 400)
        self.assertEqual(reload(member).balance, 100)
        self.assertEqual(reload(gift).quantity, 1)

        Redemption.cancel([redemption])
        self.assertEqual(reload(redemption).state, 'cancelled')
        self.assertEqual(reload(member).balance, 500)
        self.assertEqual(reload(gift).quantity, 3)
        self.assertEqual(ledger_sum(member), 500)

    @with_transaction()
    def test_redeem_service_and_deliver(self):
        "A service has no stock and is delivered"
        pool = Pool()
        Redemption = pool.get('member.redemption')
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '300')
        service = create_gift(quantity=None, points_price=300, type='service')
        redemption = Redemption(member=member, gift=service, quantity=1)
        redemption.save()
        Redemption.redeem([redemption])
        Redemption.deliver([redemption])
        redemption = reload(redemption)
        self.assertEqual(redemption.state, 'delivered')
        self.assertTrue(redemption.delivery_date)
        self.assertEqual(reload(member).balance, 0)

    @with_transaction()
    def test_redeem_more_than_balance(self):
        "Redeeming more than the balance is refused and nothing changes"
        pool = Pool()
        Redemption = pool.get('member.redemption')
        Line = pool.get('member.points.line')
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '150')
        gift = create_gift(quantity=5, points_price=100)
        redemption = Redemption(member=member, gift=gift, quantity=2)
        redemption.save()
        with self.assertRaises(UserError) as cm:
            Redemption.redeem([redemption])
        self.assertIn("only 150 points", cm.exception.message)
        self.assertEqual(reload(redemption).state, 'draft')
        self.assertEqual(reload(member).balance, 150)
        self.assertEqual(reload(gift).quantity, 5)
        self.assertEqual(
            Line.search_count([('member', '=', member.id)]), 1)

    @with_transaction()
    def test_redeem_out_of_stock(self):
        "Redeeming a gift out of stock is refused and nothing changes"
        pool = Pool()
        Redemption = pool.get('member.redemption')
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '1000')
        gift = create_gift(quantity=1, points_price=100)
        redemption = Redemption(member=member, gift=gift, quantity=2)
        redemption.save()
        with self.assertRaises(UserError) as cm:
            Redemption.redeem([redemption])
        self.assertIn("only 1 in stock", cm.exception.message)
        self.assertEqual(reload(redemption).state, 'draft')
        self.assertEqual(reload(member).balance, 1000)
        self.assertEqual(reload(gift).quantity, 1)

    @with_transaction()
    def test_balance_check_constraint(self):
        "The database refuses a negative balance"
        pool = Pool()
        Member = pool.get('member.member')
        if backend.name != 'postgresql':
            self.skipTest("the SQLite backend does not create CHECK "
                "constraints; the guarded UPDATE protects the balance")
        member = create_member("Zhang San")
        table = Member.__table__()
        cursor = Transaction().connection.cursor()
        with self.assertRaises(backend.DatabaseIntegrityError):
            cursor.execute(*table.update(
                    [table.balance], [-1], where=table.id == member.id))

    @with_transaction()
    def test_expiry_oldest_first(self):
        "Redemptions use the oldest points first and expiry is set-based"
        pool = Pool()
        Redemption = pool.get('member.redemption')
        Line = pool.get('member.points.line')
        Date = pool.get('ir.date')
        today = Date.today()
        create_rule()
        member = create_member("Zhang San")
        other = create_member("Li Si")
        old = purchase(member, '300', date=today - relativedelta(months=25))
        purchase(member, '200', date=today - relativedelta(months=1))
        purchase(other, '50', date=today - relativedelta(months=30))
        gift = create_gift(quantity=5, points_price=100)
        redemption = Redemption(member=member, gift=gift, quantity=1)
        redemption.save()
        Redemption.redeem([redemption])
        self.assertEqual(reload(member).balance, 400)

        Line.expire_points()
        member, other = reload(member), reload(other)
        # 300 old points - 100 redeemed expire, the recent 200 remain
        self.assertEqual(member.balance, 200)
        self.assertEqual(other.balance, 0)
        expire, = Line.search([
                ('member', '=', member.id), ('type', '=', 'expire')])
        self.assertEqual(expire.points, -200)
        earn, = Line.search([
                ('member', '=', member.id), ('origin', '=', str(old))])
        self.assertEqual(expire.origin, earn)
        self.assertEqual(reload(earn).remaining, 0)
        self.assertEqual(ledger_sum(member), member.balance)
        self.assertEqual(ledger_sum(other), 0)

        # Running again expires nothing more
        Line.expire_points()
        self.assertEqual(reload(member).balance, 200)
        self.assertEqual(Line.search_count([('type', '=', 'expire')]), 2)

    @with_transaction()
    def test_adjustment_approval(self):
        "Small adjustments apply directly, big ones go through the flow"
        pool = Pool()
        Adjustment = pool.get('member.adjustment')
        Configuration = pool.get('member.configuration')
        Flow = pool.get('oa.approval.flow')
        Task = pool.get('oa.approval.task')
        Line = pool.get('member.points.line')
        User = pool.get('res.user')
        config = Configuration(1)
        config.adjust_approval_threshold = 100
        config.save()
        member = create_member("Zhang San")
        supervisor = User(name="Supervisor", login='supervisor')
        supervisor.save()
        # The consultant's flow comes before the default one
        flow, = Flow.create([{
                    'name': "积分调整审批", 'model': 'member.adjustment',
                    'sequence': 1,
                    'steps': [('create', [{
                                    'name': "主管审批",
                                    'approver_type': 'users',
                                    'users': [('add', [supervisor.id])],
                                    }])],
                    }])

        small = Adjustment(member=member, points=80, reason="Gift")
        big = Adjustment(member=member, points=500, reason="Campaign")
        rejected = Adjustment(member=member, points=700, reason="Mistake")
        Adjustment.save([small, big, rejected])
        Adjustment.request([small, big, rejected])
        self.assertEqual(reload(small).state, 'approved')
        self.assertEqual(reload(small).approval_state, 'none')
        for adjustment in [big, rejected]:
            adjustment = reload(adjustment)
            self.assertEqual(adjustment.state, 'waiting')
            self.assertEqual(adjustment.approval_state, 'running')
            self.assertEqual(adjustment.approval_instance.flow, flow)
        self.assertEqual(reload(member).balance, 80)

        def task_of(adjustment):
            task, = Task.search([
                    ('user', '=', supervisor.id),
                    ('state', '=', 'pending'),
                    ('instance.document', '=', str(adjustment)),
                    ])
            return task

        with Transaction().set_user(supervisor.id):
            Task.approve([task_of(big)])
            Task.reject([task_of(rejected)])
        big, rejected = reload(big), reload(rejected)
        self.assertEqual(big.state, 'approved')
        self.assertEqual(big.approval_state, 'approved')
        self.assertEqual(big.approved_by, supervisor)
        self.assertEqual(rejected.state, 'cancelled')
        self.assertEqual(rejected.approval_state, 'rejected')
        self.assertEqual(rejected.approved_by, supervisor)
        self.assertEqual(reload(member).balance, 580)
        self.assertEqual(ledger_sum(member), 580)
        self.assertEqual(Line.search_count([
                    ('origin', '=', str(rejected))]), 0)
        line, = Line.search([('origin', '=', str(big))])
        self.assertEqual((line.type, line.points), ('adjust', 500))

        # Withdrawn by the requester: back to draft, nothing posted
        withdrawn = Adjustment(member=member, points=-300, reason="Error")
        withdrawn.save()
        Adjustment.request([withdrawn])
        Adjustment.withdraw_approval([withdrawn])
        withdrawn = reload(withdrawn)
        self.assertEqual(withdrawn.state, 'draft')
        self.assertEqual(withdrawn.approval_state, 'withdrawn')
        self.assertEqual(reload(member).balance, 580)

        remove = Adjustment(member=member, points=-600, reason="Fraud")
        remove.save()
        with self.assertRaisesRegex(UserError, "580"):
            Adjustment.request([remove])
        self.assertEqual(reload(member).balance, 580)
        self.assertEqual(reload(remove).state, 'draft')

        # Without any flow a big adjustment is refused, not applied
        Flow.write(Flow.search([]), {'active': False})
        with self.assertRaisesRegex(UserError, "approval flow"):
            Adjustment.request([withdrawn])
        self.assertEqual(reload(withdrawn).state, 'draft')
        self.assertEqual(reload(member).balance, 580)

    @with_transaction()
    def test_adjustment_default_flow(self):
        "The default flow sends big adjustments to the sales supervisors"
        pool = Pool()
        Adjustment = pool.get('member.adjustment')
        Task = pool.get('oa.approval.task')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        supervisor = User(name="Supervisor", login='supervisor', groups=[
                Group(ModelData.get_id(
                        'oa_workflow', 'group_sales_supervisor'))])
        supervisor.save()
        member = create_member("Li Si")
        big = Adjustment(member=member, points=5000, reason="Compensation")
        big.save()
        Adjustment.request([big])
        self.assertEqual(reload(big).state, 'waiting')
        task, = Task.search([('instance.document', '=', str(big))])
        self.assertEqual(task.user, supervisor)
        with Transaction().set_user(supervisor.id):
            Task.approve([task])
        self.assertEqual(reload(big).state, 'approved')
        self.assertEqual(reload(member).balance, 5000)

    @with_transaction()
    def test_adjustment_zero(self):
        "An adjustment of zero points is refused"
        pool = Pool()
        Adjustment = pool.get('member.adjustment')
        member = create_member("Zhang San")
        with self.assertRaises(ValidationError) as cm:
            Adjustment.create([{
                        'member': member.id, 'points': 0, 'reason': "x"}])
        self.assertIn("cannot be zero", cm.exception.message)

    @with_transaction()
    def test_birthday_points(self):
        "Members get the birthday bonus once a year"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        Member = pool.get('member.member')
        config = Configuration(1)
        config.birthday_points = 88
        config.save()
        date = datetime.date(2026, 5, 17)
        member = create_member(
            "Zhang San", birthday=datetime.date(1990, 5, 17))
        other = create_member(
            "Li Si", birthday=datetime.date(1990, 5, 18))
        Member.grant_birthday_points(date=date)
        Member.grant_birthday_points(date=date)
        self.assertEqual(reload(member).balance, 88)
        self.assertEqual(reload(other).balance, 0)

    @with_transaction()
    def test_downgrade(self):
        "Members are downgraded when the rolling window misses the tier"
        pool = Pool()
        Configuration = pool.get('member.configuration')
        Member = pool.get('member.member')
        Date = pool.get('ir.date')
        today = Date.today()
        config = Configuration(1)
        config.tier_downgrade = True
        config.downgrade_window_months = 12
        config.save()
        silver, gold = create_tiers()
        create_rule()
        old = create_member("Old")
        recent = create_member("Recent")
        purchase(old, '1000', date=today - relativedelta(months=13))
        purchase(recent, '1000', date=today - relativedelta(months=2))
        self.assertEqual(reload(old).tier, gold)
        self.assertEqual(reload(recent).tier, gold)

        downgraded = Member.downgrade_tiers()
        self.assertEqual(downgraded, [old])
        self.assertEqual(reload(old).tier, silver)
        self.assertEqual(reload(recent).tier, gold)

    @with_transaction()
    def test_sale_confirm_and_cancel(self):
        "Confirming a sale of a member earns points; back to draft reverses"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Uom = pool.get('product.uom')
        Template = pool.get('product.template')
        Product = pool.get('product.product')
        Category = pool.get('product.category')

        company = create_company()
        with set_company(company):
            category, = Category.create([{'name': "Services"}])
            create_rule(rate=Decimal(2), category=category)
            party = Party(name="Wang Wu")
            party.save()
            Address(party=party).save()
            member = create_member_for_party(party)
            contact = create_member("Zhao Liu", organization=party)
            unit, = Uom.search([('name', '=', "Unit")])
            template = Template(
                name="Massage", type='service', default_uom=unit,
                list_price=Decimal(100), salable=True, sale_uom=unit,
                categories=[category])
            template.save()
            product = Product(template=template)
            product.save()
            sale = Sale(party=party)
            sale.on_change_party()
            sale.lines = [{
                    'product': product.id,
                    'quantity': 3,
                    'unit': unit.id,
                    'unit_price': Decimal(100),
                    }]
            sale.save()
            Sale.quote([sale])
            Sale.confirm([sale])
            self.assertEqual(reload(member).balance, 600)
            # The contact person of the customer earns too
            self.assertEqual(reload(contact).balance, 600)
            Sale.draft([sale])
            self.assertEqual(reload(member).balance, 0)
            self.assertEqual(reload(contact).balance, 0)
            Sale.quote([sale])
            Sale.confirm([sale])
            self.assertEqual(reload(member).balance, 600)
            self.assertEqual(ledger_sum(member), 600)

    @with_transaction()
    def test_reporting_and_export(self):
        "Analytics count points per period, members per tier and referrers"
        pool = Pool()
        Points = pool.get('member.points.reporting')
        Tiers = pool.get('member.tier.reporting')
        Referrers = pool.get('member.referrer.reporting')
        Export = pool.get('member.points.reporting.export', type='wizard')
        Redemption = pool.get('member.redemption')
        Configuration = pool.get('member.configuration')
        Date = pool.get('ir.date')
        today = Date.today()
        config = Configuration(1)
        config.referral_first_points = 30
        config.save()
        silver, gold = create_tiers()
        create_rule()
        introducer = create_member("Introducer")
        member = create_member("Referee", introducer=introducer)
        purchase(member, '1200')
        gift = create_gift(quantity=5, points_price=100)
        redemption = Redemption(member=member, gift=gift, quantity=1)
        redemption.save()
        Redemption.redeem([redemption])

        with Transaction().set_context(
                from_date=today, to_date=today, period='day'):
            row, = Points.search([])
            self.assertEqual(row.date, today)
            self.assertEqual(row.issued, 1230)
            self.assertEqual(row.redeemed, 100)
            self.assertEqual(row.net, 1130)
            referrer, = Referrers.search([])
            self.assertEqual(referrer.member, introducer)
            self.assertEqual(referrer.referees, 1)
            self.assertEqual(referrer.referral_points, 30)
        tiers = {r.tier: r.members for r in Tiers.search([])}
        self.assertEqual(tiers, {silver: 1, gold: 1})

        data = Export.build(today, today, 'day')
        with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
            sheets = [n for n in xlsx.namelist()
                if n.startswith('xl/worksheets/sheet')]
            self.assertEqual(len(sheets), 3)
            points_sheet = xlsx.read('xl/worksheets/sheet1.xml').decode()
        self.assertIn('<v>1230</v>', points_sheet)
        self.assertIn('<v>1130</v>', points_sheet)

    @with_transaction()
    def test_statement_report(self):
        "The statement lists the ledger lines of the period"
        pool = Pool()
        Statement = pool.get('member.statement', type='report')
        Date = pool.get('ir.date')
        today = Date.today()
        create_rule()
        member = create_member("Zhang San")
        purchase(member, '40', date=today - relativedelta(months=2))
        purchase(member, '75')
        ext, content, _, name = Statement.execute([member.id], {
                'model': 'member.member',
                'ids': [member.id],
                'from_date': today - relativedelta(days=1),
                'to_date': today,
                })
        self.assertEqual(ext, 'html')
        content = content.decode() if isinstance(content, bytes) else content
        self.assertIn(member.code, content)
        self.assertIn('>75<', content)
        self.assertIn('>40<', content)  # opening balance
        self.assertIn('>115<', content)  # closing balance

    def test_concurrent_redemption(self):
        "30 parallel redemptions of the whole balance: exactly one succeeds"
        if backend.name != 'postgresql':
            self.skipTest(
                "needs PostgreSQL row locks and parallel connections")
        workers = 30
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Redemption = pool.get('member.redemption')
            create_rule()
            member = create_member("Concurrent Member")
            purchase(member, '1000')
            gift = create_gift(quantity=100, points_price=1000)
            redemptions = Redemption.create([{
                        'member': member.id,
                        'gift': gift.id,
                        'quantity': 1,
                        } for _ in range(workers)])
            member_id, gift_id = member.id, gift.id
            redemption_ids = [r.id for r in redemptions]

        barrier = threading.Barrier(workers)
        results = []
        errors = []

        def redeem_once(redemption_id, extras):
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                Redemption = Pool().get('member.redemption')
                try:
                    Redemption.redeem([Redemption(redemption_id)])
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
                    return 'retry'
                except UserError:
                    transaction.rollback()
                    return 'refused'
            return 'redeemed'

        def run(redemption_id):
            extras = {}
            barrier.wait()
            try:
                for _ in range(500):
                    try:
                        result = redeem_once(redemption_id, extras)
                    except backend.DatabaseOperationalError:
                        # Lock not obtained or serialization failure
                        time.sleep(0.01)
                        continue
                    if result != 'retry':
                        results.append(result)
                        return
                errors.append("too many retries")
            except Exception as e:
                errors.append(repr(e))

        threads = [threading.Thread(target=run, args=(rid,))
            for rid in redemption_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Member = pool.get('member.member')
            Gift = pool.get('member.gift')
            Redemption = pool.get('member.redemption')
            member = Member(member_id)
            balance = member.balance
            ledger = ledger_sum(member)
            quantity = Gift(gift_id).quantity
            requested = Redemption.search_count([
                    ('id', 'in', redemption_ids),
                    ('state', '=', 'requested'),
                    ])
            # Remove the committed data for the other tests
            cursor = transaction.connection.cursor()
            for name, where in [
                    ('member.points.line', lambda t: t.member == member_id),
                    ('member.redemption', lambda t: t.member == member_id),
                    ('member.purchase', lambda t: t.member == member_id),
                    ('member.member', lambda t: t.id == member_id),
                    ('member.gift', lambda t: t.id == gift_id),
                    ('member.points.rule', lambda t: t.id > 0),
                    ]:
                table = pool.get(name).__table__()
                cursor.execute(*table.delete(where=where(table)))

        self.assertEqual(errors, [])
        self.assertEqual(results.count('redeemed'), 1)
        self.assertEqual(results.count('refused'), workers - 1)
        self.assertEqual(balance, 0)
        self.assertEqual(ledger, balance)
        self.assertEqual(quantity, 99)
        self.assertEqual(requested, 1)


def create_member_for_party(party):
    pool = Pool()
    Member = pool.get('member.member')
    member = Member(party=party)
    member.save()
    return member


del ModuleTestCase
