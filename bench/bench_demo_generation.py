"""Demo-data generation of N customers vs. plain SQL generate_series.

Ours: crm_oa_demo.generate.generate_customers (Faker-based names, Python
row generation, COPY into party_party, party_contact_mechanism and
party_address, sequence update, ANALYZE).
Reference: the same rows (1 party, 3 contact mechanisms, 1 address per
customer) with INSERT ... SELECT generate_series, measured in the same run
on the same database; both are rolled back afterwards."""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, report, timed)

PLAIN_SQL = [
    """INSERT INTO party_party (id, active, code, code_alnum, code_digit,
        name, create_uid, create_date)
    SELECT {first} + i, true, 'B' || i, 'B' || i, i,
        'Customer ' || i || ' 有限公司', 0, now()
    FROM generate_series(0, {n} - 1) AS i""",
    """INSERT INTO party_contact_mechanism (id, active, party, name,
        sequence, type, value, value_compact, create_uid, create_date)
    SELECT {first_m} + 3 * i + k, true, {first} + i, 'Contact ' || i,
        10 * (k + 1), (ARRAY['mobile', 'phone', 'email'])[k + 1],
        '+86 138 ' || lpad(i::text, 8, '0'), '+86138' || lpad(i::text, 8, '0'),
        0, now()
    FROM generate_series(0, {n} - 1) AS i, generate_series(0, 2) AS k""",
    """INSERT INTO party_address (id, active, party, city,
        street_unstructured, postal_code, sequence, create_uid, create_date)
    SELECT {first_a} + i, true, {first} + i, 'City', 'Street ' || i,
        '100000', 10, 0, now()
    FROM generate_series(0, {n} - 1) AS i""",
    "ANALYZE party_party", "ANALYZE party_contact_mechanism",
    "ANALYZE party_address",
    ]


def plain_sql(n):
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    ids = {}
    for key, table in [('first', 'party_party'),
            ('first_m', 'party_contact_mechanism'),
            ('first_a', 'party_address')]:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        ids[key] = cursor.fetchone()[0]
    for statement in PLAIN_SQL:
        cursor.execute(statement.format(n=n, **ids))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--database', default='bench_demo')
    args = parser.parse_args()
    config_file = configure()
    create_demo_database(config_file, args.database)

    from crm_oa_demo.generate import Names, generate_customers
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool(args.database).init()
    names = Names(2026)
    results = {}
    for label, function in [
            ('plain SQL', lambda: plain_sql(args.customers)),
            ('crm-oa-demo', lambda: generate_customers(
                    names, args.customers))]:
        with Transaction().start(args.database, 0) as transaction:
            company = Pool().get('company.company').search([])[0]
            with transaction.set_context(company=company.id):
                elapsed, _ = timed(function)
            transaction.rollback()
        results[label] = elapsed
    ratio = results['crm-oa-demo'] / results['plain SQL']
    report(f"Demo generation of {args.customers:,} customers "
        f"(5 rows each) on PostgreSQL — {machine()}", [
            ('plain SQL generate_series', f"{results['plain SQL']:.1f} s"),
            ('crm-oa-demo (ours)', f"{results['crm-oa-demo']:.1f} s"),
            ('ratio ours / plain SQL', f"{ratio:.2f}"),
            ])


if __name__ == '__main__':
    main()
