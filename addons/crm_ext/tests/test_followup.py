# This file is part of the crm_ext module.
"Follow-up work: contact records, work queues, calendar (SPEC CRM-C)"
import datetime as dt
import unittest

from trytond.exceptions import UserWarning
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from oa_workflow.tests.tools import deliver_mail, parse_mail, smtp_server

from .tools import (
    as_user, create_customers, give, savepoint, setup_organization,
    setup_policy)


def _today():
    return Pool().get('ir.date').today()


def _contacts(customer, names, **values):
    Party = Pool().get('party.party')
    with Transaction().set_context(_skip_warnings=True):
        return Party.create([dict(name=n, crm_type='contact',
                    crm_employer=customer.id, **values) for n in names])


def _record(party, employee, contacts=(), type_='visit', **values):
    "Create a contact record as the current user, as the form would"
    pool = Pool()
    Record = pool.get('crm.contact_record')
    record = Record(party=pool.get('party.party')(party.id), type=type_,
        employee=employee.id, subject=values.pop('subject', "拜访"),
        content=values.pop('content', "介绍新产品, 客户有兴趣"),
        contacts=[c.id for c in contacts])
    record.date = values.pop('date', Record.default_date())
    record.next_contact_date = values.pop(
        'next_contact_date', record.on_change_with_next_contact_date())
    for name, value in values.items():
        setattr(record, name, value)
    record.save()
    return record


def _notifications(user):
    return [n for n in Transaction().user_notifications
        if n.user is not None and int(n.user) == user.id]


