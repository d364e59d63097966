"""Meeting rooms at scale (SPEC OA-E1, OA-E3, issue 6).

Data (set-based SQL): 200 rooms and 1 000 000 bookings (5 a day per room
over 1 000 days around today: the past ones checked in, released or
cancelled, the future ones confirmed).

Measured, each repetition in a fresh transaction as an employee (record
rules on), against hand-written SQL in the same run:

1. Availability: what the web client asks when "Rooms Availability" opens
   for one week — ``search_read`` of all the rooms with the fields of the
   availability list (now, next booking, the week's schedule) in the
   context date = Monday, days = 7; reference: one indexed SQL query
   returning the week's bookings of all the rooms with their organizer.
2. Insert: one confirmed booking created through the ORM (the conflict
   check included) and committed; reference: a plain ``INSERT`` of the
   same row into the same table, committed, without the conflict check.
   Also measured: the same ``INSERT`` preceded by the conflict check the
   product runs (``overlapping_ids``, the index probe that names the
   conflicting booking), without the ORM: the cost of the check itself.
   (The database's exclusion constraint is part of every insert.)
"""
import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    configure, create_demo_database, machine, percentile, report)

ROOMS = 200
DAYS = 1000
SLOTS = 5  # bookings a day per room
PAST_DAYS = 800


def generate(rooms, days, slots):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Company = pool.get('company.company')
    User = pool.get('res.user')
    cursor = Transaction().connection.cursor()
    company, = Company.search([])
    users = [u.id for u in User.search([('login', '!=', 'admin')])]
    cursor.execute("DELETE FROM oa_meeting_booking WHERE room IN ("
        "SELECT id FROM oa_meeting_room WHERE code LIKE 'BENCH-%%')")
    cursor.execute("DELETE FROM oa_meeting_room WHERE code LIKE 'BENCH-%%'")
    cursor.execute("""
        INSERT INTO oa_meeting_room (name, code, company, capacity,
            location, restricted, checkin_before, checkin_after, reminder,
            token, active, create_uid, create_date)
        SELECT '会议室 ' || i, 'BENCH-' || i, %s, 6 + i %% 20,
            (1 + i %% 12) || '楼', false, 10, 15, 15, md5(i::text), true,
            0, now()
        FROM generate_series(1, %s) AS i""", (company.id, rooms))
    cursor.execute("SELECT MIN(id) FROM oa_meeting_room "
        "WHERE code LIKE 'BENCH-%%'")
    first_room, = cursor.fetchone()
    # day 0 is PAST_DAYS before today; slot k starts at (1 + 2k):00 UTC
    # (9:00, 11:00, ... in Shanghai) and lasts 90 minutes
    cursor.execute("""
        INSERT INTO oa_meeting_booking (company, room, subject, organizer,
            start, "end", state, reminded, approval_state, create_uid,
            create_date)
        SELECT %(company)s, %(first_room)s + r,
            (ARRAY['周例会', '项目评审', '客户来访', '培训', '面试'])[k + 1]
                || ' ' || d,
            (%(users)s::int[])[1 + (r * 7 + d + k) %% %(user_count)s],
            s.start, s.start + interval '90 minutes',
            CASE WHEN s.start >= date_trunc('day', now()) THEN 'confirmed'
                WHEN (r + d + k) %% 10 = 0 THEN 'released'
                WHEN (r + d + k) %% 10 = 1 THEN 'cancelled'
                ELSE 'checked_in' END,
            s.start < now(), 'none', 0, now()
        FROM generate_series(0, %(rooms)s - 1) AS r,
            generate_series(0, %(days)s - 1) AS d,
            generate_series(0, %(slots)s - 1) AS k,
            LATERAL (SELECT date_trunc('day', now() at time zone 'UTC')
                + (d - %(past)s) * interval '1 day'
                + (1 + 2 * k) * interval '1 hour' AS start) AS s""", {
            'company': company.id, 'first_room': first_room,
            'users': users, 'user_count': len(users), 'rooms': rooms,
            'days': days, 'slots': slots, 'past': PAST_DAYS})
    for table in ['oa_meeting_room', 'oa_meeting_booking']:
        cursor.execute(f'ANALYZE "{table}"')
    return company.id


