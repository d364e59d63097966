# This file is part of the oa_workflow module.
"""Meeting rooms (SPEC OA-E1 .. E3)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime as dt
import re
import threading
import unittest

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, RouteTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from .tools import create_flow

HOUR = dt.timedelta(hours=1)


def _tomorrow(hour):
    "Tomorrow at the hour (UTC, as stored)"
    day = dt.date.today() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour))


def setup_rooms():
    "A company, three users and two rooms; return them in a dict"
    pool = Pool()
    User = pool.get('res.user')
    Room = pool.get('oa.meeting.room')
    company = create_company()
    with set_company(company):
        users = {}
        for login, name in [
                ('wang', "王总"), ('li', "李经理"), ('zhang', "张主管")]:
            users[login] = User(
                login=login, name=name, companies=[company], company=company)
        User.save(list(users.values()))
        big, small = Room.create([{
                    'name': "大会议室", 'code': 'BIG', 'capacity': 10,
                    'location': "3楼", 'equipment': "投影仪",
                    }, {
                    'name': "小会议室", 'code': 'SMALL', 'capacity': 2,
                    }])
    return {'company': company, 'users': users, 'big': big, 'small': small}


def book(room, subject, start, end, organizer, attendees=(), **values):
    "Create and book a booking; return it"
    Booking = Pool().get('oa.meeting.booking')
    booking, = Booking.create([{
                'room': room.id, 'subject': subject, 'start': start,
                'end': end, 'organizer': organizer.id,
                'attendees': [('add', [u.id for u in attendees])],
                **values}])
    Booking.book([booking])
    return booking


class MeetingTestCase(unittest.TestCase):
    "Test meeting rooms"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @with_transaction()
    def test_book_conflict_names_the_booking(self):
        "A booking overlapping another one is refused with its name"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, big = data['users'], data['big']
        with set_company(data['company']):
            first = book(big, "周例会", _tomorrow(2), _tomorrow(3),
                users['wang'], [users['li']])
            self.assertEqual(first.state, 'confirmed')

            # nothing is saved: not even a draft, which could not be booked
            with self.assertRaises(UserError) as cm:
                Booking.create([{
                            'room': big.id, 'subject': "客户来访",
                            'start': _tomorrow(2) + HOUR / 2,
                            'end': _tomorrow(3) + HOUR / 2,
                            'organizer': users['li'].id}])
            message = cm.exception.message
            self.assertIn("周例会", message)
            self.assertIn("王总", message)
            self.assertIn("大会议室", message)
            self.assertEqual(
                Booking.search([('subject', '=', "客户来访")]), [])
            # a draft moved onto the held period is refused too; a copy of
            # the booking is a draft to move before booking it
            second, = Booking.create([{
                        'room': big.id, 'subject': "客户来访",
                        'start': _tomorrow(6), 'end': _tomorrow(7),
                        'organizer': users['li'].id}])
            with self.assertRaises(UserError):
                Booking.write([second], {'start': _tomorrow(2) + HOUR / 2})
            copy, = Booking.copy([first])
            self.assertEqual(
                (copy.state, copy.start), ('draft', first.start))
            with self.assertRaises(UserError):
                Booking.book([copy])
            Booking.delete([copy])

            # back to back and another room are fine
            adjacent = book(big, "复盘", _tomorrow(3), _tomorrow(4),
                users['li'])
            self.assertEqual(adjacent.state, 'confirmed')
            other = book(data['small'], "客户来访",
                _tomorrow(2), _tomorrow(3), users['li'])
            self.assertEqual(other.state, 'confirmed')

            # a cancelled booking frees the room
            Booking.cancel([first])
            second.start, second.end = _tomorrow(2), _tomorrow(3)
            second.save()
            Booking.book([second])
            self.assertEqual(second.state, 'confirmed')

            # moving a confirmed booking over another one is refused too
            later = book(big, "培训", _tomorrow(5), _tomorrow(6),
                users['zhang'])
            with self.assertRaisesRegex(ValidationError, "复盘"):
                Booking.write([later], {'start': _tomorrow(3)})

    @with_transaction()
    def test_overlap_in_one_call(self):
        "Two overlapping active bookings created at once are refused"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, big = data['users'], data['big']
        values = {'room': big.id, 'organizer': users['wang'].id,
            'state': 'confirmed'}
        with set_company(data['company']):
            # on PostgreSQL the exclusion constraint refuses the INSERT; on
            # SQLite the check after it
            with self.assertRaises((ValidationError, SQLConstraintError)):
                Booking.create([
                        dict(values, subject="A", start=_tomorrow(2),
                            end=_tomorrow(4)),
                        dict(values, subject="B", start=_tomorrow(3),
                            end=_tomorrow(5)),
                        ])

    @with_transaction()
    def test_recurring_lists_conflicting_dates(self):
        "A recurring booking is checked occurrence by occurrence"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, big = data['users'], data['big']
        start, end = _tomorrow(1), _tomorrow(2)
        with set_company(data['company']):
            day3 = start + dt.timedelta(days=2)
            book(big, "季度评审", day3, day3 + HOUR / 2, users['zhang'])

            series, = Booking.create([{
                        'room': big.id, 'subject': "晨会",
                        'start': start, 'end': end,
                        'organizer': users['wang'].id,
                        'recurrence': 'daily',
                        'recurrence_until': start.date() + dt.timedelta(4),
                        }])
            self.assertEqual(len(series.occurrence_periods()), 4)
            with self.assertRaises(UserError) as cm:
                Booking.book([series])
            message = cm.exception.message
            self.assertIn(day3.strftime('%Y-%m-%d'), message)
            self.assertIn("季度评审", message)
            self.assertIn("张主管", message)
            # only the conflicting date is listed
            self.assertEqual(
                re.findall(r'\d{4}-\d{2}-\d{2}:', message),
                [day3.strftime('%Y-%m-%d:')])
            # nothing changed
            self.assertEqual(series.state, 'draft')
            self.assertEqual(series.occurrences, ())

            series.start += dt.timedelta(hours=2)
            series.end += dt.timedelta(hours=2)
            series.save()
            Booking.book([series])
            self.assertEqual(series.state, 'confirmed')
            self.assertEqual(len(series.occurrences), 4)
            self.assertEqual(
                {o.state for o in series.occurrences}, {'confirmed'})
            self.assertEqual(
                max(o.start for o in series.occurrences).date(),
                start.date() + dt.timedelta(4))

            # cancelling the series cancels its occurrences
            Booking.cancel([series])
            self.assertEqual(
                {o.state for o in series.occurrences}, {'cancelled'})

    @with_transaction()
    def test_check_in_and_release(self):
        "Check-in within the window; no-shows are released by the job"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        Cron = pool.get('ir.cron')
        data = setup_rooms()
        users, big, small = data['users'], data['big'], data['small']
        now = dt.datetime.now().replace(microsecond=0)
        with set_company(data['company']):
            later = book(big, "下午会", now + 3 * HOUR, now + 4 * HOUR,
                users['wang'])
            with self.assertRaisesRegex(UserError, "checked in only"):
                Booking.check_in([later])
            self.assertEqual(later.state, 'confirmed')

            soon = book(big, "站会", now + dt.timedelta(minutes=5),
                now + HOUR, users['wang'])
            Booking.check_in([soon])
            self.assertEqual(soon.state, 'checked_in')
            self.assertIsNotNone(soon.checked_in_at)

            no_show = book(small, "无人会", now + dt.timedelta(minutes=2),
                now + HOUR, users['li'])
            # time passes: the meeting started 20 minutes ago
            table = Booking.__table__()
            cursor = Transaction().connection.cursor()
            for booking in (soon, no_show):
                cursor.execute(*table.update(
                        [table.start], [now - dt.timedelta(minutes=20)],
                        where=table.id == booking.id))
            cron, = Cron.search([
                    ('method', '=', 'oa.meeting.booking|cron_meeting')])
            self.assertTrue(cron.active)
            with Transaction().set_user(0):
                Booking.cron_meeting()
            self.assertEqual(Booking(no_show.id).state, 'released')
            self.assertEqual(Booking(soon.id).state, 'checked_in')
            self.assertEqual(Booking(later.id).state, 'confirmed')
            # the released slot can be booked again
            again, = Booking.create([{
                        'room': small.id, 'subject': "补会",
                        'start': now, 'end': now + HOUR / 2,
                        'organizer': users['li'].id}])
            Booking.book([again])
            self.assertEqual(again.state, 'confirmed')

    @with_transaction()
    def test_reminder(self):
        "The attendees are reminded once before the start"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, big = data['users'], data['big']
        now = dt.datetime.now()
        with set_company(data['company']):
            near = book(big, "评审会", now + dt.timedelta(minutes=10),
                now + HOUR, users['wang'], [users['li'], users['zhang']])
            far = book(big, "下周会", now + 5 * HOUR, now + 6 * HOUR,
                users['wang'], [users['li']])
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                Booking.cron_meeting()
            notified = sorted(
                n.user.id for n in Transaction().user_notifications)
            self.assertEqual(notified, sorted(
                    u.id for u in users.values()))
            self.assertIn("评审会", Transaction().user_notifications[0].label)
            self.assertTrue(near.reminded)
            self.assertFalse(far.reminded)
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                Booking.cron_meeting()
            self.assertEqual(Transaction().user_notifications, [])

    @with_transaction()
    def test_availability(self):
        "Rooms show now / next and the schedule of the chosen day"
        pool = Pool()
        Room = pool.get('oa.meeting.room')
        data = setup_rooms()
        users, big, small = data['users'], data['big'], data['small']
        now = dt.datetime.now().replace(microsecond=0)
        with set_company(data['company']):
            book(big, "进行中", now, now + HOUR, users['wang'])
            # two days ahead: the meeting in progress may run past midnight
            later = dt.timedelta(days=1)
            book(big, "明天会", _tomorrow(2) + later, _tomorrow(3) + later,
                users['li'])
            big, small = Room.browse([big, small])
            self.assertEqual(big.status, 'busy')
            self.assertEqual(small.status, 'free')
            self.assertEqual(big.next_booking.subject, "明天会")
            self.assertIsNone(small.next_booking)
            # the availability list shows it as the schedule does
            upcoming = big.next_booking
            start = upcoming._local(upcoming.start)
            end = upcoming._local(upcoming.end)
            self.assertEqual(big.next_summary,
                '%s %02d:%02d-%02d:%02d 明天会 (李经理)' % (
                    start.strftime('%m-%d'), start.hour, start.minute,
                    end.hour, end.minute))
            self.assertIsNone(small.next_summary)
            with Transaction().set_context(
                    date=(_tomorrow(2) + later).date()):
                big, = Room.browse([big.id])
                self.assertIn("明天会 (李经理)", big.schedule)
                self.assertNotIn("进行中", big.schedule)

    @with_transaction()
    def test_availability_week(self):
        "The schedule of several days lists the dated bookings of each room"
        pool = Pool()
        Room = pool.get('oa.meeting.room')
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, big, small = data['users'], data['big'], data['small']
        day = _tomorrow(0) + dt.timedelta(days=1)
        with set_company(data['company']):
            # a booking over midnight before the period still shows
            book(big, "通宵", day - HOUR, day + HOUR, users['wang'])
            book(big, "第一天", day + 3 * HOUR, day + 4 * HOUR, users['li'])
            book(big, "第三天", day + dt.timedelta(days=2, hours=3),
                day + dt.timedelta(days=2, hours=4), users['li'])
            later = book(big, "第九天", day + dt.timedelta(days=8),
                day + dt.timedelta(days=8, hours=1), users['li'])
            cancelled = book(small, "取消了", day + 3 * HOUR,
                day + 4 * HOUR, users['li'])
            Booking.cancel([cancelled])
            with Transaction().set_context(date=day.date(), days=7):
                big, small = Room.browse([big.id, small.id])
                lines = big.schedule.splitlines()
                self.assertEqual(
                    [l.lstrip('0123456789-: ') for l in lines],
                    ["通宵 (王总)", "第一天 (李经理)", "第三天 (李经理)"])
                self.assertTrue(lines[1].startswith(
                        day.strftime('%m-%d') + ' 03:00-04:00'))
                self.assertEqual(small.schedule, '')
                self.assertEqual(big.status, 'free')
                self.assertEqual(big.next_booking.subject, "通宵")
            self.assertEqual(
                Booking.first_conflict(big, day, day + dt.timedelta(days=9)),
                later)
            self.assertIsNone(Booking.first_conflict(
                    big, day + 2 * HOUR, day + 3 * HOUR))

    @with_transaction()
    def test_conflicts_in_a_period(self):
        "The conflict search lists the active bookings overlapping a period"
        Booking = Pool().get('oa.meeting.booking')
        data = setup_rooms()
        users, big, small = data['users'], data['big'], data['small']
        day = _tomorrow(0) + dt.timedelta(days=1)
        li, wang = users['li'], users['wang']
        with set_company(data['company']):
            for hour in range(4):
                book(big, "早会%s" % hour, day + hour * HOUR,
                    day + hour * HOUR + HOUR / 2, li)
            cancelled = book(big, "取消了", day + 5 * HOUR, day + 6 * HOUR, li)
            Booking.cancel([cancelled])
            # starts before the period and runs into it
            running = book(big, "长会", day + 4 * HOUR, day + 7 * HOUR, li)
            inside = book(big, "短会", day + 8 * HOUR, day + 9 * HOUR, wang)
            ending = book(big, "尾会", day + 9.5 * HOUR, day + 11 * HOUR, wang)
            book(big, "晚会", day + 11 * HOUR, day + 12 * HOUR, wang)
            start, end = day + 5 * HOUR, day + 11 * HOUR

            self.assertEqual(Booking.find_conflicts(big, start, end),
                [running, inside, ending])
            self.assertEqual(Booking.first_conflict(big, start, end), ending)
            self.assertEqual(Booking.find_conflicts(
                    big, start, end, exclude=[running, ending]), [inside])
            self.assertEqual(Booking.find_conflicts(small, start, end), [])
            # a period touching the bookings around it is free
            self.assertEqual(Booking.find_conflicts(
                    big, day + 3.5 * HOUR, day + 4 * HOUR), [])
            self.assertIsNone(Booking.first_conflict(
                    big, day + 3.5 * HOUR, day + 4 * HOUR))

    @with_transaction()
    def test_bad_input(self):
        "End before start, start in the past, too many people: nothing done"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        data = setup_rooms()
        users, small = data['users'], data['small']
        with set_company(data['company']):
            values = {'room': small.id, 'subject': "坏", 'start': _tomorrow(3),
                'end': _tomorrow(4), 'organizer': users['wang'].id}
            with self.assertRaisesRegex(ValidationError, "end after"):
                Booking.create([dict(values, end=_tomorrow(2))])
            with self.assertRaisesRegex(ValidationError, "past"):
                Booking.create([dict(values,
                            start=dt.datetime.now() - 2 * HOUR,
                            end=dt.datetime.now() - HOUR)])
            with self.assertRaisesRegex(ValidationError, "2 seats.*3 people"):
                Booking.create([dict(values, attendees=[
                                ('add', [users['li'].id, users['zhang'].id])])])
            self.assertEqual(Booking.search([]), [])

            booking, = Booking.create([values])
            with self.assertRaisesRegex(ValidationError, "3 people"):
                Booking.write([booking], {'attendees': [
                                ('add', [users['li'].id, users['zhang'].id])]})
            with self.assertRaisesRegex(ValidationError, "end after"):
                Booking.write([booking], {'end': _tomorrow(2)})

    @with_transaction()
    def test_restricted_room_approval(self):
        "A restricted room is booked through the approval engine"
        pool = Pool()
        Booking = pool.get('oa.meeting.booking')
        Task = pool.get('oa.approval.task')
        data = setup_rooms()
        users, big = data['users'], data['big']
        big.restricted = True
        big.save()
        with set_company(data['company']):
            create_flow(
                'oa.meeting.booking', "会议室审批", users['zhang'], step="行政审批")
            booking = book(big, "董事会", _tomorrow(2), _tomorrow(3),
                users['wang'])
            self.assertEqual(booking.state, 'waiting')
            self.assertEqual(booking.approval_state, 'running')
            # a waiting booking holds the room
            with self.assertRaisesRegex(UserError, "董事会"):
                Booking.create([{
                            'room': big.id, 'subject': "抢会议室",
                            'start': _tomorrow(2), 'end': _tomorrow(3),
                            'organizer': users['li'].id}])

            task, = Task.search([('user', '=', users['zhang'].id),
                    ('state', '=', 'pending')])
            with Transaction().set_user(users['zhang'].id):
                Task.approve([task])
            self.assertEqual(booking.state, 'confirmed')

            other = book(big, "年会筹备", _tomorrow(5), _tomorrow(6),
                users['li'])
            task, = Task.search([('user', '=', users['zhang'].id),
                    ('state', '=', 'pending')])
            with Transaction().set_user(users['zhang'].id):
                Task.reject([task])
            self.assertEqual(other.state, 'cancelled')

    def test_zz_concurrent_bookings(self):
        "20 parallel bookings of one room and slot: exactly one exists"
        if backend.name != 'postgresql':
            self.skipTest("the exclusion constraint needs PostgreSQL "
                "(SQLite serializes writers)")
        with Transaction().start(DB_NAME, 0) as transaction:
            data = setup_rooms()
            room_id = data['big'].id
            company_id = data['company'].id
            user_id = data['users']['wang'].id
            transaction.commit()

        barrier = threading.Barrier(20)
        results = []
        start = _tomorrow(9) + dt.timedelta(days=30)

        def run(i):
            try:
                with Transaction().start(
                        DB_NAME, user_id,
                        context={'company': company_id}) as transaction:
                    barrier.wait(timeout=60)
                    Booking = Pool().get('oa.meeting.booking')
                    try:
                        booking = book(
                            Pool().get('oa.meeting.room')(room_id),
                            "并发%s" % i, start + dt.timedelta(minutes=i),
                            start + HOUR, Pool().get('res.user')(user_id))
                        transaction.commit()
                        results.append(('ok', booking.id))
                    except (UserError, ValidationError,
                            SQLConstraintError) as e:
                        transaction.rollback()
                        results.append(('refused', e.message))
            except Exception as e:  # pragma: no cover - reported below
                results.append(('error', repr(e)))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        self.assertEqual(len(results), 20, results)
        self.assertEqual(
            [r for r in results if r[0] == 'error'], [], results)
        self.assertEqual(
            len([r for r in results if r[0] == 'ok']), 1, results)
        # the losers are told which booking holds the room
        refused = [m for k, m in results if k == 'refused']
        self.assertTrue(all("并发" in m for m in refused), refused)

        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('oa.meeting.booking')
            found = Booking.search([
                    ('room', '=', room_id),
                    ('state', 'in', ['confirmed', 'draft']),
                    ('start', '>=', start)])
            self.assertEqual(
                [b.state for b in found if b.state == 'confirmed'],
                ['confirmed'])


class MeetingRouteTestCase(RouteTestCase):
    "Test the door page of a meeting room"
    module = 'oa_workflow'

    @classmethod
    def setUpDatabase(cls):
        data = setup_rooms()
        cls.token = data['big'].token
        with set_company(data['company']):
            book(data['big'], "下周评审", _tomorrow(2), _tomorrow(3),
                data['users']['wang'])

    def test_door_page(self):
        "The door page shows the room and books it instantly"
        client = self.client()
        url = '/%s/oa/room/BIG' % self.db_name
        response = client.get(url, query_string={'key': 'wrong'})
        self.assertEqual(response.status_code, 404)
        response = client.get(url)
        self.assertEqual(response.status_code, 404)

        response = client.get(
            url, query_string={'key': self.token, 'l': 'en'})
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn("大会议室", page)
        self.assertIn("下周评审", page)
        self.assertIn('id="book"', page)

        response = client.post(url, data={
                'key': self.token, 'subject': "临时<b>会</b>",
                'minutes': '45'})
        self.assertEqual(response.status_code, 400)

        response = client.post(url, query_string={'l': 'en'}, data={
                'key': self.token, 'subject': "临时<b>会</b>",
                'minutes': '30'})
        self.assertEqual(response.status_code, 303)
        response = client.get(response.headers['Location'])
        page = response.get_data(as_text=True)
        self.assertIn("临时&lt;b&gt;会&lt;/b&gt;", page)
        self.assertNotIn('id="book"', page)  # busy now

        # the room is busy: a second instant booking is refused
        response = client.post(url, data={
                'key': self.token, 'subject': "又一个", 'minutes': '15'})
        self.assertEqual(response.status_code, 409)
        self.assertIn("临时", response.get_data(as_text=True))

        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('oa.meeting.booking')
            self.assertEqual(
                len(Booking.search([('subject', 'like', '%临时%')])), 1)
            self.assertEqual(Booking.search([('subject', '=', "又一个")]), [])
