"""Opportunities at any scale (SPEC X5): about half of the customers a
salesperson has locked get an open deal of their owner, at a stage reached
through the earlier ones (stage history with the days spent in each), with
an amount and an expected close. Generated set-based like the customers
(bulk.py): one query for the owners, then COPY / executemany per table."""
import datetime as dt
from decimal import Decimal

PROJECTS = [
    "CRM 系统采购", "ERP 升级", "门店收银设备更新", "呼叫中心扩容",
    "会员积分平台", "办公自动化实施", "数据中心运维服务", "企业邮箱续约",
    "视频会议系统", "年度框架合同",
    ]
SHARE = 0.5  # of the locked customers


def generate_opportunities(rnd):
    "Open opportunities of the locked customers; returns how many"
    from crm_oa_demo.bulk import analyze, insert_rows, next_ids
    from sql import Null
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Stage = pool.get('crm.opportunity.stage')
    Configuration = pool.get('sale.configuration')
    Sequence = pool.get('ir.sequence')
    stages = Stage.search([], order=[('sequence', 'ASC'), ('id', 'ASC')])
    company = Company(Transaction().context['company'])
    party = Party.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*party.select(
            party.id, party.name, party.owner, party.owner_department,
            where=(party.owner != Null) & (party.crm_type == 'organization'),
            order_by=[party.id]))
    owned = [row for row in cursor if rnd.random() < SHARE]
    if not owned or not stages:
        return 0
    sequence = Configuration(1).sale_opportunity_sequence
    number = sequence.number_next
    prefix = sequence.prefix or ''
    first = next_ids('sale_opportunity', len(owned))
    now = dt.datetime.now().replace(microsecond=0)  # UTC, as stored
    today = pool.get('ir.date').today()  # the company's today
    deals, history = [], []
    for i, (party_id, name, owner, department) in enumerate(owned):
        reached = rnd.randrange(len(stages))
        # days spent in each stage up to the current one, counted back
        # from now: the current stage started `spent[-1]` days ago
        spent = [rnd.randrange(3, 25) for _ in range(reached + 1)]
        starts = []
        start = now - dt.timedelta(days=sum(spent))
        for days in spent:
            starts.append(start)
            start += dt.timedelta(days=days)
        stage = stages[reached]
        deals.append((first + i, f'{prefix}{number + i}', company.id,
                company.currency.id, owner, department, 'opportunity',
                today - dt.timedelta(days=sum(spent)),
                today + dt.timedelta(days=rnd.randrange(15, 120)),
                stage.probability, stage.id, starts[-1], False, 'manual',
                Decimal(rnd.randrange(10, 500) * 1000), party_id,
                f'{name} {rnd.choice(PROJECTS)}'))
        for j, (begin, days) in enumerate(zip(starts, spent)):
            closed = j < reached
            history.append((first + i, stages[j].id, begin,
                    begin + dt.timedelta(days=days) if closed else None,
                    float(days) if closed else None, owner))
    insert_rows('sale_opportunity',
        ['id', 'number', 'company', 'currency', 'employee', 'department',
            'state', 'start_date', 'end_date', 'conversion_probability',
            'stage', 'stage_date', 'paused', 'capture', 'amount', 'party',
            'description'],
        deals)
    Sequence.write([sequence], {'number_next': number + len(owned)})
    insert_rows('crm_opportunity_stage_history',
        ['opportunity', 'stage', 'start', 'end', 'days', 'employee'],
        history)
    analyze('sale_opportunity', 'crm_opportunity_stage_history')
    return len(owned)
