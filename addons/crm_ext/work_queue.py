# This file is part of the crm_ext module.
"""Follow-up data on customers and contact persons: work queues (CRM-C3),
contact tracking (CRM-C4) and the next contact proposal (CRM-C1)"""
import datetime as dt
import sqlite3

from sql import Select, Table, With
from sql.aggregate import Count

from trytond import backend
from trytond.cache import Cache
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from .contact_record import CONTACT_ROLES, DEFAULT_FOLLOW_UP_DAYS

QUEUES = [
    (None, ""),
    ('today', "To Contact Today"),
    ('week', "To Contact This Week"),
    ('overdue', "Overdue"),
    ('stale', "Not Contacted Recently"),
    ('never', "Never Contacted"),
    ]
_REVERSE = {'>': '<', '>=': '<=', '<': '>', '<=': '>=', '=': '=', '!=': '!='}


class _Inlined(With):
    """A common table expression that the database inlines where it is
    used (NOT MATERIALIZED), so that each use keeps its own index scan"""
    __slots__ = ()

    def statement(self):
        # PostgreSQL materializes a CTE used more than once, SQLite too from
        # 3.35 (which also reads the hint); older SQLite always inlines
        hint = ('NOT MATERIALIZED ' if backend.name == 'postgresql'
            or sqlite3.sqlite_version_info >= (3, 35, 0) else '')
        return '"%s" AS %s(%s)' % (self.alias, hint, self.query)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    _crm_queue_dates_cache = Cache(
        'crm_ext.work_queue_dates', duration=dt.timedelta(minutes=1),
        context=False)

    contact_records = fields.One2Many(
        'crm.contact_record', 'party', "Contact Records", readonly=True)
    crm_contact_role = fields.Selection(CONTACT_ROLES, "Role",
        states={'invisible': Eval('crm_type') != 'contact'},
        help="The part the contact person plays in the customer's "
        "decisions.")
    crm_contact_count = fields.Integer("Contacts", readonly=True,
        help="How many contact records name this contact person.")
    crm_days_since_contact = fields.Function(
        fields.Integer("Days Since Last Contact",
            help="Empty when never contacted."),
        'get_crm_days_since_contact',
        searcher='search_crm_days_since_contact')
    crm_queue = fields.Function(
        fields.Selection(QUEUES, "Work Queue"),
        'get_crm_queue', searcher='search_crm_queue')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # the work queues of a salesperson count their customers by dates;
        # the columns of the record rule and of active are included so that
        # the counts are index-only scans
        include = [t.ownership_state, t.active, t.id]
        cls._sql_indexes.update({
                Index(t, (t.owner, Index.Range()),
                    (t.next_contact_date, Index.Range()), include=include),
                Index(t, (t.owner, Index.Range()),
                    (t.last_contact_date, Index.Range()), include=include),
                })
        cls.__rpc__.update({
                'crm_queue_counts': RPC(readonly=True),
                })

    @classmethod
    def default_crm_contact_count(cls):
        return 0

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default else {}
        default.setdefault('contact_records')
        default.setdefault('crm_contact_count', 0)
        default.setdefault('last_contact_date')
        default.setdefault('next_contact_date')
        return super().copy(parties, default=default)

    # Next contact proposal
    def crm_follow_up_days(self):
        "Days between two contacts: the value class's or the default"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        value_class = getattr(self, 'value_class', None)
        if value_class and value_class.follow_up_days:
            return value_class.follow_up_days
        return Configuration(1).follow_up_days or DEFAULT_FOLLOW_UP_DAYS

    def crm_propose_next_contact(self, date=None):
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        return date + dt.timedelta(days=self.crm_follow_up_days())

    # Contact tracking
    def get_crm_days_since_contact(self, name):
        pool = Pool()
        Date = pool.get('ir.date')
        if self.last_contact_date:
            return (Date.today() - self.last_contact_date).days

    @classmethod
    def search_crm_days_since_contact(cls, name, clause):
        pool = Pool()
        Date = pool.get('ir.date')
        _, operator, value = clause[:3]
        if value is None or operator not in _REVERSE:
            if operator in {'=', 'in'} and not value:
                return [('last_contact_date', '=', None)]
            return [('last_contact_date', '!=', None)]
        date = Date.today() - dt.timedelta(days=int(value))
        return [('last_contact_date', _REVERSE[operator], date)]

    # Work queues
    @classmethod
    def _crm_queue_dates(cls):
        """(today, end of week, stale limit) of the company; kept for the
        current minute so that the five counts of the work queue tabs do
        not read the company and the configuration again"""
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('crm.configuration')
        minute = dt.datetime.now(dt.timezone.utc).replace(
            second=0, microsecond=0)
        key = (Transaction().context.get('company'), minute)
        dates = cls._crm_queue_dates_cache.get(key)
        if dates is None:
            today = Date.today()
            end_of_week = today + dt.timedelta(days=6 - today.weekday())
            stale = today - dt.timedelta(
                days=Configuration(1).stale_days or 30)
            dates = cls._crm_queue_dates_cache.set(
                key, (today, end_of_week, stale))
        return dates

    @classmethod
    def _crm_queue_domains(cls):
        today, end_of_week, stale = cls._crm_queue_dates()
        return {
            'today': [('next_contact_date', '=', today)],
            'week': [
                ('next_contact_date', '>=', today),
                ('next_contact_date', '<=', end_of_week),
                ],
            'overdue': [('next_contact_date', '<', today)],
            'stale': [('last_contact_date', '<', stale)],
            'never': [('last_contact_date', '=', None)],
            }

    def get_crm_queue(self, name):
        today, end_of_week, stale = self._crm_queue_dates()
        if self.next_contact_date:
            if self.next_contact_date < today:
                return 'overdue'
            if self.next_contact_date == today:
                return 'today'
            if self.next_contact_date <= end_of_week:
                return 'week'
        if not self.last_contact_date:
            return 'never'
        if self.last_contact_date < stale:
            return 'stale'

    @classmethod
    def search_crm_queue(cls, name, clause):
        _, operator, value = clause[:3]
        domains = cls._crm_queue_domains()
        if operator == '=':
            values = [value]
        elif operator == 'in':
            values = list(value)
        else:
            raise ValueError(operator)
        domain = ['OR']
        for value in values:
            if value in domains:
                domain.append(domains[value])
        if len(domain) == 1:
            return [('id', '=', -1)]
        return domain

    @classmethod
    def _crm_my_customers_domain(cls):
        "The customers of the employee the user acts as (My Work Queues)"
        employee = cls._crm_current_employee()
        return [('owner', '=', employee.id if employee else -1)]

    @classmethod
    def crm_queue_counts(cls, domain=None):
        """Return the size of each work queue of the current user's
        customers (or of domain) in one statement, record rules applied.

        The customers are searched once (access, record rules and active
        test as for any search) into a common table expression that the
        database inlines: each queue counts its dates over it, so that
        every count stays an index-only scan of the queue's dates while
        the conditions of the search are written (and sent) only once"""
        if domain is None:
            domain = cls._crm_my_customers_domain()
        queues = cls._crm_queue_domains()
        search = cls.search(domain, count=True, query=True)
        table = search.from_[0]
        if not isinstance(table, Table):
            # the domain joined other tables: count by the tab searches
            return {q: cls.search_count([domain, ('crm_queue', '=', q)])
                for q in queues}
        customers = _Inlined(query=search.from_.select(
                table.next_contact_date, table.last_contact_date,
                where=search.where))
        # the queues converted in one call: an OR of them gives a condition
        # per queue, in their order
        _, dates = cls.search_domain(['OR', *queues.values()],
            active_test=False, tables={None: (customers, None)})
        counts = [customers.select(Count(), where=d).as_(name)
            for name, d in zip(queues, dates)]
        cursor = Transaction().connection.cursor()
        cursor.execute(*Select(counts, with_=[customers]))
        return dict(zip(queues, cursor.fetchone()))
