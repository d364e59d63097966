"""Customer ownership at scale (SPEC CRM-B3, B4, B6; issue 4).

Data (set-based SQL, on top of the demo organization): 200 salespeople
(users in the Salesperson group, employees under the demo supervisor),
N customers (default 1 000 000) with a landline each; 70 % locked by the
salespeople, 30 % in the open pool; one policy (quota 100 000, approval
needed, release after 30 days without contact, 5 warning days) on the
default pool; a tenth of the customers (100 000) due for release.

Three measures, each against its reference in the same run:

(a) auto-release: ``party.party.crm_auto_release`` (the cron job) against
    a hand-written ``INSERT INTO history ... SELECT`` + ``UPDATE``, both
    rolled back, alternately, median of the runs;
(b) "My customers" as a salesperson (record rules on): the tab count and
    the first 80 rows with the list-view fields (``search_count`` +
    ``search_read``) against the same search by the general manager (no
    rule), p95 over the runs;
(c) the "Request Lock" RPC (row locks, quota, cool-down, daily limit,
    the approval engine's submission), emulated as the dispatcher runs it
    (re-run with the row locks), rolled back: p95; and the same RPC refused
    at the quota (QuotaError with the release suggestion).
"""
import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, percentile, report)

SALESPEOPLE = 200
FIRST_PARTY = 10_000_000


def generate(customers):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    User = pool.get('res.user')
    Company = pool.get('company.company')
    ModelData = pool.get('ir.model.data')
    Policy = pool.get('crm.ownership.policy')
    CustomerPool = pool.get('crm.customer.pool')
    Configuration = pool.get('crm.configuration')
    cursor = Transaction().connection.cursor()
    company, = Company.search([])
    admin, = User.search([('login', '=', 'admin')])
    supervisor, = User.search([('login', '=', 'supervisor')])
    group = ModelData.get_id('oa_workflow', 'group_salesperson')
    sup_employee = supervisor.employee

    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM party_party '
        'WHERE id < %s', (FIRST_PARTY,))
    first_emp_party = cursor.fetchone()[0] + 1
    cursor.execute("""
        INSERT INTO party_party (id, active, code, name, create_uid,
            create_date)
        SELECT %s + i, true, 'BSP' || i, '销售员' || i, 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (first_emp_party, SALESPEOPLE))
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM company_employee')
    first_employee = cursor.fetchone()[0] + 1
    cursor.execute("""
        INSERT INTO company_employee (id, party, company, supervisor,
            department, create_uid, create_date)
        SELECT %s + i, %s + i, %s, %s, %s, 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (first_employee, first_emp_party, company.id, sup_employee.id,
            sup_employee.department.id if sup_employee.department else None,
            SALESPEOPLE))
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM res_user')
    first_user = cursor.fetchone()[0] + 1
    cursor.execute("""
        INSERT INTO res_user (id, login, name, active, menu, language,
            company, company_filter, employee, create_uid, create_date)
        SELECT %s + i, 'bsales' || i, '销售员' || i, true, %s, %s, %s,
            'one', %s + i, 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (first_user, admin.menu.id,
            admin.language.id if admin.language else None, company.id,
            first_employee, SALESPEOPLE))
    for table, column, value in [
            ('res_user-company_company', 'company', company.id),
            ('res_user-res_group', 'group', group)]:
        cursor.execute(f"""
            INSERT INTO "{table}" ("user", "{column}", create_uid,
                create_date)
            SELECT id, %s, 0, now() FROM res_user
            WHERE login LIKE 'bsales%%'""", (value,))
    cursor.execute("""
        INSERT INTO "res_user-company_employee" ("user", employee,
            create_uid, create_date)
        SELECT id, employee, 0, now() FROM res_user
        WHERE login LIKE 'bsales%%'""")
    for table in ['party_party', 'company_employee', 'res_user']:
        cursor.execute(f"SELECT setval('{table}_id_seq', "
            f"(SELECT MAX(id) FROM {table}))")

    policy, = Policy.create([{
                'name': '基准策略',
                'creation_mode': 'open',
                'default_quota': 100_000,
                'needs_approval': True,
                'cooldown_days': 30,
                'warning_days': 5,
                'exempt_states': ['opportunity'],
                'release_rules': [('create', [{'no_contact_days': 30}])],
                }])
    customer_pool, = CustomerPool.create([{
                'name': '公共客户池', 'policy': policy.id}])
    config = Configuration(1)
    config.default_pool = customer_pool
    config.save()

    # i % 10: 0-2 open, 3 due (last contact 45 days ago), 4 in the warning
    # period (27 days ago), 5-9 contacted in the last 25 days
    today = dt.date.today()
    cursor.execute("""
        INSERT INTO party_party (id, active, code, name, crm_type,
            crm_status, ownership_state, owner, owner_department, lock_date,
            last_contact_date, create_uid, create_date)
        SELECT %(first)s + i, true, 'BC' || i,
            (ARRAY['北京', '上海', '广州', '深圳', '杭州'])[i %% 5 + 1]
                || '基准客户' || i || '有限公司',
            'organization', 'customer',
            CASE WHEN i %% 10 < 3 THEN 'open' ELSE 'locked' END,
            CASE WHEN i %% 10 < 3 THEN NULL
                ELSE %(emp)s + (i / 10) %% %(n)s END,
            CASE WHEN i %% 10 < 3 THEN NULL ELSE %(dep)s END,
            CASE WHEN i %% 10 < 3 THEN NULL
                ELSE %(today)s::date - 60 END,
            CASE WHEN i %% 10 = 3 THEN %(today)s::date - 45
                WHEN i %% 10 = 4 THEN %(today)s::date - 27
                ELSE %(today)s::date - (i %% 25) END,
            0, now()
        FROM generate_series(0, %(count)s - 1) AS i""", {
            'first': FIRST_PARTY, 'emp': first_employee, 'n': SALESPEOPLE,
            'dep': (sup_employee.department.id
                if sup_employee.department else None),
            'today': today, 'count': customers})
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM party_contact_mechanism')
    first_mechanism = cursor.fetchone()[0] + 1
    cursor.execute("""
        INSERT INTO party_contact_mechanism (id, active, party, sequence,
            type, value, value_compact, create_uid, create_date)
        SELECT %s + i, true, %s + i, 10, 'phone',
            '010-' || (60000000 + i), '+8610' || (60000000 + i), 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (first_mechanism, FIRST_PARTY, customers))
    for table in ['party_party', 'party_contact_mechanism']:
        cursor.execute(f"SELECT setval('{table}_id_seq', "
            f"(SELECT MAX(id) FROM {table}))")
    for table in ['party_party', 'party_contact_mechanism', 'res_user',
            'company_employee', 'crm_ownership_history', 'crm_lock_request']:
        cursor.execute(f'ANALYZE "{table}"')
    return first_user, first_employee


