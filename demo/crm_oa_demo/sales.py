"""Sales demo data (SPEC X5, CRM-C, CRM-D): opportunities of the
salesperson's customers at different stages, and contact records (which set
the customers' last contact, propose the next one and put the follow-up
appointments in the calendar). Created through the ORM as the salesperson,
so that the work queues, the pipeline and the calendar show real content."""
import datetime as dt
from decimal import Decimal

# description, amount, stage index (0 = first stage), expected close in days
DEALS = [
    ("年度 CRM 系统采购", '180000', 0, 60),
    ("门店收银设备更新", '56000', 1, 45),
    ("呼叫中心坐席扩容", '98000', 2, 30),
    ("会员积分平台二期", '240000', 3, 20),
    ("办公自动化实施服务", '36000', 1, 75),
    ]
# type, subject, content, result, days ago, next contact in days from
# today (the salesperson's follow-up appointment: due today, overdue since
# yesterday, later this week; None: as the form proposes it)
CONTACTS = [
    ('visit', "上门拜访采购部", "演示产品并了解现有系统的问题",
        "客户认可方案，要求今天发送报价", 2, 0),
    ('phone', "电话沟通报价", "解释报价构成与实施周期",
        "客户内部讨论后回复，约定昨天再次电话", 5, -1),
    ('wechat', "微信发送案例资料", "发送同行业成功案例与白皮书",
        "客户已阅读，约定本周面谈", 9, None),
    ]


def setup_sales(company, users):
    "Opportunities and contact records of the demo salesperson"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    sales = users['sales']
    customers = Party.search([
            ('owner', '=', sales.employee.id),
            ('crm_type', '=', 'organization'),
            ], order=[('id', 'ASC')], limit=len(DEALS))
    if not customers:
        return
    with Transaction().set_user(sales.id), Transaction().set_context(
            company=company.id, employee=sales.employee.id,
            _skip_warnings=True):
        opportunities = _opportunities(customers, sales.employee)
        _contact_records(customers, opportunities)


def _opportunities(customers, employee):
    from trytond.pool import Pool
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Stage = pool.get('crm.opportunity.stage')
    stages = Stage.search([], order=[('sequence', 'ASC'), ('id', 'ASC')])
    today = pool.get('ir.date').today()
    deals = list(zip(customers, DEALS))
    opportunities = Opportunity.create([{
                'party': customer.id, 'employee': employee.id,
                'description': f"{customer.name} {description}",
                'amount': Decimal(amount),
                'end_date': today + dt.timedelta(days=days)}
            for customer, (description, amount, _, days) in deals])
    Opportunity.opportunity(opportunities)
    for opportunity, (_, (_, _, stage, _)) in zip(opportunities, deals):
        if stages and stage:
            opportunity.stage = stages[min(stage, len(stages) - 1)]
    Opportunity.save(opportunities)
    return opportunities


def _contact_records(customers, opportunities):
    from trytond.pool import Pool
    pool = Pool()
    Record = pool.get('crm.contact_record')
    # the company's today (its timezone), as the work queues count it
    today = pool.get('ir.date').today()
    now = dt.datetime.now().replace(microsecond=0)
    values = []
    for customer, opportunity, (
            type_, subject, content, result, days, next_days) in (
            zip(customers, opportunities, CONTACTS)):
        date = now - dt.timedelta(days=days)
        if next_days is None:
            # as the form proposes it, kept within the week
            next_date = min(customer.crm_propose_next_contact(
                    today - dt.timedelta(days=days)), _end_of_week(today))
        else:
            next_date = today + dt.timedelta(days=next_days)
        values.append({
                'party': customer.id, 'opportunity': opportunity.id,
                'type': type_, 'subject': subject, 'content': content,
                'result': result, 'date': date,
                'next_contact_date': next_date,
                })
    Record.create(values)


def _end_of_week(today):
    return today + dt.timedelta(days=6 - today.weekday())
