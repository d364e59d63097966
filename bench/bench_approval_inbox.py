"""The approval "To Do" inbox at scale (SPEC OA-A3, issue 3).

Data (set-based SQL): 500 users, 200 000 submitted custom forms, each with
an approval instance, 2 instance steps and 5 tasks (1 000 000 tasks), a
tenth of them pending. Measured: what the web client asks when a user opens
"To Do" — the tab count and the first 80 rows of the list (search_count,
search, then read of the names sao asks for: the list-view fields, their
rec_name, rec_name, _timestamp, _write, _delete; with the record rules of
that user),
each repetition in a fresh transaction, against a hand-written indexed SQL
query returning the same rows, in the same run."""
import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, percentile, report)

USERS = 500


def generate(instances, tasks_per_instance):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    User = pool.get('res.user')
    FormType = pool.get('oa.form.type')
    Company = pool.get('company.company')
    cursor = Transaction().connection.cursor()
    company, = Company.search([])
    admin, = User.search([('login', '=', 'admin')])
    trip, = FormType.search([('code', '=', 'TRIP')])
    # remove the data of a previous run (--reuse)
    cursor.execute("UPDATE oa_form SET approval_instance = NULL "
        "WHERE id >= 1000000")
    for table in ['oa_approval_task', 'oa_approval_instance_step',
            'oa_approval_instance', 'oa_form']:
        cursor.execute(f'DELETE FROM "{table}" WHERE id >= 1000000')
    cursor.execute('DELETE FROM "res_user-company_company" WHERE "user" IN '
        "(SELECT id FROM res_user WHERE login LIKE 'bench%%')")
    cursor.execute("DELETE FROM res_user WHERE login LIKE 'bench%%'")
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM res_user')
    first_user = cursor.fetchone()[0] + 1
    cursor.execute("""
        INSERT INTO res_user (id, login, name, active, menu, language,
            company, create_uid, create_date)
        SELECT %s + i, 'bench' || i, 'Bench User ' || i, true, %s, %s, %s,
            0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (first_user, admin.menu.id, admin.language.id if admin.language
            else None, company.id, USERS))
    cursor.execute("""
        INSERT INTO "res_user-company_company" ("user", company,
            create_uid, create_date)
        SELECT id, %s, 0, now() FROM res_user WHERE login LIKE 'bench%%'""",
        (company.id,))
    cursor.execute(
        "SELECT setval('res_user_id_seq', (SELECT MAX(id) FROM res_user))")
    cursor.execute("""
        INSERT INTO oa_form (id, date, form_type, subject, data, company,
            approval_state, requester, create_uid, create_date)
        SELECT 1000000 + i, current_date, %s, '出差申请 ' || i,
            '{"destination": "北京", "amount": 8000}', %s, 'running',
            %s + (i %% %s), 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (trip.id, company.id, first_user, USERS, instances))
    cursor.execute("""
        INSERT INTO oa_approval_instance (id, document, flow, company,
            requester, state, submitted_at, step_since, create_uid,
            create_date)
        SELECT 1000000 + i, 'oa.form,' || (1000000 + i), %s, %s,
            %s + (i %% %s), 'running', now() - (i || ' minutes')::interval,
            now(), 0, now()
        FROM generate_series(0, %s - 1) AS i""",
        (trip.flow.id, company.id, first_user, USERS, instances))
    cursor.execute("""
        UPDATE oa_form SET approval_instance = id
        WHERE id >= 1000000""")
    cursor.execute("""
        INSERT INTO oa_approval_instance_step (id, instance, name, sequence,
            approver_type, mode, state, create_uid, create_date)
        SELECT 1000000 + 2 * i + k, 1000000 + i,
            (ARRAY['主管审批', '总经理审批'])[k + 1], 10 * (k + 1),
            (ARRAY['supervisor', 'group'])[k + 1], 'any',
            (ARRAY['running', 'waiting'])[k + 1], 0, now()
        FROM generate_series(0, %s - 1) AS i, generate_series(0, 1) AS k""",
        (instances,))
    # 5 tasks per instance on the first step; 1 in 10 still pending
    cursor.execute("""
        INSERT INTO oa_approval_task (id, instance, step, "user", state,
            kind, requester, document, name, create_uid, create_date)
        SELECT 1000000 + %s * i + k, 1000000 + i, 1000000 + 2 * i,
            %s + ((i * 7 + k * 101) %% %s),
            CASE WHEN (i + k) %% 10 = 0 THEN 'pending' ELSE 'approved' END,
            'normal', %s + (i %% %s), 'oa.form,' || (1000000 + i),
            '出差申请 ' || i || ' - 主管审批', 0, now()
        FROM generate_series(0, %s - 1) AS i,
            generate_series(0, %s - 1) AS k""",
        (tasks_per_instance, first_user, USERS, first_user, USERS,
            instances, tasks_per_instance))
    for table in ['res_user', 'oa_form', 'oa_approval_instance',
            'oa_approval_instance_step', 'oa_approval_task']:
        cursor.execute(f'ANALYZE "{table}"')
    return first_user


