"""Member points at scale (SPEC MP1..MP3, issue 7).

Data (set-based SQL, generate_series, foreign-key triggers off and the
ledger's secondary indexes dropped during the load, then rebuilt):
N members (each with its party), 20 N ledger lines spread over the last
25 months with a 24-month validity (about 1/37 of them are past their expiry
date), a tier ladder, one earning rule, and M draft purchase records.

Measured side by side in one run, each step in its own transaction that is
rolled back so every repetition sees the same data:

- a member's balance read through the ORM (``Member.read`` in a fresh
  transaction) against ``SELECT balance`` (p95 over random members);
- the monthly expiry job ``member.points.line.expire_points`` against the
  same work in hand-written SQL;
- earning on M confirmed purchases in one batch (``member.purchase.confirm``:
  rules, tier rates, ledger lines, balances, tiers) against hand-written SQL
  doing the same for this configuration."""
import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, percentile, report)

BENCH_DATE = dt.date(2026, 11, 1)
DAYS = 760  # lines dated over the last 25 months
VALIDITY_DAYS = 730


def retried(database, function):
    "Run function in a committed transaction, retried for the locks"
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        with Transaction().start(database, 0, **extras) as transaction:
            try:
                result = function()
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            transaction.commit()
            return result


def configure_points():
    "One rule (1 point per yuan), two tiers, 24-month validity"
    from trytond.pool import Pool
    pool = Pool()
    Configuration = pool.get('member.configuration')
    Tier = pool.get('member.tier')
    Rule = pool.get('member.points.rule')
    config = Configuration(1)
    config.expiry_months = 24
    config.referral_first_points = 0
    config.referral_percentage = 0
    config.save()
    Rule.delete(Rule.search([]))
    Rule.create([{'name': "每消费1元积1分", 'rate': 1, 'sequence': 10}])
    Tier.delete(Tier.search([]))
    normal, gold = Tier.create([
            {'name': "普通会员", 'sequence': 10, 'rate': 1},
            {'name': "金卡会员", 'sequence': 20, 'rate': 2,
                'threshold_points': 4_000},
            ])
    return normal.id


