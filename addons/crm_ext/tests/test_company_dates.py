# This file is part of the crm_ext module.
"""Dates in the company's timezone (SPEC CRM-B4, CRM-C1, X1)

The company is in Asia/Shanghai (UTC+8): the company's day starts at 16:00
UTC of the day before. Things done at 00:01 on the company's today are
stamped (UTC) on the day before: the rules must count them in today. The
moments are made from the real clock, so the assertions hold whenever the
tests run."""
import datetime as dt
import unittest

from trytond.exceptions import UserError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import (
    as_user, claim, create_customers, setup_organization, setup_policy)


def setup_shanghai():
    "The organization of the tests, its company in Asia/Shanghai"
    ns = setup_organization()
    ns.company.timezone = 'Asia/Shanghai'
    ns.company.save()
    return ns


def first_minute():
    """The UTC date-time of 00:01 on the company's today (its UTC date is
    the day before)"""
    Date = Pool().get('ir.date')
    return Date.company_midnight(Date.today()) + dt.timedelta(minutes=1)


def set_column(Model, record, name, value):
    "Set a column the application stamps (history date, create date)"
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update([getattr(table, name)], [value],
            where=table.id == record.id))
    Transaction().counter += 1
    Transaction().cache.clear()


class CompanyDatesTestCase(unittest.TestCase):
    "Test the dates of the CRM rules in the company's timezone"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_ext')

    @with_transaction()
    def test_company_today(self):
        "The company's today is the date in Shanghai, not in UTC"
        Date = Pool().get('ir.date')
        ns = setup_shanghai()
        with set_company(ns.company):
            shanghai = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
            self.assertEqual(Date.today(), shanghai.date())
            morning = first_minute()
            self.assertEqual(morning.date(), Date.today() - dt.timedelta(1))
            self.assertEqual(Date.company_date(morning), Date.today())
            self.assertEqual(
                Date.company_datetime(morning).time(), dt.time(0, 1))

    @with_transaction()
    def test_cooldown_date(self):
        """A customer released at 00:01 (company time) may be claimed again
        by its former owner N days after the company's date of release"""
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        Date = pool.get('ir.date')
        ns = setup_shanghai()
        with set_company(ns.company):
            setup_policy(ns, quota=5, needs_approval=False, cooldown_days=15)
            customer, = create_customers(["冷却客户"])
            release, = History.record([customer], 'release', None,
                from_employees={customer.id: ns.a})
            set_column(History, release, 'date', first_minute())
            until = Date.today() + dt.timedelta(days=15)
            with as_user(ns, 'a'):
                with self.assertRaises(UserError) as cm:
                    Party.request_lock_customers([Party(customer.id)])
            self.assertIn(str(until), cm.exception.message)
            self.assertNotIn(
                str(until - dt.timedelta(days=1)), cm.exception.message)

    @with_transaction()
    def test_daily_claim_limit_counts_company_day(self):
        """A claim made at 00:01 (company time) counts in the company's day
        for the daily claim limit"""
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('crm.lock.request')
        ns = setup_shanghai()
        with set_company(ns.company):
            setup_policy(ns, quota=5, needs_approval=False,
                daily_claim_limit=1)
            first, second = create_customers(["早客户", "晚客户"])
            with as_user(ns, 'a'):
                request = claim(first)
            set_column(Request, request, 'create_date', first_minute())
            with as_user(ns, 'a'):
                with self.assertRaises(UserError) as cm:
                    claim(second)
            self.assertIn('1', cm.exception.message)
            self.assertEqual(Party(second.id).ownership_state, 'open')

    @with_transaction()
    def test_contact_record_dates(self):
        """A visit at 00:01 (company time) is a contact of the company's
        today: last contact, next contact proposed, days since contact and
        the release clock start from it"""
        pool = Pool()
        Party = pool.get('party.party')
        Record = pool.get('crm.contact_record')
        Date = pool.get('ir.date')
        ns = setup_shanghai()
        with set_company(ns.company):
            setup_policy(ns, quota=5, needs_approval=False, contact_days=30)
            customer, = create_customers(["拜访客户"])
            with as_user(ns, 'a'):
                Party.request_lock_customers([Party(customer.id)])
                record = Record(party=Party(customer.id), type='visit',
                    employee=ns.a.id, subject="拜访", content="早上拜访")
                record.date = first_minute()
                record.next_contact_date = (
                    record.on_change_with_next_contact_date())
                record.save()
            today = Date.today()
            follow_up = Party(customer.id).crm_follow_up_days()
            self.assertEqual(record.next_contact_date,
                today + dt.timedelta(days=follow_up))
            customer = Party(customer.id)
            self.assertEqual(customer.last_contact_date, today)
            self.assertEqual(customer.crm_days_since_contact, 0)
            self.assertEqual(customer.release_date,
                today + dt.timedelta(days=31))
            self.assertEqual(Party.search([
                        ('id', '=', customer.id),
                        ('crm_days_since_contact', '<', 1)]), [customer])