# (a) auto-release
def orm_release(database):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 0) as transaction:
        Company = Pool().get('company.company')
        company, = Company.search([])
        with transaction.set_context(company=company.id):
            Party = Pool().get('party.party')
            started = time.perf_counter()
            Party.crm_auto_release()
            elapsed = time.perf_counter() - started
        cursor = transaction.connection.cursor()
        cursor.execute("SELECT COUNT(*) FROM crm_ownership_history "
            "WHERE action = 'auto_release'")
        released = cursor.fetchone()[0]
        transaction.rollback()
    return elapsed, released


def sql_release(database):
    from trytond.transaction import Transaction
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("SELECT default_pool FROM crm_configuration")
        pool_id = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute("""
            INSERT INTO crm_ownership_history (create_uid, create_date,
                party, date, action, from_employee, "user", reason, batch)
            SELECT 0, now(), p.id, now(), 'auto_release', p.owner, NULL,
                'sql', 'sql-batch'
            FROM party_party p
            WHERE p.ownership_state = 'locked'
                AND (p.pool = %s OR p.pool IS NULL)
                AND p.lock_date < current_date - 30
                AND COALESCE(p.last_contact_date, p.lock_date)
                    < current_date - 30
                AND NOT EXISTS (SELECT 1 FROM sale_opportunity o
                    WHERE o.party = p.id AND o.state = 'opportunity')""",
            (pool_id,))
        released = cursor.rowcount
        cursor.execute("""
            UPDATE party_party SET owner = NULL, owner_department = NULL,
                ownership_state = 'open', lock_date = NULL,
                write_date = now(), write_uid = 0
            WHERE id IN (SELECT party FROM crm_ownership_history
                WHERE batch = 'sql-batch')""")
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed, released


# (b) "My customers"
def list_fields():
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    ModelData = Pool().get('ir.model.data')
    view_id = ModelData.get_id('crm_ext', 'customer_view_list')
    view = Party.fields_view_get(view_id=view_id, view_type='tree')
    return [f for f in view['fields'] if not f.startswith('_')]


def my_customers(database, user_id, employee_id, fields):
    "What sao asks for the tab 'Mine' of Customers: count + 80 rows"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, user_id, readonly=True) as transaction:
        User = Pool().get('res.user')
        context = User.get_preferences(context_only=True)
        context.update({'crm_customer': True, '_check_access': True})
        with transaction.set_context(context):
            Party = Pool().get('party.party')
            domain = [('crm_type', '!=', None), ('owner', '=', employee_id)]
            started = time.perf_counter()
            count = Party.search_count(domain)
            rows = Party.search_read(domain, 0, 80, None, fields)
            elapsed = time.perf_counter() - started
    return elapsed, count, [r['id'] for r in rows]