class FollowUpTestCase(unittest.TestCase):
    "Test follow-up work"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_ext')

    def _setup(self, contact_days=30):
        pool = Pool()
        ValueClass = pool.get('crm.value.class')
        ns = setup_organization()
        setup_policy(ns, quota=None, contact_days=contact_days)
        ns.class_a, = ValueClass.create([{
                    'name': 'A', 'code': 'A', 'follow_up_days': 7}])
        return ns

    # CRM-C1: contact record, next contact, release clock
    @with_transaction()
    def test_visit_updates_customer_and_release_clock(self):
        "A visit sets the last contact, proposes the next and restarts the clock"
        pool = Pool()
        Party = pool.get('party.party')
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            today = _today()
            customer, plain = create_customers(['星联科技', '普通客户'])
            give([customer, plain], ns.a, days_ago=25)
            Party.write([customer], {'value_class': ns.class_a.id,
                    'last_contact_date': today - dt.timedelta(days=20)})
            before = Party(customer.id).release_date
            self.assertEqual(before, today + dt.timedelta(days=11))
            zhang, = _contacts(customer, ['张经理'])
            with as_user(ns, 'a'):
                record = _record(customer, ns.a, [zhang])
                # proposed from the value class (7 days)
                self.assertEqual(record.next_contact_date,
                    today + dt.timedelta(days=7))
                # the default frequency without class
                self.assertEqual(
                    _record(plain, ns.a).next_contact_date,
                    today + dt.timedelta(days=30))
            customer = Party(customer.id)
            self.assertEqual(customer.last_contact_date, today)
            self.assertEqual(customer.next_contact_date,
                today + dt.timedelta(days=7))
            # the countdown restarted from today
            self.assertEqual(customer.release_date,
                today + dt.timedelta(days=31))
            self.assertIn('31', customer.release_info)
            self.assertEqual(Party(zhang.id).last_contact_date, today)
            self.assertEqual(Party(zhang.id).crm_contact_count, 1)
            # the next visit is on the calendar of the salesperson
            appointment, = Event.search([
                    ('party', '=', customer.id), ('state', '=', 'planned')])
            self.assertEqual(appointment.contact, zhang)
            self.assertEqual(appointment.organizer, ns.a)
            self.assertEqual(appointment.start.date(),
                today + dt.timedelta(days=7))
            self.assertEqual(appointment.origin_record, record)
            # the auto-release job keeps the customer
            Party.crm_auto_release(date=today + dt.timedelta(days=10))
            self.assertEqual(Party(customer.id).ownership_state, 'locked')
            # an older record does not move the last contact backwards
            with as_user(ns, 'a'):
                old = _record(customer, ns.a, [zhang],
                    date=dt.datetime.now() - dt.timedelta(days=40),
                    next_contact_date=today + dt.timedelta(days=3))
            self.assertEqual(Party(customer.id).last_contact_date, today)
            # the visit fulfilled the previous appointment of the pair
            self.assertEqual(Event(appointment.id).state, 'done')
            self.assertEqual(Event(appointment.id).contact_record, old)
            self.assertEqual(Party(zhang.id).crm_contact_count, 2)

    @with_transaction()
    def test_follow_up_days_positive(self):
        "Frequencies must be positive"
        pool = Pool()
        ValueClass = pool.get('crm.value.class')
        Configuration = pool.get('crm.configuration')
        self._setup()
        with self.assertRaises(ValidationError), savepoint():
            ValueClass.create([{'name': 'X', 'code': 'X',
                        'follow_up_days': -3}])
        config = Configuration(1)
        self.assertEqual(config.follow_up_days, 30)
        config.stale_days = 0
        with self.assertRaises(ValidationError), savepoint():
            config.save()

    # CRM-C3: work queues
    @with_transaction()
    def test_work_queues(self):
        "The queues list the salesperson's customers and follow the visits"
        pool = Pool()
        Party = pool.get('party.party')
        ns = self._setup()
        with set_company(ns.company):
            today = _today()
            day = dt.timedelta(days=1)
            names = ['今天', '逾期', '从未', '久未', '近期', '别人的']
            due_today, overdue, never, stale, recent, other = \
                create_customers(names)
            give([due_today, overdue, never, stale, recent], ns.a)
            give([other], ns.b)
            Party.write([due_today], {'next_contact_date': today,
                    'last_contact_date': today - 10 * day})
            Party.write([overdue], {'next_contact_date': today - 2 * day,
                    'last_contact_date': today - 9 * day})
            Party.write([stale], {'last_contact_date': today - 60 * day})
            Party.write([recent], {'last_contact_date': today - day,
                    'next_contact_date': today + 60 * day})
            Party.write([other], {'next_contact_date': today})
            mine = [('owner', '=', ns.a.id)]

            def queues():
                return {q: Party.search([('crm_queue', '=', q)] + mine)
                    for q in ['today', 'week', 'overdue', 'stale', 'never']}
            with as_user(ns, 'a'):
                result = queues()
                self.assertEqual(result['today'], [due_today])
                self.assertIn(due_today, result['week'])
                self.assertEqual(result['overdue'], [overdue])
                self.assertEqual(result['stale'], [stale])
                self.assertEqual(result['never'], [never])
                counts = Party.crm_queue_counts()
                self.assertEqual(counts, {q: len(v)
                        for q, v in result.items()})
                # the overview shows the counts, each button opens its queue
                Overview = pool.get('crm.work_queue.overview', type='wizard')
                session_id, _, _ = Overview.create()
                view = Overview.execute(session_id, {}, 'start')['view']
                self.assertEqual(
                    {q: view['defaults'][q] for q in counts}, counts)
                (action, _), = Overview.execute(session_id,
                    {'start': view['defaults']}, 'open_overdue')['actions']
                Overview.delete(session_id)
                self.assertEqual(action['domains'], [])
                self.assertEqual(Party.search(PYSONDecoder().decode(
                            action['pyson_domain'])), [overdue])
                self.assertEqual(Party(overdue.id).crm_queue, 'overdue')
                # visits move the customers out of today and overdue
                _record(due_today, ns.a)
                _record(overdue, ns.a, type_='phone')
                _record(never, ns.a, type_='wechat')
                after = Party.crm_queue_counts()
                self.assertEqual(after['today'], 0)
                self.assertEqual(after['overdue'], 0)
                self.assertEqual(after['never'], 0)
                self.assertEqual(Party.search(
                        [('crm_days_since_contact', '>=', 30)] + mine),
                    [stale])
                # another salesperson's customer is not visible at all
                self.assertEqual(Party.search_count(
                        [('crm_queue', '=', 'today'),
                            ('owner', '=', ns.b.id)]), 0)
            # the supervisor's team queue holds both salespeople
            with as_user(ns, 'sup'):
                team = Party.crm_queue_counts(
                    [('ownership_state', '=', 'locked')])
                self.assertEqual(team['today'], 1)
                self.assertEqual(Party.search(
                        [('crm_queue', '=', 'today'),
                            ('ownership_state', '=', 'locked')]), [other])
            with as_user(ns, 'c'):
                self.assertEqual(Party.crm_queue_counts(
                        [('ownership_state', '=', 'locked')]),
                    dict.fromkeys(counts, 0))

    # CRM-C4: contact tracking
    @with_transaction()
    def test_contact_tracking(self):
        "Contact persons by title, role, number of contacts and days"
        pool = Pool()
        Party = pool.get('party.party')
        ns = self._setup()
        with set_company(ns.company):
            customer, = create_customers(['星辰软件'])
            give([customer], ns.a)
            boss, engineer = _contacts(customer, ['王总', '李工'])
            Party.write([boss], {'crm_job_title': '总经理',
                    'crm_contact_role': 'decision_maker'})
            Party.write([engineer], {'crm_job_title': '工程师',
                    'crm_contact_role': 'technical'})
            with as_user(ns, 'a'):
                _record(customer, ns.a, [boss, engineer],
                    date=dt.datetime.now() - dt.timedelta(days=45))
                _record(customer, ns.a, [boss])
                contacts = [('crm_employer', '=', customer.id)]
                self.assertEqual(Party.search(contacts + [
                            ('crm_contact_count', '>=', 2)]), [boss])
                self.assertEqual(Party.search(contacts + [
                            ('crm_days_since_contact', '>', 40)]),
                    [engineer])
                self.assertEqual(Party.search(contacts + [
                            ('crm_contact_role', '=', 'decision_maker'),
                            ('crm_job_title', 'ilike', '%总%')]), [boss])
                self.assertEqual(Party(engineer.id).crm_days_since_contact,
                    45)

    # Data permissions
    @with_transaction()
    def test_contact_record_permissions(self):
        "Contact records follow the customer's visibility"
        pool = Pool()
        Record = pool.get('crm.contact_record')
        ns = self._setup()
        with set_company(ns.company):
            customer, = create_customers(['保密客户'])
            give([customer], ns.a)
            with as_user(ns, 'a'):
                record = _record(customer, ns.a)
            for name, visible in [('a', True), ('sup', True), ('dm', True),
                    ('gm', True), ('b', False), ('c', False)]:
                with as_user(ns, name):
                    self.assertEqual(
                        Record.search([('id', '=', record.id)]) == [record],
                        visible, name)
            values = {'party': customer.id, 'type': 'visit',
                'employee': ns.c.id, 'subject': "冒名", 'content': "-"}
            with as_user(ns, 'c'):
                with self.assertRaises(AccessError), savepoint():
                    Record.create([values])
                with self.assertRaises(AccessError):
                    Record.read([record.id], ['content'])
            # nor may a colleague the customer is not shared with
            with as_user(ns, 'b'):
                with self.assertRaises(AccessError), savepoint():
                    Record.create([dict(values, employee=ns.b.id)])

    # CRM-C5: review comments
    @with_transaction()
    def test_supervisor_comment_notifies_author(self):
        "A supervisor's comment notifies the salesperson in-app and by email"
        pool = Pool()
        Comment = pool.get('crm.contact_record.comment')
        Record = pool.get('crm.contact_record')
        ns = self._setup()
        with smtp_server() as received, set_company(ns.company):
            ns.users['a'].email = 'a@example.com'
            ns.users['a'].save()
            customer, = create_customers(['点评客户'])
            give([customer], ns.a)
            with as_user(ns, 'a'):
                record = _record(customer, ns.a, subject="首次拜访")
                # nobody reviews their own record
                with self.assertRaises(AccessError), savepoint():
                    Comment.create([{'record': record.id,
                                'text': "自评"}])
            with as_user(ns, 'b'):
                with self.assertRaises(AccessError), savepoint():
                    Comment.create([{'record': record.id,
                                'text': "同事"}])
            with as_user(ns, 'sup'):
                comment, = Comment.create([{'record': record.id,
                            'text': "下次带上技术同事"}])
                self.assertEqual(comment.author, ns.users['sup'])
                self.assertEqual(Record(record.id).comment_count, 1)
            notified = _notifications(ns.users['a'])
            self.assertEqual(len(notified), 1)
            self.assertIn("首次拜访", notified[0].label)
            self.assertEqual(notified[0].description, "下次带上技术同事")
            self.assertEqual(len(deliver_mail()), 1)
        envelope, = received
        self.assertEqual(envelope.rcpt_tos, ['a@example.com'])
        message = parse_mail(envelope)
        self.assertIn("首次拜访", str(message['Subject']))
        self.assertIn("下次带上技术同事", message.get_content())

    # CRM-C2: one open appointment per pair
    @with_transaction()
    def test_one_open_appointment_per_contact(self):
        "A customer and contact person have one open appointment"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            customer, = create_customers(['预约客户'])
            give([customer], ns.a)
            wang, li = _contacts(customer, ['王', '李'])
            start = dt.datetime.now().replace(microsecond=0) \
                + dt.timedelta(days=2)

            def appointment(contact, hours=0):
                return Event.create([{
                            'name': "拜访", 'type': 'appointment',
                            'party': customer.id, 'contact': contact.id,
                            'organizer': ns.a.id,
                            'start': start + dt.timedelta(hours=hours),
                            'end': start + dt.timedelta(hours=hours + 1),
                            }])[0]
            with as_user(ns, 'a'):
                first = appointment(wang)
                # an organization tracks several contacts
                appointment(li, hours=2)
                with self.assertRaises(ValidationError) as cm, savepoint():
                    appointment(wang, hours=4)
                self.assertIn("王", cm.exception.message)
                self.assertIn("拜访", cm.exception.message)
                Event.do([first])
                appointment(wang, hours=4)
            self.assertEqual(Event.search_count([
                        ('contact', '=', wang.id),
                        ('state', '=', 'planned')]), 1)

    # CRM-C6: calendar
    @with_transaction()
    def test_event_ending_before_start(self):
        "An event ending before it starts is refused, nothing saved"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            start = dt.datetime(2030, 5, 6, 2, 0)
            with as_user(ns, 'a'):
                with self.assertRaises(ValidationError) as cm, savepoint():
                    Event.create([{'name': "周会", 'type': 'meeting',
                                'organizer': ns.a.id, 'start': start,
                                'end': start - dt.timedelta(hours=1)}])
                self.assertIn("周会", cm.exception.message)
                with self.assertRaises(ValidationError), savepoint():
                    Event.create([{'name': "电话", 'type': 'call',
                                'organizer': ns.a.id, 'start': start}])
                # a to-do needs no end
                Event.create([{'name': "准备报价", 'type': 'todo',
                            'organizer': ns.a.id, 'start': start}])
            self.assertEqual(Event.search_count([]), 1)

    @with_transaction()
    def test_event_overlap_warns(self):
        "Scheduling over an attendee's event warns naming the event"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            start = dt.datetime(2030, 5, 6, 2, 0)
            hour = dt.timedelta(hours=1)
            with as_user(ns, 'a'):
                Event.create([{'name': "客户方案评审", 'type': 'meeting',
                            'organizer': ns.a.id, 'start': start,
                            'end': start + hour}])
            with as_user(ns, 'sup'):
                values = {'name': "团队周会", 'type': 'meeting',
                    'organizer': ns.sup.id,
                    'attendees': [('add', [ns.sup.id, ns.a.id])],
                    'start': start + hour / 2, 'end': start + 2 * hour}
                with self.assertRaises(UserWarning) as cm, savepoint():
                    Event.create([values])
                self.assertIn("客户方案评审", cm.exception.message)
                self.assertIn("A", cm.exception.message)
                # back to back is no conflict
                Event.create([dict(values, name="下一会",
                            start=start + hour, end=start + 2 * hour)])
                # the user may confirm the double booking
                with Transaction().set_context(_skip_warnings=True):
                    Event.create([values])
            self.assertEqual(Event.search_count([]), 3)

    @with_transaction()
    def test_team_calendar(self):
        "Supervisors see their team's events; colleagues do not"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            start = dt.datetime(2030, 5, 6, 2, 0)
            with as_user(ns, 'a'):
                event, = Event.create([{'name': "拜访", 'type': 'call',
                            'organizer': ns.a.id, 'start': start,
                            'end': start + dt.timedelta(minutes=30)}])
            for name, visible in [('a', True), ('sup', True), ('dm', True),
                    ('gm', True), ('b', False), ('c', False)]:
                with as_user(ns, name):
                    self.assertEqual(Event.search([]) == [event], visible,
                        name)
            # an invited colleague sees it
            Event.write([event], {'attendees': [('add', [ns.c.id])]})
            with as_user(ns, 'c'):
                self.assertEqual(Event.search([]), [event])

    @with_transaction()
    def test_event_reminders(self):
        "Attendees are reminded once before the start"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            now = dt.datetime.now().replace(microsecond=0)
            soon, later = Event.create([{
                        'name': "电话回访", 'type': 'call',
                        'organizer': ns.a.id,
                        'attendees': [('add', [ns.a.id, ns.b.id])],
                        'start': now + dt.timedelta(minutes=10),
                        'end': now + dt.timedelta(minutes=20),
                        'reminder': 15,
                        }, {
                        'name': "下周会议", 'type': 'meeting',
                        'organizer': ns.a.id,
                        'start': now + dt.timedelta(days=7),
                        'end': now + dt.timedelta(days=7, hours=1),
                        }])
            self.assertEqual(Event.send_reminders(now=now), [soon])
            self.assertEqual(len(_notifications(ns.users['a'])), 1)
            self.assertEqual(len(_notifications(ns.users['b'])), 1)
            self.assertIn("电话回访", _notifications(ns.users['a'])[0].label)
            self.assertTrue(Event(soon.id).reminded)
            self.assertEqual(Event.send_reminders(now=now), [])
            # rescheduling arms the reminder again
            Event.write([Event(soon.id)], {
                    'start': now + dt.timedelta(minutes=5)})
            self.assertFalse(Event(soon.id).reminded)
            self.assertEqual(Event.send_reminders(now=now), [soon])

    # CRM-B2 leftover: follow-up plans move with the customer
    @with_transaction()
    def test_transfer_moves_follow_up_plans(self):
        "A transfer moves the old owner's open plans for the customers"
        pool = Pool()
        Party = pool.get('party.party')
        Event = pool.get('crm.event')
        ns = self._setup()
        with set_company(ns.company):
            c1, c2, kept = create_customers(['移交一', '移交二', '不移交'])
            give([c1, c2, kept], ns.a)
            with as_user(ns, 'a'):
                r1 = _record(c1, ns.a)
                _record(c2, ns.a)
                _record(kept, ns.a)
                start = dt.datetime(2030, 5, 6, 2, 0)
                meeting, = Event.create([{'name': "联合拜访",
                            'type': 'meeting', 'party': c1.id,
                            'organizer': ns.sup.id,
                            'attendees': [('add', [ns.a.id, ns.sup.id])],
                            'start': start,
                            'end': start + dt.timedelta(hours=1)}])
            done, = Event.search([('origin_record', '=', r1.id)])
            Event.do([done])
            done_organizer = done.organizer
            with as_user(ns, 'sup'):
                Party.assign([Party(c1.id), Party(c2.id)], ns.b,
                    reason="离职交接")
            planned = Event.search([('party', 'in', [c1.id, c2.id]),
                    ('state', '=', 'planned')])
            self.assertEqual(len(planned), 1 + 1)
            for event in planned:
                self.assertNotIn(ns.a, event.attendees)
                self.assertIn(ns.b, event.attendees)
                if event.type == 'appointment':
                    self.assertEqual(event.organizer, ns.b)
            meeting = Event(meeting.id)
            self.assertEqual(meeting.organizer, ns.sup)
            self.assertEqual(set(meeting.attendees), {ns.b, ns.sup})
            # history stays with its author, other customers untouched
            self.assertEqual(Event(done.id).organizer, done_organizer)
            other, = Event.search([('party', '=', kept.id)])
            self.assertEqual(other.organizer, ns.a)
            self.assertEqual(Party(c1.id).owner, ns.b)
