"""The stage-duration report at scale (SPEC CRM-D2, issue 5).

Data (set-based SQL): N opportunities (default 500 000) spread over 50
salespeople and the 4 default stages, each with one stage-history row per
stage reached (about 2.5 rows per opportunity): closed rows with their days,
one open row for the current stage. Measured: what the web client asks when
a supervisor opens CRM > Reporting > Stage Durations — ``search_read`` of the
list-view fields of ``crm.opportunity.stage.duration`` (its ``table_query``)
for the whole period and for one salesperson over a quarter, each repetition
in a fresh transaction, against the hand-written SQL returning the same
rows, in the same run."""
import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, configure, machine, percentile, report  # noqa: E402

SALESPEOPLE = 50


def create_database(config_file, name):
    "A database with crm_ext and its dependencies"
    import psycopg
    from trytond import config
    uri = config.get('database', 'uri')
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    import os
    env = dict(os.environ)
    passfile = Path(config_file).with_suffix('.pass')
    passfile.write_text('admin\n')
    env['TRYTONPASSFILE'] = str(passfile)
    for args in [['--all', '--email', 'admin@example.com'],
            ['-u', 'crm_ext', '--activate-dependencies']]:
        result = subprocess.run(
            [str(BIN / 'trytond-admin'), '-c', config_file, '-d', name,
                *args], capture_output=True, text=True, env=env)
        if result.returncode:
            sys.exit(result.stdout + result.stderr)


def generate(opportunities):
    from trytond.modules.company.tests import create_company, create_employee
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Stage = pool.get('crm.opportunity.stage')
    Company = pool.get('company.company')
    Employee = pool.get('company.employee')
    cursor = Transaction().connection.cursor()
    companies = Company.search([])
    if companies:
        company = companies[0]
    else:
        company = create_company()
    employees = Employee.search([('company', '=', company.id)])
    for i in range(len(employees), SALESPEOPLE):
        employees.append(create_employee(company, name="Bench %s" % i))
    stages = Stage.search([], order=[('sequence', 'ASC')])
    assert len(stages) == 4, stages
    # remove the data of a previous run
    cursor.execute('DELETE FROM crm_opportunity_stage_history')
    cursor.execute('DELETE FROM sale_opportunity WHERE id >= 1000000')
    employee_ids = '{%s}' % ','.join(str(e.id) for e in employees)
    stage_ids = '{%s}' % ','.join(str(s.id) for s in stages)
    # opportunity i: salesperson i % 50, reached stage 1 + i % 4, started
    # i % 400 days ago, moved every (3 + i % 17) days
    cursor.execute("""
        INSERT INTO sale_opportunity (id, number, company, currency,
            employee, state, start_date, conversion_probability,
            description, stage, stage_date, paused, create_uid, create_date)
        SELECT 1000000 + i, 'B' || i, %(company)s, %(currency)s,
            (%(employees)s::int[])[1 + i %% 50],
            CASE WHEN i %% 10 = 0 THEN 'won' ELSE 'opportunity' END,
            CURRENT_DATE - (i %% 400),
            0.5, 'Bench', (%(stages)s::int[])[1 + i %% 4],
            now() - make_interval(days => i %% 400)
                + make_interval(days => (3 + i %% 17) * (i %% 4)),
            false, 0, now()
        FROM generate_series(0, %(n)s - 1) AS i""", {
            'company': company.id, 'currency': company.currency.id,
            'employees': employee_ids, 'stages': stage_ids,
            'n': opportunities})
    cursor.execute("""
        INSERT INTO crm_opportunity_stage_history (opportunity, stage,
            start, "end", days, employee, create_uid, create_date)
        SELECT o.id, (%(stages)s::int[])[j],
            now() - make_interval(days => (o.id - 1000000) %% 400)
                + make_interval(days => (3 + (o.id - 1000000) %% 17) * (j - 1)),
            CASE WHEN j - 1 < (o.id - 1000000) %% 4 OR o.state = 'won' THEN
                now() - make_interval(days => (o.id - 1000000) %% 400)
                + make_interval(days => (3 + (o.id - 1000000) %% 17) * j)
            END,
            CASE WHEN j - 1 < (o.id - 1000000) %% 4 OR o.state = 'won' THEN
                3 + (o.id - 1000000) %% 17
            END,
            o.employee, 0, now()
        FROM sale_opportunity o
        CROSS JOIN generate_series(1, 4) AS j
        WHERE o.id >= 1000000 AND j - 1 <= (o.id - 1000000) %% 4""",
        {'stages': stage_ids})
    cursor.execute(
        "SELECT setval('sale_opportunity_id_seq', "
        "(SELECT MAX(id) FROM sale_opportunity))")
    for table in ['sale_opportunity', 'crm_opportunity_stage_history']:
        cursor.execute(f'ANALYZE "{table}"')
    cursor.execute('SELECT COUNT(*) FROM crm_opportunity_stage_history')
    return cursor.fetchone()[0], employees


