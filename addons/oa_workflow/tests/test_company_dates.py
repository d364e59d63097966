# This file is part of the oa_workflow module.
"""The company's calendar (SPEC X1): ir.date's today and the local dates of
UTC date-times follow the company's timezone, also without a company in
the context (cron without companies, routes)

The company's timezone is chosen from the real clock so that its date
differs from the UTC date when the test runs (UTC+12 in the UTC afternoon,
UTC-12 in the UTC morning): the assertions hold whenever the tests run.

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime as dt
import unittest

from trytond.exceptions import UserError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.tools import timezone as tz
from trytond.transaction import Transaction


def other_day_timezone():
    "A timezone whose date is not the UTC date now (POSIX signs: GMT-12 = +12)"
    if dt.datetime.now(tz.UTC).hour >= 12:
        return 'Etc/GMT-12'
    return 'Etc/GMT+12'


def company_in(timezone):
    company = create_company()
    company.timezone = timezone
    company.save()
    return company


class CompanyDatesTestCase(unittest.TestCase):
    "Test the company's calendar"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @with_transaction()
    def test_today_without_company_context(self):
        """Root without a company in the context (a cron without companies,
        a route) and a user without one get the company's today"""
        pool = Pool()
        Date = pool.get('ir.date')
        Company = pool.get('company.company')
        User = pool.get('res.user')
        timezone = other_day_timezone()
        company = company_in(timezone)
        self.assertEqual(Company.search([]), [company])
        local = dt.datetime.now(tz.ZoneInfo(timezone)).date()
        self.assertNotEqual(local, dt.datetime.now(tz.UTC).date())
        transaction = Transaction()
        with transaction.set_user(0), transaction.set_context(company=None):
            self.assertEqual(Date.today(), local)
        user, = User.create([{
                    'login': 'dates_user', 'name': "小王",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    }])
        with transaction.set_user(user.id), \
                transaction.set_context(company=None):
            self.assertEqual(Date.today(), local)
        with set_company(company):
            self.assertEqual(Date.today(), local)

    @with_transaction()
    def test_local_dates(self):
        """The company's date and time of a UTC date-time, and the UTC
        start of a company's date"""
        Date = Pool().get('ir.date')
        company = company_in('Asia/Shanghai')
        with set_company(company):
            evening = dt.datetime(2026, 12, 7, 20, 0)  # UTC
            self.assertEqual(Date.company_date(evening), dt.date(2026, 12, 8))
            self.assertEqual(Date.company_datetime(evening),
                dt.datetime(2026, 12, 8, 4, 0))
            self.assertEqual(Date.company_midnight(dt.date(2026, 12, 8)),
                dt.datetime(2026, 12, 7, 16, 0))
            self.assertIsNone(Date.company_date(None))
        other = company_in('Europe/Paris')
        self.assertEqual(
            Date.company_date(evening, other), dt.date(2026, 12, 7))

    @with_transaction()
    def test_driver_licence_company_date(self):
        """A trip ending at 00:30 (company time) is on the company's date: a
        licence expired the day before refuses it"""
        pool = Pool()
        Driver = pool.get('oa.vehicle.driver')
        Date = pool.get('ir.date')
        company = company_in('Asia/Shanghai')
        with set_company(company):
            employee = create_employee(company, "司机老李")
            today = Date.today()
            driver, = Driver.create([{
                        'company': company.id, 'employee': employee.id,
                        'license_expiry': today - dt.timedelta(days=1),
                        }])
            end = Date.company_midnight(today) + dt.timedelta(minutes=30)
            self.assertLess(end.date(), today)  # the UTC date before
            with self.assertRaises(UserError):
                driver.check_dispatchable("出车", end)