# (c) the "Request Lock" RPC
_CONTEXTS = {}


def user_context(database, user_id):
    "The context sao sends with every call (its preferences)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    if user_id not in _CONTEXTS:
        with Transaction().start(database, user_id, readonly=True):
            User = Pool().get('res.user')
            _CONTEXTS[user_id] = User.get_preferences(context_only=True)
    return dict(_CONTEXTS[user_id], _check_access=True)


def request_lock_rpc(database, user_id, party_id):
    """Run Party.request_lock_customers as the dispatcher does: a
    transaction re-run when the rows it locks changed; rolled back at the
    end"""
    from trytond.exceptions import UserError
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    context = user_context(database, user_id)
    started = time.perf_counter()
    outcome = None
    for _ in range(5):
        with Transaction().start(database, user_id, **extras) as transaction:
            try:
                with transaction.set_context(context):
                    Party = Pool().get('party.party')
                    Party.request_lock_customers([Party(party_id)])
                outcome = 'ok'
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            except UserError as exception:
                outcome = type(exception).__name__
            transaction.rollback()
            break
    return time.perf_counter() - started, outcome


def sql_lock_request(database, employee_id, party_id, pool_id):
    """Hand-written SQL of the same checks and writes: row locks, state,
    cool-down, quota count (locked + pending), the request and its
    history line; rolled back"""
    from trytond.transaction import Transaction
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        cursor.execute("SELECT id FROM company_employee WHERE id = %s "
            "FOR UPDATE", (employee_id,))
        cursor.execute("SELECT ownership_state, owner FROM party_party "
            "WHERE id = %s FOR UPDATE", (party_id,))
        state, _ = cursor.fetchone()
        assert state == 'open'
        cursor.execute("""SELECT 1 FROM crm_ownership_history
            WHERE party = %s AND from_employee = %s
                AND action IN ('release', 'auto_release')
                AND date >= now() - interval '30 days' LIMIT 1""",
            (party_id, employee_id))
        assert not cursor.fetchone()
        cursor.execute("""SELECT
            (SELECT COUNT(*) FROM party_party WHERE owner = %s
                AND ownership_state = 'locked')
            + (SELECT COUNT(*) FROM crm_lock_request WHERE requester = %s
                AND state = 'pending')""", (employee_id, employee_id))
        assert cursor.fetchone()[0] < 100_000
        cursor.execute("""INSERT INTO crm_lock_request (party, requester,
                state, approval_state, create_uid, create_date)
            VALUES (%s, %s, 'pending', 'running', 0, now())""",
            (party_id, employee_id))
        cursor.execute("""INSERT INTO crm_ownership_history (party, date,
                action, to_employee, create_uid, create_date)
            VALUES (%s, now(), 'request', %s, 0, now())""",
            (party_id, employee_id))
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--release-runs', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=60)
    parser.add_argument('--database', default='bench_crm_ownership')
    parser.add_argument('--reuse', action='store_true',
        help="reuse the demo database of a previous run")
    parser.add_argument('--reuse-data', action='store_true',
        help="reuse the database and the data of a previous run")
    parser.add_argument('--only', choices=['release', 'list', 'lock'],
        action='append', help="run only these measures")
    args = parser.parse_args()
    only = set(args.only or ['release', 'list', 'lock'])
    config_file = configure()
    from trytond import config
    # the notifications of the approval engine: in the web client only
    config.set('email', 'uri', '')
    if not (args.reuse or args.reuse_data):
        create_demo_database(config_file, args.database)

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    generated = 0.0
    if not args.reuse_data:
        started = time.perf_counter()
        # the configuration singleton is created under a table lock
        with Transaction().start(args.database, 0,
                _lock_tables=['crm_configuration']) as transaction:
            generate(args.customers)
            transaction.commit()
        generated = time.perf_counter() - started
    with Transaction().start(args.database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("""SELECT u.id, u.employee FROM res_user u
            WHERE u.login LIKE 'bsales%%' ORDER BY u.id""")
        salespeople = cursor.fetchall()
        cursor.execute("SELECT id FROM res_user WHERE login = 'gm'")
        gm = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM party_party "
            "WHERE crm_type IS NOT NULL")
        customers = cursor.fetchone()[0]
        # the generated customers only: the demo's own customers belong to
        # the demo pool and its policy (quota 50)
        cursor.execute("""SELECT id FROM party_party
            WHERE ownership_state = 'open' AND id >= %s
            ORDER BY id LIMIT 500""", (FIRST_PARTY,))
        open_ids = [r[0] for r in cursor]
        fields = list_fields()
    title = f"{customers:,} customers, {len(salespeople)} salespeople"
    rows = [('data generated in', f"{generated:.1f} s")]

    if 'release' in only:
        orm_times, sql_times = [], []
        for n in range(args.release_runs):
            sql, sql_count = sql_release(args.database)
            orm, orm_count = orm_release(args.database)
            assert orm_count == sql_count, (orm_count, sql_count)
            orm_times.append(orm)
            sql_times.append(sql)
        orm_m = statistics.median(orm_times)
        sql_m = statistics.median(sql_times)
        rows += [
            ('(a) customers released', f"{orm_count:,}"),
            ('(a) hand-written SQL median', f"{sql_m:.2f} s  {sql_times}"),
            ('(a) crm_auto_release median', f"{orm_m:.2f} s  {orm_times}"),
            ('(a) ratio ORM / SQL', f"{orm_m / sql_m:.2f}  (target <= 2)"),
            ]

    if 'list' in only:
        rule_times, free_times = [], []
        for n in range(args.repeat):
            user_id, employee_id = salespeople[(n * 37) % len(salespeople)]
            rule, rule_count, rule_ids = my_customers(
                args.database, user_id, employee_id, fields)
            free, free_count, free_ids = my_customers(
                args.database, gm, employee_id, fields)
            assert (rule_count, rule_ids) == (free_count, free_ids), (
                rule_count, free_count)
            if n >= 5:
                rule_times.append(rule)
                free_times.append(free)
        rule_p95 = percentile(rule_times, 95) * 1000
        free_p95 = percentile(free_times, 95) * 1000
        rows += [
            ('(b) rows per salesperson', f"{rule_count:,} (80 read)"),
            ('(b) unrestricted (gm) p95', f"{free_p95:.1f} ms"),
            ('(b) salesperson, record rules p95', f"{rule_p95:.1f} ms"),
            ('(b) ratio', f"{rule_p95 / free_p95:.2f}  (target <= 1.5)"),
            ]

    if 'lock' in only:
        # each salesperson asks twice: the first request of a user in the
        # server process fills Tryton's per-context caches (rules, access,
        # triggers), the next ones are the steady state
        cold, times, outcomes = [], [], []
        for n in range(args.repeat):
            user_id, _ = salespeople[(n * 13) % len(salespeople)]
            for k, measures in enumerate([cold, times]):
                elapsed, outcome = request_lock_rpc(
                    args.database, user_id, open_ids[2 * n + k])
                outcomes.append(outcome)
                if n >= 5:
                    measures.append(elapsed)
        assert set(outcomes) == {'ok'}, outcomes
        sql_times = []
        for n in range(args.repeat):
            _, employee_id = salespeople[(n * 13) % len(salespeople)]
            elapsed = sql_lock_request(
                args.database, employee_id, open_ids[n], None)
            if n >= 5:
                sql_times.append(elapsed)
        # refused at the quota: the consultant lowers the quota
        with Transaction().start(args.database, 0) as transaction:
            Policy = Pool().get('crm.ownership.policy')
            policy, = Policy.search([('name', '=', '基准策略')])
            policy.default_quota = 100
            policy.save()
            transaction.commit()
        refused, refused_outcomes = [], []
        try:
            for n in range(args.repeat):
                user_id, _ = salespeople[(n * 13) % len(salespeople)]
                elapsed, outcome = request_lock_rpc(
                    args.database, user_id, open_ids[n])
                refused_outcomes.append(outcome)
                if n >= 5:
                    refused.append(elapsed)
        finally:
            with Transaction().start(args.database, 0) as transaction:
                Policy = Pool().get('crm.ownership.policy')
                policy, = Policy.search([('name', '=', '基准策略')])
                policy.default_quota = 100_000
                policy.save()
                transaction.commit()
        assert set(refused_outcomes) == {'QuotaError'}, refused_outcomes
        rows += [
            ('(c) lock request RPC p95 (submitted to approval)',
                f"{percentile(times, 95) * 1000:.1f} ms "
                f"(median {statistics.median(times) * 1000:.1f})"),
            ('(c) same, first request of each user in the process',
                f"{percentile(cold, 95) * 1000:.1f} ms "
                f"(median {statistics.median(cold) * 1000:.1f})"),
            ('(c) lock request RPC p95 (refused at quota)',
                f"{percentile(refused, 95) * 1000:.1f} ms "
                f"(median {statistics.median(refused) * 1000:.1f})"),
            ('(c) hand-written SQL of the checks and writes p95',
                f"{percentile(sql_times, 95) * 1000:.1f} ms "
                f"(median {statistics.median(sql_times) * 1000:.1f})"),
            ('(c) target', "p95 <= 100 ms"),
            ]
    report(f"Customer ownership: {title} — {machine()}", rows)


if __name__ == '__main__':
    main()