def monday():
    today = dt.date.today()
    return today - dt.timedelta(days=today.weekday())


def availability_fields():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Room = Pool().get('oa.meeting.room')
    ModelData = Pool().get('ir.model.data')
    view_id = ModelData.get_id(
        'oa_workflow', 'meeting_room_view_availability_list')
    with Transaction().set_context(language='zh_CN'):
        view = Room.fields_view_get(view_id=view_id, view_type='tree')
    fields = [f for f in view['fields'] if not f.startswith('_')]
    # sao asks for the names of the relation fields with them
    return fields + [f + '.rec_name' for f in fields
        if view['fields'][f]['type'] in {'many2one', 'reference'}]


def orm_availability(database, user_id, fields, date, days):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, user_id, readonly=True) as transaction:
        User = Pool().get('res.user')
        context = User.get_preferences(context_only=True)
        context.update(date=date, days=days)
        with transaction.set_context(context):
            Room = Pool().get('oa.meeting.room')
            started = time.perf_counter()
            rows = Room.search_read(
                [('code', 'like', 'BENCH-%')], 0, 1000, None, fields)
            elapsed = time.perf_counter() - started
    lines = sum(len((r.get('schedule') or '').splitlines()) for r in rows)
    return elapsed, len(rows), lines


def sql_availability(database, date, days):
    """The same information in hand-written SQL: the rooms with now / next
    (two index probes per room) and the week's bookings with organizer"""
    from trytond.transaction import Transaction
    start = dt.datetime.combine(date, dt.time()) - dt.timedelta(hours=8)
    end = start + dt.timedelta(days=days)
    now = dt.datetime.now()
    active = "('waiting', 'confirmed', 'checked_in')"
    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        started = time.perf_counter()
        cursor.execute(f"""
            SELECT r.id, r.name, r.location, r.capacity, r.restricted,
                (SELECT b."end" FROM oa_meeting_booking b
                    WHERE b.room = r.id AND b.state IN {active}
                        AND b.start <= %s
                    ORDER BY b.start DESC LIMIT 1) > %s,
                (SELECT b.id FROM oa_meeting_booking b
                    WHERE b.room = r.id AND b.state IN {active}
                        AND b.start > %s
                    ORDER BY b.start LIMIT 1)
            FROM oa_meeting_room r
            WHERE r.code LIKE 'BENCH-%%' AND r.active
            ORDER BY r.name, r.id""", (now, now, now))
        rooms = cursor.fetchall()
        cursor.execute(f"""
            SELECT b.room, b.start, b."end", b.subject, u.name
            FROM oa_meeting_booking b
            JOIN res_user u ON u.id = b.organizer
            WHERE b.room = ANY(%s) AND b.state IN {active}
                AND b.start >= %s AND b.start < %s
            ORDER BY b.room, b.start""",
            ([r[0] for r in rooms], start, end))
        bookings = cursor.fetchall()
        elapsed = time.perf_counter() - started
    return elapsed, len(rooms), len(bookings)


