"""Members of the demo (SPEC X5, MP1..MP3): the tiers, the earning rule and
the gift catalog set by the consultant; members registered by the call
centre agent (individual customers and the contact persons of an
organization customer), who earn their points through confirmed purchases
(member.purchase.confirm: ledger lines, balances, tier upgrades) and one
of them redeems a gift (member.redemption.redeem)."""
import datetime as dt
from decimal import Decimal

# name, threshold points, earn rate multiplier
TIERS = [
    ("普通会员", None, '1'),
    ("银卡会员", 2000, '1.2'),
    ("金卡会员", 8000, '1.5'),
    ]
# name, type, points price, quantity in stock
GIFTS = [
    ("品牌保温杯", 'gift', 800, 50),
    ("京东购物卡 100 元", 'gift', 3000, 20),
    ("上门设备巡检一次", 'service', 5000, None),
    ]
# name, type, city, phone, birthday (month, day), days since joining,
# purchases: (days ago, amount, reference)
MEMBERS = [
    ("林婉清", 'individual', '上海', '+86 139 1620 5531', (3, 14), 420, [
            (300, '3200.00', 'POS-0312'), (120, '2680.00', 'POS-0877'),
            (20, '4500.00', 'POS-1290')]),
    ("赵建国", 'individual', '杭州', '+86 138 5712 0846', (11, 2), 200, [
            (150, '1500.00', 'POS-0655'), (40, '880.00', 'POS-1102')]),
    ("马晓雯", 'individual', '南京', '+86 137 7001 2289', (7, 30), 30, [
            (10, '560.00', 'POS-1345')]),
    ("陈立峰", 'contact', '上海', '+86 136 2166 7410', (1, 8), 260, [
            (90, '6800.00', 'INV-2031'), (15, '3600.00', 'INV-2307')]),
    ("黄思敏", 'contact', '上海', '+86 135 6428 9913', (9, 21), 90, []),
    ]
EMPLOYER = ("上海浦东恒信电子科技有限公司", '上海', 'IT', 'A')


def setup_members(company, users, reference):
    "Tiers, rule, gifts, members with their purchases, one redemption"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Tier = pool.get('member.tier')
    Rule = pool.get('member.points.rule')
    Gift = pool.get('member.gift')
    Party = pool.get('party.party')
    Member = pool.get('member.member')
    Purchase = pool.get('member.purchase')
    Redemption = pool.get('member.redemption')
    Date = pool.get('ir.date')
    today = Date.today()  # the company's today

    consultant = users['consultant']
    with Transaction().set_user(consultant.id), Transaction().set_context(
            company=company.id, employee=consultant.employee.id):
        Tier.create([{
                    'name': name, 'sequence': 10 * (i + 1),
                    'threshold_points': threshold, 'rate': Decimal(rate)}
                for i, (name, threshold, rate) in enumerate(TIERS)])
        Rule.create([{'name': "每消费 1 元积 1 分", 'rate': Decimal(1),
                    'sequence': 10}])
        gifts = Gift.create([{
                    'name': name, 'type': type_, 'points_price': price,
                    'quantity': quantity}
                for name, type_, price, quantity in GIFTS])

    # the customers (open pool: the call centre serves them all)
    name, city, industry, value_class = EMPLOYER
    with Transaction().set_context(crm_customer=True, _skip_warnings=True):
        employer, = Party.create([{
                    'name': name, 'crm_type': 'organization',
                    'crm_status': 'customer', 'city': city,
                    'subdivision': reference.province(city),
                    'industry': reference.industries[industry],
                    'value_class': reference.classes[value_class],
                    'source': reference.sources['REFERRAL'],
                    }])
        parties = Party.create([{
                    'name': name, 'crm_type': type_,
                    'crm_status': 'customer', 'city': city,
                    'subdivision': reference.province(city),
                    'value_class': (reference.classes['C']
                        if type_ == 'individual' else None),
                    'source': reference.sources['VISIT' if type_ == 'contact'
                        else 'WEB'],
                    'crm_employer': employer.id if type_ == 'contact'
                    else None,
                    'birthday': dt.date(1980 + i * 3, *birthday),
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': phone}])],
                    }
                for i, (name, type_, city, phone, birthday, _, _) in
                enumerate(MEMBERS)])

    agent = users['agent']
    with Transaction().set_user(agent.id), Transaction().set_context(
            company=company.id, employee=agent.employee.id):
        members = Member.create([{
                    'party': party.id,
                    'organization': employer.id if type_ == 'contact'
                    else None,
                    'birthday': party.birthday,
                    'join_date': today - dt.timedelta(days=joined),
                    }
                for party, (_, type_, _, _, _, joined, _) in zip(
                    parties, MEMBERS)])
        # the first member introduced the third one
        members[2].introducer = members[0]
        members[2].save()
        purchases = Purchase.create([{
                    'member': member.id,
                    'date': today - dt.timedelta(days=days),
                    'amount': Decimal(amount), 'reference': reference_,
                    'description': "门店消费" if reference_.startswith('POS')
                    else "企业采购（联系人积分）",
                    }
                for member, (*_, bought) in zip(members, MEMBERS)
                for days, amount, reference_ in bought])
        # confirmed one date after the other, as they came in
        for purchase in sorted(purchases, key=lambda p: p.date):
            Purchase.confirm([purchase])
        redemption, = Redemption.create([{
                    'member': members[0].id, 'gift': gifts[0].id,
                    'quantity': 1, 'date': today - dt.timedelta(days=2),
                    'address': "上海市徐汇区漕溪北路 88 号",
                    }])
        Redemption.redeem([redemption])
    return members
