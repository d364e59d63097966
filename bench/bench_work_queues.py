"""Follow-up work queues at scale (SPEC CRM-C3, issue 5).

Data (set-based SQL, generate_series): 200 salespeople, 1 000 000
customers (80 % locked, next contact dates spread over +/- 3 weeks, a tenth
never contacted) and 5 000 000 contact records; the customers' last contact
dates are derived from the records in one UPDATE. Measured, each repetition
in a fresh transaction with the salesperson's record rules: the five tab
counts of "My Work Queues" as the web client asks them (five search_count
calls with the action and tab domains) and the five counts of the Work
Queue Overview (Party.crm_queue_counts: one statement). The reference is
the faster of two hand-written SQL forms returning the same counts: five
statements, or one statement of five counting subqueries. The framework's
floor is measured beside them: the five counts with plain column domains,
without record rules and access checks (what any search_count costs)."""
import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, percentile, report)

SALESPEOPLE = 200
QUEUES = ['today', 'week', 'overdue', 'stale', 'never']


def generate(customers, records):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    User = pool.get('res.user')
    Company = pool.get('company.company')
    cursor = Transaction().connection.cursor()
    company, = Company.search([])
    sales, = User.search([('login', '=', 'sales')])
    measured = sales.employee.id
    # remove the data of a previous run
    cursor.execute("DELETE FROM crm_contact_record WHERE id >= 10000000")
    cursor.execute("DELETE FROM party_party WHERE id >= 10000000")
    cursor.execute("DELETE FROM company_employee WHERE id >= 10000000")
    cursor.execute("DELETE FROM party_party WHERE id >= 9000000")
    # salespeople: the demo's "sales" and 199 generated employees
    cursor.execute("""
        INSERT INTO party_party (id, active, code, name, create_uid,
            create_date)
        SELECT 9000000 + i, true, 'FUBE' || i, '销售员 ' || i, 0, now()
        FROM generate_series(1, %s - 1) AS i""", (SALESPEOPLE,))
    cursor.execute("""
        INSERT INTO company_employee (id, party, company,
            create_uid, create_date)
        SELECT 10000000 + i, 9000000 + i, %s, 0, now()
        FROM generate_series(1, %s - 1) AS i""",
        (company.id, SALESPEOPLE))
    # owner of customer i: employee (i % 250) when < 200, else open pool
    owner = """CASE WHEN i %% 250 = 0 THEN {measured}
        WHEN i %% 250 < {n} THEN 10000000 + i %% 250 END""".format(
        measured=measured, n=SALESPEOPLE)
    cursor.execute(f"""
        INSERT INTO party_party (id, active, code, name, crm_type,
            crm_status, ownership_state, owner, lock_date,
            next_contact_date, create_uid, create_date)
        SELECT 10000000 + i, true, 'FUB' || i, '跟进客户 ' || i,
            'organization', 'customer',
            CASE WHEN i %% 250 < %s THEN 'locked' ELSE 'open' END,
            {owner},
            CASE WHEN i %% 250 < %s THEN current_date - 90 END,
            CASE WHEN i %% 10 <> 3 AND i %% 250 < %s
                THEN current_date + ((i * 13) %% 43 - 21) END,
            0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (SALESPEOPLE, SALESPEOPLE, SALESPEOPLE, customers))
    # contact records over 90 % of the customers (the rest never contacted)
    contacted = customers * 9 // 10
    cursor.execute("""
        INSERT INTO crm_contact_record (id, party, employee, date, type,
            subject, content, create_uid, create_date)
        SELECT 10000000 + g, p.id, COALESCE(p.owner, %s),
            now() - ((g * 37) %% 200 || ' days')::interval,
            (ARRAY['phone', 'visit', 'wechat', 'email', 'meeting'])
                [1 + g %% 5],
            '联系 ' || g, '沟通需求', 0, now()
        FROM generate_series(0, %s - 1) AS g
        JOIN party_party p ON p.id = 10000000 + (g::bigint * 7919) %% %s""",
        (measured, records, contacted))
    cursor.execute("""
        UPDATE party_party p SET last_contact_date = r.last
        FROM (SELECT party, MAX(date)::date AS last
            FROM crm_contact_record WHERE id >= 10000000
            GROUP BY party) AS r
        WHERE p.id = r.party""")
    cursor.execute("SELECT setval('party_party_id_seq', "
        "(SELECT MAX(id) FROM party_party))")
    cursor.execute("SELECT setval('company_employee_id_seq', "
        "(SELECT MAX(id) FROM company_employee))")
    cursor.execute("SELECT setval('crm_contact_record_id_seq', "
        "(SELECT MAX(id) FROM crm_contact_record))")
    for table in ['party_party', 'company_employee', 'crm_contact_record']:
        cursor.execute(f'ANALYZE "{table}"')
    return sales.id, measured


@contextmanager
def as_user(database, user_id, check_access=True):
    """A fresh read-only transaction of the user with the context of the
    web client; yields the context"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, user_id, readonly=True) as transaction:
        User = Pool().get('res.user')
        context = User.get_preferences(context_only=True)
        with transaction.set_context(context, _check_access=check_access):
            yield context


def timed(function):
    "(seconds, result) of function()"
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def orm_tabs(database, user_id):
    "The five search_count calls of the tabs, as sao sends them"
    from trytond.pool import Pool
    with as_user(database, user_id) as context:
        Party = Pool().get('party.party')
        action = [('owner', '=', context['employee'])]
        return timed(lambda: {q: Party.search_count(
                    action + [('crm_queue', '=', q)]) for q in QUEUES})


def orm_counts(database, user_id):
    "Party.crm_queue_counts (the Work Queue Overview): one statement"
    from trytond.pool import Pool
    with as_user(database, user_id):
        return timed(Pool().get('party.party').crm_queue_counts)


def orm_floor(database, user_id, employee_id, dates):
    """The five counts through search_count with the column domains and
    no record rule or access check: the ORM's cost of a count"""
    from trytond.pool import Pool
    today, end_of_week, stale = dates
    domains = {
        'today': [('next_contact_date', '=', today)],
        'week': [('next_contact_date', '>=', today),
            ('next_contact_date', '<=', end_of_week)],
        'overdue': [('next_contact_date', '<', today)],
        'stale': [('last_contact_date', '<', stale)],
        'never': [('last_contact_date', '=', None)],
        }
    with as_user(database, user_id, check_access=False):
        Party = Pool().get('party.party')
        return timed(lambda: {q: Party.search_count(
                    [('owner', '=', employee_id)] + d)
                for q, d in domains.items()})


def queue_dates(database, user_id):
    "today, end of week, stale limit as the ORM computes them for the user"
    from trytond.pool import Pool
    with as_user(database, user_id, check_access=False):
        return Pool().get('party.party')._crm_queue_dates()


SQL_QUEUES = {
    'today': "next_contact_date = %(today)s",
    'week': "next_contact_date BETWEEN %(today)s AND %(week)s",
    'overdue': "next_contact_date < %(today)s",
    'stale': "last_contact_date < %(stale)s",
    'never': "last_contact_date IS NULL",
    }


def sql_counts(database, employee_id, dates, one=False):
    """The five counts in hand-written SQL: five statements, or with one
    a single statement of five counting subqueries"""
    from trytond.transaction import Transaction
    today, end_of_week, stale = dates
    params = {'today': today, 'week': end_of_week, 'stale': stale,
        'owner': employee_id}
    count = ("SELECT COUNT(*) FROM party_party "
        "WHERE owner = %(owner)s AND {}")
    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        if one:
            cursor.execute("SELECT " + ", ".join(
                    f"({count.format(where)})"
                    for where in SQL_QUEUES.values()), params)
            counts = dict(zip(SQL_QUEUES, cursor.fetchone()))
        else:
            counts = {}
            for name, where in SQL_QUEUES.items():
                cursor.execute(count.format(where), params)
                counts[name] = cursor.fetchone()[0]
        elapsed = time.perf_counter() - started
    return elapsed, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--records', type=int, default=5_000_000)
    parser.add_argument('--repeat', type=int, default=100)
    parser.add_argument('--database', default='followup_bench_queues')
    parser.add_argument('--reuse', action='store_true',
        help="reuse the demo database of a previous run")
    parser.add_argument('--reuse-data', action='store_true',
        help="reuse the demo database and the generated data")
    args = parser.parse_args()
    config_file = configure()
    if not (args.reuse or args.reuse_data):
        create_demo_database(config_file, args.database)

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    started = time.perf_counter()
    if args.reuse_data:
        with Transaction().start(args.database, 0, readonly=True):
            User = Pool().get('res.user')
            sales, = User.search([('login', '=', 'sales')])
            user_id, employee_id = sales.id, sales.employee.id
    else:
        with Transaction().start(args.database, 0) as transaction:
            user_id, employee_id = generate(args.customers, args.records)
            transaction.commit()
    generated = time.perf_counter() - started

    tabs_times, counts_times, sql_times, floor_times = [], [], [], []
    sql_one_times = []
    for n in range(args.repeat):
        dates = queue_dates(args.database, user_id)
        tabs, tab_counts = orm_tabs(args.database, user_id)
        one, one_counts = orm_counts(args.database, user_id)
        floor, floor_counts = orm_floor(
            args.database, user_id, employee_id, dates)
        sql, counts = sql_counts(args.database, employee_id, dates)
        sql_one, sql_one_counts = sql_counts(
            args.database, employee_id, dates, one=True)
        assert (tab_counts == counts == one_counts == floor_counts
            == sql_one_counts), (
            tab_counts, one_counts, floor_counts, counts, sql_one_counts)
        if n >= 5:  # warm-up
            tabs_times.append(tabs)
            counts_times.append(one)
            floor_times.append(floor)
            sql_times.append(sql)
            sql_one_times.append(sql_one)
    tabs_p95 = percentile(tabs_times, 95) * 1000
    one_p95 = percentile(counts_times, 95) * 1000
    sql5_p95 = percentile(sql_times, 95) * 1000
    sql1_p95 = percentile(sql_one_times, 95) * 1000
    # the reference is the faster of the two hand-written forms
    sql_p95 = min(sql5_p95, sql1_p95)
    floor_p95 = percentile(floor_times, 95) * 1000
    one_median = percentile(counts_times, 50) * 1000
    sql_median = min(
        percentile(sql_times, 50), percentile(sql_one_times, 50)) * 1000
    report(f"Work queues of one salesperson: {args.customers:,} customers, "
        f"{args.records:,} contact records, {SALESPEOPLE} salespeople; "
        f"counts {counts} — {machine()}", [
            ('data generated in', f"{generated:.1f} s"),
            ('hand-written SQL, 5 statements p95', f"{sql5_p95:.1f} ms"),
            ('hand-written SQL, 1 statement p95', f"{sql1_p95:.1f} ms"),
            ('ORM 5 tab search_count + rules p95', f"{tabs_p95:.1f} ms"),
            ('ORM crm_queue_counts + rules p95', f"{one_p95:.1f} ms"),
            ('ratio tabs / faster SQL (p95)', f"{tabs_p95 / sql_p95:.2f}"),
            ('ratio crm_queue_counts / faster SQL (p95)',
                f"{one_p95 / sql_p95:.2f}"),
            ('ratio crm_queue_counts / faster SQL (median)',
                f"{one_median / sql_median:.2f} ({one_median:.1f} / "
                f"{sql_median:.1f} ms)"),
            ('floor: ORM 5 search_count, no rules/access p95',
                f"{floor_p95:.1f} ms (ratio to SQL "
                f"{floor_p95 / sql_p95:.2f})"),
            ('target', "5 counts p95 <= 100 ms and <= 2x SQL"),
            ])


if __name__ == '__main__':
    main()