def free_slot(database, room_id, n):
    "A free 30-minute slot in the evening of a future day of the room"
    day = dt.datetime.combine(
        dt.date.today() + dt.timedelta(days=1 + n % 150), dt.time(12))
    return day + dt.timedelta(minutes=30 * (n // 150)), (
        day + dt.timedelta(minutes=30 * (n // 150) + 25))


def orm_insert(database, user_id, company_id, room_id, start, end):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    started = time.perf_counter()
    with Transaction().start(
            database, user_id,
            context={'company': company_id}) as transaction:
        Booking = Pool().get('oa.meeting.booking')
        Booking.create([{
                    'room': room_id, 'subject': "基准测试",
                    'organizer': user_id, 'start': start, 'end': end,
                    'state': 'confirmed'}])
        transaction.commit()
    return time.perf_counter() - started


def sql_insert(database, user_id, company_id, room_id, start, end,
        check=False):
    """A plain INSERT of the booking, committed; with check, after the
    product's conflict probe (overlapping_ids), both in SQL"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from oa_workflow.meeting.booking import ACTIVE
    from oa_workflow.overlap import overlapping_ids
    started = time.perf_counter()
    with Transaction().start(database, user_id) as transaction:
        if check:
            Booking = Pool().get('oa.meeting.booking')
            conflicts = overlapping_ids(Booking.__table__(), 'room',
                room_id, start, end, ACTIVE, latest=True, limit=1)
            assert not conflicts, conflicts
        cursor = transaction.connection.cursor()
        cursor.execute("""
            INSERT INTO oa_meeting_booking (company, room, subject,
                organizer, start, "end", state, reminded, approval_state,
                create_uid, create_date)
            VALUES (%s, %s, %s, %s, %s, %s, 'confirmed', false, 'none', %s,
                now())""",
            (company_id, room_id, "基准测试", user_id, start, end, user_id))
        transaction.commit()
    return time.perf_counter() - started


def floor_insert(database, user_id, n, orm):
    """The framework's floor: the smallest record Tryton stores
    (res.user.warning: a user, a name, a flag) created through the ORM and
    committed, or the same row by a plain INSERT, committed"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    name = f'bench-floor-{"orm" if orm else "sql"}-{n}'
    started = time.perf_counter()
    with Transaction().start(database, user_id) as transaction:
        if orm:
            Warning_ = Pool().get('res.user.warning')
            Warning_.create([{'user': user_id, 'name': name, 'always': False}])
        else:
            transaction.connection.cursor().execute("""
                INSERT INTO res_user_warning ("user", name, always,
                    create_uid, create_date)
                VALUES (%s, %s, false, %s, now())""",
                (user_id, name, user_id))
        transaction.commit()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rooms', type=int, default=ROOMS)
    parser.add_argument('--days', type=int, default=DAYS,
        help="days of bookings, 5 a day per room (default 1000: "
        "1 000 000 bookings with 200 rooms)")
    parser.add_argument('--repeat', type=int, default=60)
    parser.add_argument('--inserts', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=5,
        help="repetitions not counted (default 5)")
    parser.add_argument('--database', default='bench_rooms')
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
            Company = Pool().get('company.company')
            company_id = Company.search([])[0].id
    else:
        with Transaction().start(args.database, 0) as transaction:
            company_id = generate(args.rooms, args.days, SLOTS)
            transaction.commit()
    generated = time.perf_counter() - started

    with Transaction().start(args.database, 0, readonly=True) as transaction:
        fields = availability_fields()
        cursor = transaction.connection.cursor()
        cursor.execute("SELECT COUNT(*) FROM oa_meeting_booking")
        bookings, = cursor.fetchone()
        cursor.execute("SELECT id FROM oa_meeting_room "
            "WHERE code LIKE 'BENCH-%%' ORDER BY id")
        rooms = [r for r, in cursor]
        # a salesperson: no office role, sees the rooms by the rules
        cursor.execute("SELECT id FROM res_user WHERE login = 'sales'")
        user_id, = cursor.fetchone()
        # remove the bookings of a previous run of the insert measure
        cursor.execute("SELECT COUNT(*) FROM oa_meeting_booking "
            "WHERE subject = '基准测试'")
    with Transaction().start(args.database, 0) as transaction:
        transaction.connection.cursor().execute(
            "DELETE FROM oa_meeting_booking WHERE subject = '基准测试'")
        transaction.commit()

    # 1. availability of all the rooms for one week
    date = monday()
    orm_times, sql_times = [], []
    for n in range(args.repeat):
        orm, orm_rooms, orm_lines = orm_availability(
            args.database, user_id, fields, date, 7)
        sql, sql_rooms, sql_lines = sql_availability(args.database, date, 7)
        assert orm_rooms == sql_rooms == len(rooms), (orm_rooms, sql_rooms)
        if n >= args.warmup:
            orm_times.append(orm)
            sql_times.append(sql)
    orm_p95 = percentile(orm_times, 95) * 1000
    sql_p95 = percentile(sql_times, 95) * 1000

    # 2. insert one booking: ORM with the conflict check / plain INSERT,
    # alternated, on free slots of random rooms
    rnd = random.Random(1)
    orm_inserts, sql_inserts, checked_inserts = [], [], []
    floor_orm, floor_sql = [], []
    for n in range(args.inserts):
        room_id = rnd.choice(rooms)
        start, end = free_slot(args.database, room_id, 3 * n)
        orm_inserts.append(orm_insert(
                args.database, user_id, company_id, room_id, start, end))
        start, end = free_slot(args.database, room_id, 3 * n + 1)
        sql_inserts.append(sql_insert(
                args.database, user_id, company_id, room_id, start, end))
        start, end = free_slot(args.database, room_id, 3 * n + 2)
        checked_inserts.append(sql_insert(
                args.database, user_id, company_id, room_id, start, end,
                check=True))
        floor_orm.append(floor_insert(args.database, user_id, n, True))
        floor_sql.append(floor_insert(args.database, user_id, n, False))
    orm_inserts = orm_inserts[args.warmup:]
    sql_inserts = sql_inserts[args.warmup:]
    checked_inserts = checked_inserts[args.warmup:]
    floor_orm = floor_orm[args.warmup:]
    floor_sql = floor_sql[args.warmup:]
    # a conflicting booking is refused by the ORM with its name
    from trytond.model.exceptions import ValidationError
    with Transaction().start(args.database, user_id,
            context={'company': company_id}):
        Booking = Pool().get('oa.meeting.booking')
        taken = Booking.search([('room', '=', rooms[0]),
                ('state', '=', 'confirmed')], limit=1, order=[('id', 'ASC')])
        try:
            Booking.create([{'room': rooms[0], 'subject': "冲突",
                        'organizer': user_id,
                        'start': taken[0].start + dt.timedelta(minutes=30),
                        'end': taken[0].end + dt.timedelta(minutes=30),
                        'state': 'confirmed'}])
            refused = "NOT refused"
        except ValidationError as error:
            refused = "refused: " + error.message
    with Transaction().start(args.database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(
            "DELETE FROM oa_meeting_booking WHERE subject = '基准测试'")
        cursor.execute(
            "DELETE FROM res_user_warning WHERE name LIKE 'bench-floor-%%'")
        transaction.commit()

    orm_insert_p50 = percentile(orm_inserts, 50) * 1000
    sql_insert_p50 = percentile(sql_inserts, 50) * 1000
    orm_insert_p95 = percentile(orm_inserts, 95) * 1000
    sql_insert_p95 = percentile(sql_inserts, 95) * 1000
    checked_p50 = percentile(checked_inserts, 50) * 1000
    checked_p95 = percentile(checked_inserts, 95) * 1000
    floor_orm_p50 = percentile(floor_orm, 50) * 1000
    floor_sql_p50 = percentile(floor_sql, 50) * 1000
    report(f"Meeting rooms: {len(rooms)} rooms, {bookings:,} bookings "
        f"— {machine()}", [
            ('data generated in', f"{generated:.1f} s"),
            ('week availability: rooms / schedule lines',
                f"{orm_rooms} / {orm_lines} (SQL: {sql_lines} bookings)"),
            ('week availability hand-written SQL p95', f"{sql_p95:.1f} ms"),
            ('week availability ORM p95', f"{orm_p95:.1f} ms"),
            ('ratio ORM / SQL (p95)', f"{orm_p95 / sql_p95:.2f}"),
            ('target', "ORM p95 <= 100 ms"),
            ('insert plain SQL + commit p50 / p95',
                f"{sql_insert_p50:.2f} / {sql_insert_p95:.2f} ms"),
            ('insert ORM with check + commit p50 / p95',
                f"{orm_insert_p50:.2f} / {orm_insert_p95:.2f} ms"),
            ('ratio ORM / plain SQL (p50)',
                f"{orm_insert_p50 / sql_insert_p50:.2f}"),
            ('insert SQL after the conflict probe + commit p50 / p95',
                f"{checked_p50:.2f} / {checked_p95:.2f} ms"),
            ('ratio SQL with check / plain SQL (p50)',
                f"{checked_p50 / sql_insert_p50:.2f}"),
            ('target', "<= 2x"),
            ('floor: ORM create of a 3-field record + commit p50',
                f"{floor_orm_p50:.2f} ms (plain INSERT {floor_sql_p50:.2f} "
                f"ms, ratio {floor_orm_p50 / floor_sql_p50:.2f})"),
            ('conflicting insert', refused),
            ])


if __name__ == '__main__':
    main()