def list_fields():
    "The field names sao reads for the list view (sao/src/model.js)"
    from trytond.pool import Pool
    Task = Pool().get('oa.approval.task')
    view = Task.fields_view_get(view_type='tree')
    names = [f for f in view['fields'] if not f.startswith('_')]
    fetch = list(names)
    for name in names:
        definition = view['fields'][name]
        if definition['type'] in {'many2one', 'one2one', 'reference'}:
            fetch.append(name + '.rec_name')
        elif (definition['type'] in {'selection', 'multiselection'}
                and definition.get('loading', 'lazy') == 'eager'):
            fetch.append(name + ':string')
    if 'rec_name' not in names:
        fetch.append('rec_name')
    return fetch + ['_timestamp', '_write', '_delete']


def orm_inbox(database, user_id, fields):
    """The count and the first 80 rows of the user's To Do as sao asks
    them, record rules on; without fields, only the count and the search of
    the ids: what any list of the web client costs before a field is read
    (the framework's floor)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, user_id, readonly=True) as transaction:
        User = Pool().get('res.user')
        context = User.get_preferences(context_only=True)
        with transaction.set_context(context, _check_access=True):
            Task = Pool().get('oa.approval.task')
            domain = [('user', '=', user_id), ('state', '=', 'pending')]
            started = time.perf_counter()
            count = Task.search_count(domain)
            tasks = Task.search(domain, 0, 80)
            ids = [t.id for t in tasks]
            if fields:
                rows = Task.read(ids, fields)
            elapsed = time.perf_counter() - started
    if fields:
        assert {r['id'] for r in rows} == set(ids)
    return elapsed, count, ids


def sql_inbox(database, user_id):
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        cursor.execute("""SELECT COUNT(*) FROM oa_approval_task
            WHERE "user" = %s AND state = 'pending'""", (user_id,))
        count = cursor.fetchone()[0]
        cursor.execute("""
            SELECT t.id, t.name, t.state, t.deadline, t.decided_at,
                t.requester, r.name, t.delegator, d.name,
                t.write_date, t.create_date
            FROM oa_approval_task t
            JOIN res_user r ON r.id = t.requester
            LEFT JOIN res_user d ON d.id = t.delegator
            WHERE t."user" = %s AND t.state = 'pending'
            ORDER BY t.id DESC LIMIT 80""", (user_id,))
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
    return elapsed, count, [r[0] for r in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--instances', type=int, default=200_000)
    parser.add_argument('--tasks', type=int, default=5,
        help="tasks per instance (default 5: 1 000 000 tasks)")
    parser.add_argument('--repeat', type=int, default=100)
    parser.add_argument('--database', default='bench_inbox')
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
        with Transaction().start(args.database, 0, readonly=True) as t:
            cursor = t.connection.cursor()
            cursor.execute(
                "SELECT MIN(id) FROM res_user WHERE login LIKE 'bench%%'")
            first_user = cursor.fetchone()[0]
    else:
        with Transaction().start(args.database, 0) as transaction:
            first_user = generate(args.instances, args.tasks)
            transaction.commit()
    generated = time.perf_counter() - started
    with Transaction().start(args.database, 0, readonly=True):
        fields = list_fields()

    # ten bench users picked at random among those with pending tasks
    with Transaction().start(args.database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("""SELECT DISTINCT "user" FROM oa_approval_task
            WHERE state = 'pending' AND "user" >= %s ORDER BY 1""",
            (first_user,))
        candidates = [r[0] for r in cursor]
    users = random.Random(1).sample(candidates, min(10, len(candidates)))
    orm_times, sql_times, floor_times = [], [], []
    for n in range(args.repeat):
        user_id = users[n % len(users)]
        orm, orm_count, orm_ids = orm_inbox(args.database, user_id, fields)
        sql, sql_count, sql_ids = sql_inbox(args.database, user_id)
        floor, _, floor_ids = orm_inbox(args.database, user_id, None)
        assert floor_ids == sql_ids
        assert orm_count == sql_count and orm_ids == sql_ids, (
            orm_count, sql_count)
        if n >= 5:  # warm-up
            orm_times.append(orm)
            sql_times.append(sql)
            floor_times.append(floor)
    orm_p95 = percentile(orm_times, 95) * 1000
    sql_p95 = percentile(sql_times, 95) * 1000
    floor_p95 = percentile(floor_times, 95) * 1000
    report(f"Approval 'To Do' inbox: {args.instances:,} instances, "
        f"{args.instances * args.tasks:,} tasks, {USERS} users, count + 80 "
        f"rows ({orm_count} pending for the last user) — {machine()}", [
            ('data generated in', f"{generated:.1f} s"),
            ('hand-written SQL p95', f"{sql_p95:.1f} ms"),
            ('ORM with record rules p95', f"{orm_p95:.1f} ms"),
            ('ratio ORM / SQL (p95)', f"{orm_p95 / sql_p95:.2f}"),
            ('floor: ORM count + search, no field read, p95',
                f"{floor_p95:.1f} ms (ratio to SQL {floor_p95 / sql_p95:.2f})"),
            ('target', "ORM p95 <= 50 ms and <= 2x SQL"),
            ])


if __name__ == '__main__':
    main()