def list_fields():
    from trytond.pool import Pool
    Duration = Pool().get('crm.opportunity.stage.duration')
    view = Duration.fields_view_get(view_type='tree')
    return [f for f in view['fields'] if not f.startswith('_')]


def orm_report(database, fields, context):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, readonly=True,
            context=context) as transaction:
        Duration = Pool().get('crm.opportunity.stage.duration')
        started = time.perf_counter()
        rows = Duration.search_read([], fields_names=fields)
        elapsed = time.perf_counter() - started
    return elapsed, sorted(
        (r['stage'], r['entries'], r['current'], r['left'],
            round(r['average_days'] or 0, 2)) for r in rows)


def sql_report(database, context):
    from trytond.transaction import Transaction
    where, params = ['TRUE'], []
    if context.get('from_date'):
        where.append('h.start >= %s')
        params.append(context['from_date'])
    if context.get('salesperson'):
        where.append('h.employee = %s')
        params.append(context['salesperson'])
    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        cursor.execute(f"""
            SELECT h.stage, COUNT(*),
                COUNT(*) FILTER (WHERE h."end" IS NULL), COUNT(h.days),
                AVG(h.days), MAX(h.days), SUM(h.days), MIN(s.sequence),
                MIN(s.name)
            FROM crm_opportunity_stage_history h
            JOIN crm_opportunity_stage s ON s.id = h.stage
            WHERE {' AND '.join(where)}
            GROUP BY h.stage ORDER BY 8, 1""", params)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
    return elapsed, sorted(
        (r[0], r[1], r[2], r[3], round(r[4] or 0, 2)) for r in rows)


def measure(database, fields, context, repeat):
    orm_times, sql_times = [], []
    for n in range(repeat):
        # alternate which one runs first: neither profits from the cache
        # warmed by the other
        if n % 2:
            sql, sql_rows = sql_report(database, context)
            orm, orm_rows = orm_report(database, fields, context)
        else:
            orm, orm_rows = orm_report(database, fields, context)
            sql, sql_rows = sql_report(database, context)
        assert orm_rows == sql_rows, (orm_rows, sql_rows)
        if n >= 2:  # warm-up
            orm_times.append(orm)
            sql_times.append(sql)
    return (percentile(orm_times, 50) * 1000, percentile(orm_times, 95) * 1000,
        percentile(sql_times, 50) * 1000, percentile(sql_times, 95) * 1000)


def main():
    import datetime as dt
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--opportunities', type=int, default=500_000)
    parser.add_argument('--repeat', type=int, default=22)
    parser.add_argument('--database', default='bench_stage_durations')
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of a previous run")
    parser.add_argument('--reuse-data', action='store_true',
        help="reuse the database and the generated data")
    args = parser.parse_args()
    config_file = configure()
    if not (args.reuse or args.reuse_data):
        create_database(config_file, args.database)

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    started = time.perf_counter()
    if args.reuse_data:
        with Transaction().start(args.database, 0, readonly=True) as t:
            cursor = t.connection.cursor()
            cursor.execute('SELECT COUNT(*) FROM '
                'crm_opportunity_stage_history')
            rows, = cursor.fetchone()
            cursor.execute('SELECT id FROM company_employee ORDER BY id')
            employee = [r[0] for r in cursor][7]
    else:
        with Transaction().start(args.database, 0) as transaction:
            rows, employees = generate(args.opportunities)
            employee = employees[7].id
            transaction.commit()
    generated = time.perf_counter() - started
    with Transaction().start(args.database, 0, readonly=True):
        fields = list_fields()

    cases = [
        ("all stages, whole period", {}),
        ("one salesperson, last 90 days", {
                'salesperson': employee,
                'from_date': dt.date.today() - dt.timedelta(days=90)}),
        ]
    lines = [('data generated in', f"{generated:.1f} s"),
        ('history rows', f"{rows:,}")]
    for label, context in cases:
        orm50, orm95, sql50, sql95 = measure(
            args.database, fields, context, args.repeat)
        lines += [
            (f"{label}: SQL p50 / p95", f"{sql50:.1f} / {sql95:.1f} ms"),
            (f"{label}: ORM p50 / p95", f"{orm50:.1f} / {orm95:.1f} ms"),
            (f"{label}: ratio ORM / SQL (p50)", f"{orm50 / sql50:.2f}"),
            ]
    lines.append(('target', "ORM <= 2x hand-written SQL"))
    report(f"Stage-duration report: {args.opportunities:,} opportunities "
        f"— {machine()}", lines)


if __name__ == '__main__':
    main()