def generate(members, lines_per_member, purchases, normal):
    from trytond.transaction import Transaction
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    timings = []

    def step(label, sql, params=()):
        started = time.perf_counter()
        cursor.execute(sql, params)
        timings.append((label, time.perf_counter() - started))
        print(f"  {label}: {timings[-1][1]:.1f} s", flush=True)

    cursor.execute('SET session_replication_role = replica')
    cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM party_party")
    first_party, = cursor.fetchone()
    step("parties", """
        INSERT INTO party_party (id, active, code, code_alnum, code_digit,
            name, create_uid, create_date)
        SELECT %(p)s + i, true, 'M' || i, 'M' || i, i,
            '会员' || i, 0, now()
        FROM generate_series(0, %(n)s - 1) AS i""",
        {'p': first_party, 'n': members})
    step("members", """
        INSERT INTO member_member (id, code, party, tier, join_date, state,
            balance, cumulative_points, cumulative_amount, introducer,
            create_uid, create_date)
        SELECT 1 + i, lpad(i::text, 10, '0'), %(p)s + i, %(t)s,
            %(d)s::date - (i %% 1000), 'active', 0, 0, 0,
            CASE WHEN i %% 10 = 5 THEN 1 + i - 5 END, 0, now()
        FROM generate_series(0, %(n)s - 1) AS i""",
        {'p': first_party, 'n': members, 't': normal, 'd': BENCH_DATE})
    # the ledger without its secondary indexes during the load
    cursor.execute("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename = 'member_points_line'
            AND indexname <> 'member_points_line_pkey'""")
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    step("ledger lines", """
        INSERT INTO member_points_line (id, member, date, type, points,
            remaining, amount, expiry_date, origin, create_uid, create_date)
        SELECT 1 + i, 1 + (i %% %(n)s), d, 'earn', p, p, p,
            d + %(v)s, 'member.purchase,' || i, 0, now()
        FROM generate_series(0::bigint, %(l)s - 1) AS i,
            LATERAL (SELECT %(d)s::date - ((i * 7919) %% %(days)s)::integer AS d,
                (1 + (i * 104729) %% 300)::integer AS p) AS x""",
        {'n': members, 'l': members * lines_per_member, 'v': VALIDITY_DAYS,
            'd': BENCH_DATE, 'days': DAYS})
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    timings.append(("ledger indexes", time.perf_counter() - started))
    print(f"  ledger indexes: {timings[-1][1]:.1f} s", flush=True)
    step("balances", """
        UPDATE member_member AS m
        SET balance = s.points, cumulative_points = s.points,
            cumulative_amount = s.points
        FROM (SELECT member, SUM(points) AS points
            FROM member_points_line GROUP BY member) AS s
        WHERE s.member = m.id""")
    step("purchases", """
        INSERT INTO member_purchase (id, member, date, amount, reference,
            state, create_uid, create_date)
        SELECT 1 + i, 1 + (i * 9973) %% %(n)s, %(d)s, 10 + (i %% 990),
            'POS' || i, 'draft', 0, now()
        FROM generate_series(0, %(m)s - 1) AS i""",
        {'n': members, 'm': purchases, 'd': BENCH_DATE})
    for table in ['party_party', 'member_member', 'member_purchase',
            'member_points_line']:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f'(SELECT MAX(id) FROM "{table}"))', (table,))
    cursor.execute('SET session_replication_role = DEFAULT')
    started = time.perf_counter()
    for table in ['party_party', 'member_member', 'member_purchase',
            'member_points_line']:
        cursor.execute(f'ANALYZE "{table}"')
    timings.append(("analyze", time.perf_counter() - started))
    return timings


def orm_balance(database, member_id):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, readonly=True):
        Member = Pool().get('member.member')
        started = time.perf_counter()
        balance, = Member.read([member_id], ['balance'])
        elapsed = time.perf_counter() - started
    return elapsed, balance['balance']


def sql_balance(database, member_id):
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        cursor.execute(
            "SELECT balance FROM member_member WHERE id = %s", (member_id,))
        balance, = cursor.fetchone()
        elapsed = time.perf_counter() - started
    return elapsed, balance


def rolled_back(database, function, check):
    """Run function in a transaction, then check (not timed); return
    (seconds, result of check) and roll back"""
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, context={'_skip_warnings': True},
            ) as transaction:
        started = time.perf_counter()
        function(transaction)
        elapsed = time.perf_counter() - started
        result = check(transaction)
        transaction.rollback()
    return elapsed, result


def orm_expiry(transaction):
    from trytond.pool import Pool
    Line = Pool().get('member.points.line')
    Line.expire_points(date=BENCH_DATE)


def sql_expiry(transaction):
    cursor = transaction.connection.cursor()
    cursor.execute("""
        INSERT INTO member_points_line (create_uid, create_date, member,
            date, type, points, remaining, origin)
        SELECT 0, now(), member, %(d)s, 'expire', -remaining, 0,
            'member.points.line,' || id
        FROM member_points_line
        WHERE expiry_date <= %(d)s AND remaining > 0""", {'d': BENCH_DATE})
    cursor.execute("""
        UPDATE member_member AS m SET balance = m.balance - s.points
        FROM (SELECT member, SUM(remaining) AS points
            FROM member_points_line
            WHERE expiry_date <= %(d)s AND remaining > 0
            GROUP BY member) AS s
        WHERE s.member = m.id""", {'d': BENCH_DATE})
    cursor.execute("""
        UPDATE member_points_line SET remaining = 0
        WHERE expiry_date <= %(d)s AND remaining > 0""", {'d': BENCH_DATE})


def expiry_check(transaction):
    cursor = transaction.connection.cursor()
    cursor.execute("""SELECT COUNT(*), -SUM(points) FROM member_points_line
        WHERE id > %s""", (LAST_LINE,))
    count, points = cursor.fetchone()
    cursor.execute("SELECT SUM(balance) FROM member_member")
    return count, points, cursor.fetchone()[0]


def orm_earn(transaction):
    from trytond.pool import Pool
    from trytond.tools import grouped_slice
    Purchase = Pool().get('member.purchase')
    cursor = transaction.connection.cursor()
    cursor.execute(
        "SELECT id FROM member_purchase WHERE state = 'draft' AND id <= %s "
        "ORDER BY id", (EARN_LIMIT,))
    # Each record browsed asserts that all the ids of its list are integers:
    # browse by small lists (confirm reads no field, so no prefetch is lost)
    purchases = [p for ids in grouped_slice([i for i, in cursor], 100)
        for p in Purchase.browse(list(ids))]
    # the whole batch in one call (confirm is set-based)
    Purchase.confirm(purchases)


def sql_earn(transaction):
    "Rule rate x tier rate, ledger lines, balances, upgrades, history"
    cursor = transaction.connection.cursor()
    cursor.execute("""
        SELECT rate FROM member_points_rule WHERE active
        ORDER BY sequence NULLS FIRST, id LIMIT 1""")
    rate, = cursor.fetchone()
    cursor.execute("""
        CREATE TEMPORARY TABLE earned ON COMMIT DROP AS
        SELECT p.id AS purchase, p.member, p.date, p.amount, p.reference,
            FLOOR(p.amount * %(r)s * COALESCE(t.rate, 1))::integer AS points
        FROM member_purchase AS p
        JOIN member_member AS m ON m.id = p.member
        LEFT JOIN member_tier AS t ON t.id = m.tier
        WHERE p.state = 'draft' AND p.id <= %(l)s""",
        {'r': rate, 'l': EARN_LIMIT})
    cursor.execute("""
        UPDATE member_purchase SET state = 'confirmed',
            write_uid = 0, write_date = now()
        WHERE id IN (SELECT purchase FROM earned)""")
    cursor.execute("""
        INSERT INTO member_points_line (create_uid, create_date, member,
            date, type, points, remaining, amount, expiry_date, origin,
            description)
        SELECT 0, now(), member, date, 'earn', points, points, amount,
            (date + interval '24 months')::date,
            'member.purchase,' || purchase, reference
        FROM earned""")
    cursor.execute("""
        UPDATE member_member AS m
        SET balance = m.balance + s.points,
            cumulative_points = m.cumulative_points + s.points,
            cumulative_amount = m.cumulative_amount + s.amount
        FROM (SELECT member, SUM(points) AS points, SUM(amount) AS amount
            FROM earned GROUP BY member) AS s
        WHERE s.member = m.id""")
    cursor.execute("""
        CREATE TEMPORARY TABLE upgraded ON COMMIT DROP AS
        SELECT m.id AS member, m.tier AS from_tier, best.id AS to_tier
        FROM member_member AS m
        JOIN LATERAL (SELECT t.id, t.sequence FROM member_tier AS t
            WHERE t.active AND (t.threshold_points IS NULL
                    AND t.threshold_amount IS NULL
                OR m.cumulative_points >= t.threshold_points
                OR m.cumulative_amount >= t.threshold_amount)
            ORDER BY t.sequence DESC NULLS LAST, t.id DESC LIMIT 1)
            AS best ON true
        JOIN member_tier AS current ON current.id = m.tier
        WHERE m.id IN (SELECT member FROM earned)
            AND best.sequence > current.sequence""")
    cursor.execute("""
        UPDATE member_member AS m SET tier = u.to_tier
        FROM upgraded AS u WHERE u.member = m.id""")
    cursor.execute("""
        INSERT INTO member_tier_history (create_uid, create_date, member,
            date, from_tier, to_tier, reason)
        SELECT 0, now(), member, %(d)s, from_tier, to_tier, 'upgrade'
        FROM upgraded""", {'d': BENCH_DATE})


def earn_check(transaction):
    cursor = transaction.connection.cursor()
    cursor.execute("""SELECT COUNT(*), SUM(points) FROM member_points_line
        WHERE id > %s""", (LAST_LINE,))
    count, points = cursor.fetchone()
    cursor.execute("SELECT SUM(balance) FROM member_member")
    balance, = cursor.fetchone()
    cursor.execute(
        "SELECT COUNT(*) FROM member_tier_history WHERE reason = 'upgrade'")
    upgrades, = cursor.fetchone()
    return count, points, balance, upgrades


LAST_LINE = 0
EARN_LIMIT = 0


def main():
    global LAST_LINE, EARN_LIMIT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--members', type=int, default=1_000_000)
    parser.add_argument('--lines', type=int, default=20,
        help="ledger lines per member (default 20: 20 000 000 lines)")
    parser.add_argument('--purchases', type=int, default=100_000)
    parser.add_argument('--repeat', type=int, default=300,
        help="balance reads")
    parser.add_argument('--runs', type=int, default=2,
        help="runs of the expiry job and of the earning batch")
    parser.add_argument('--earn', type=int, default=None,
        help="confirm only the first N draft purchases (default: all)")
    parser.add_argument('--database', default='members_bench')
    parser.add_argument('--reuse', action='store_true',
        help="reuse the demo database of a previous run")
    parser.add_argument('--reuse-data', action='store_true',
        help="reuse the demo database and the generated data")
    parser.add_argument('--skip', action='append', default=[],
        choices=['balance', 'expiry', 'earn'])
    args = parser.parse_args()
    config_file = configure()
    if not (args.reuse or args.reuse_data):
        create_demo_database(config_file, args.database)

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    timings = []
    if not args.reuse_data:
        normal = retried(args.database, configure_points)
        with Transaction().start(args.database, 0) as transaction:
            timings = generate(
                args.members, args.lines, args.purchases, normal)
            transaction.commit()
    generated = sum(t for _, t in timings)
    with Transaction().start(args.database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("SELECT COUNT(*), MAX(id) FROM member_points_line")
        line_count, LAST_LINE = cursor.fetchone()
        cursor.execute("SELECT MAX(id) FROM member_member")
        max_member, = cursor.fetchone()
        cursor.execute("""SELECT COUNT(*) FROM member_points_line
            WHERE expiry_date <= %s AND remaining > 0""", (BENCH_DATE,))
        expiring, = cursor.fetchone()
        EARN_LIMIT = args.earn or 2 ** 31 - 1
        cursor.execute("SELECT COUNT(*) FROM member_purchase "
            "WHERE state = 'draft' AND id <= %s", (EARN_LIMIT,))
        drafts, = cursor.fetchone()
    rows = [(f"generated: {label}", f"{seconds:.1f} s")
        for label, seconds in timings]
    rows.append(('data generated in', f"{generated:.1f} s"))

    if 'balance' not in args.skip:
        rnd = random.Random(1)
        orm_times, sql_times = [], []
        for n in range(args.repeat):
            member_id = rnd.randrange(1, max_member + 1)
            orm, orm_balance_ = orm_balance(args.database, member_id)
            sql, sql_balance_ = sql_balance(args.database, member_id)
            assert orm_balance_ == sql_balance_
            if n >= 10:
                orm_times.append(orm)
                sql_times.append(sql)
        orm_p95 = percentile(orm_times, 95) * 1000
        sql_p95 = percentile(sql_times, 95) * 1000
        rows += [
            ('balance: hand-written SQL p95', f"{sql_p95:.2f} ms"),
            ('balance: ORM read p95', f"{orm_p95:.2f} ms (target <= 5 ms)"),
            ]

    def side_by_side(label, orm_function, sql_function, check):
        orm_runs, sql_runs = [], []
        for n in range(args.runs):
            pairs = [('orm', orm_function), ('sql', sql_function)]
            if n % 2:
                pairs.reverse()
            results = {}
            for kind, function in pairs:
                seconds, results[kind] = rolled_back(
                    args.database, function, check)
                (orm_runs if kind == 'orm' else sql_runs).append(seconds)
                print(f"  {label} {kind}: {seconds:.1f} s {results[kind]}",
                    flush=True)
            assert results['orm'] == results['sql'], results
        orm, sql = min(orm_runs), min(sql_runs)
        return [
            (f'{label}: hand-written SQL (best of {args.runs})',
                f"{sql:.1f} s"),
            (f'{label}: ORM (best of {args.runs})', f"{orm:.1f} s"),
            (f'{label}: ratio ORM / SQL', f"{orm / sql:.2f} (target <= 2)"),
            ]

    if 'expiry' not in args.skip:
        rows += side_by_side(
            f'expiry of {expiring:,} lines', orm_expiry, sql_expiry,
            expiry_check)
    if 'earn' not in args.skip:
        rows += side_by_side(
            f'earning on {drafts:,} purchases', orm_earn, sql_earn,
            earn_check)
    report(f"Member points: {max_member:,} members, {line_count:,} ledger "
        f"lines — {machine()}", rows)


if __name__ == '__main__':
    main()
