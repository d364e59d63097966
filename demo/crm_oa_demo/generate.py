"""Create a database with realistic Chinese demo data (SPEC X5).

    crm-oa-demo -c config/demo.conf -d demo --customers 300

The organization (company, departments, supervisor chain, one login per
role), the CRM reference data (reference.py: provinces, industries, sources,
value classes), the leads (leads.py), the members (members.py: tiers,
points, a redemption), the office data (office.py: rooms and bookings,
vehicles and their documents, vehicle requests, supplies and requisitions)
and the salesperson's deals (sales.py: opportunities, contact records) are
created through the ORM; customers, with their ownership history, are
created set-based (see bulk.py), so ``--customers 1000000`` takes minutes
on PostgreSQL. No salesperson gets more locked customers than their lock
quota less QUOTA_ROOM. All dates are counted from the company's today
(Asia/Shanghai). With ``--customers 0`` (the benchmarks, which load their
own data) no customers are generated, nor leads nor members.

An existing empty database (e.g. made by ``createdb``) is filled; one with
tables is kept (``--if-missing``) or refused unless ``--reset``."""
import argparse
import datetime as dt
import logging
from decimal import Decimal
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from crm_oa_demo.leads import setup_leads
from crm_oa_demo.members import setup_members
from crm_oa_demo.office import setup_office
from crm_oa_demo.opportunities import generate_opportunities
from crm_oa_demo.reference import setup_reference
from crm_oa_demo.sales import setup_sales
from crm_oa_demo.vendors import setup_vendors

MODULES = [
    'oa_workflow', 'crm_ext', 'callcenter', 'member_points', 'partner_portal']
DEFAULT_PASSWORD = 'demo2026'


class SetupError(Exception):
    "A problem the user can fix, reported without a traceback"


# Logins of the demo: (login, title, role groups, department code, supervisor)
ROLES = [
    ('gm', "总经理", ['group_general_manager'], 'GMO', None),
    ('manager', "销售部经理", ['group_department_manager'], 'SALES', 'gm'),
    ('supervisor', "销售一组主管", ['group_sales_supervisor'], 'S1', 'manager'),
    ('sales', "客户经理", ['group_salesperson'], 'S1', 'supervisor'),
    ('sales2', "客户经理", ['group_salesperson'], 'S2', 'manager'),
    ('office', "行政专员", ['group_office_admin'], 'ADM', 'gm'),
    ('agent', "客服坐席", ['group_callcenter_agent'], 'CC', 'gm'),
    ('consultant', "实施顾问", ['group_consultant'], 'GMO', 'gm'),
    ]
DEPARTMENTS = [
    # code, name, parent code, manager login
    ('GMO', "总经办", None, 'gm'),
    ('SALES', "销售部", None, 'manager'),
    ('S1', "销售一组", 'SALES', 'supervisor'),
    ('S2', "销售二组", 'SALES', None),
    ('ADM', "行政部", None, 'office'),
    ('CC', "客服中心", None, 'agent'),
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', required=True,
        help="trytond configuration file")
    parser.add_argument('-d', '--database', default='demo',
        help="name of the database to create (default: demo)")
    parser.add_argument('--customers', type=int, default=300,
        help="number of customers to generate (default: 300)")
    parser.add_argument('--reset', action='store_true',
        help="drop the database first if it exists")
    parser.add_argument('--password', default=DEFAULT_PASSWORD,
        help="password of every demo login (default: %(default)s)")
    parser.add_argument('--seed', type=int, default=2026,
        help="random seed, for repeatable data")
    parser.add_argument('--if-missing', action='store_true',
        help="do nothing when the database already exists")
    args = parser.parse_args(argv)
    if args.customers < 0:
        parser.error("--customers must be 0 or more")
    if len(args.password) < 8:
        parser.error("--password must have at least 8 characters")
    return args


def _admin_command():
    path = Path(sys.executable).with_name('trytond-admin')
    return [str(path)] if path.exists() else ['trytond-admin']


def database_state(name):
    """None when the database does not exist, 'empty' when it has no table
    (e.g. just made by createdb), 'data' otherwise"""
    from trytond import backend
    from trytond.config import config
    if backend.name == 'sqlite':
        path = Path(config.get('database', 'path')) / f'{name}.sqlite'
        if not path.exists():
            return None
        if not path.stat().st_size:
            return 'empty'
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1"
    else:
        database = backend.Database().connect()
        connection = database.get_connection(autocommit=True)
        try:
            cursor = connection.cursor()
            cursor.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if not cursor.fetchone():
                return None
        finally:
            database.put_connection(connection)
        query = ("SELECT 1 FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "LIMIT 1")
    database = backend.Database(name).connect()
    connection = database.get_connection(autocommit=True)
    try:
        cursor = connection.cursor()
        cursor.execute(query)
        return 'data' if cursor.fetchone() else 'empty'
    finally:
        database.put_connection(connection)
        if backend.name == 'postgresql':
            database.close()


def read_user_names(name):
    """{login: name} of the demo logins in an existing database (empty when
    they cannot be read, e.g. it is not a demo database)"""
    import sqlite3
    from sql import Flavor, Table
    from trytond import backend
    Flavor.set(backend.Database.flavor)  # as a transaction sets it
    errors = (sqlite3.Error,)
    if backend.name == 'postgresql':
        import psycopg
        errors += (psycopg.Error,)
    database = backend.Database(name).connect()
    connection = database.get_connection()
    try:
        cursor = connection.cursor()
        user = Table('res_user')
        cursor.execute(*user.select(user.login, user.name,
                where=user.login.in_([r[0] for r in ROLES])))
        return {login: name for login, name in cursor if name}
    except errors:
        return {}
    finally:
        connection.rollback()
        database.put_connection(connection)
        if backend.name == 'postgresql':
            database.close()


def create_database(name):
    from trytond import backend
    from trytond.config import config
    if backend.name == 'sqlite':
        directory = Path(config.get('database', 'path'))
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f'{name}.sqlite').touch()
    else:
        Database = backend.Database
        database = Database().connect()
        connection = database.get_connection(autocommit=True)
        try:
            database.create(connection, name)
        finally:
            database.put_connection(connection)


def drop_database(name):
    from trytond import backend
    from trytond.config import config
    if backend.name == 'sqlite':
        path = Path(config.get('database', 'path')) / f'{name}.sqlite'
        if path.exists():
            path.unlink()
    else:
        Database = backend.Database
        database = Database().connect()
        connection = database.get_connection(autocommit=True)
        try:
            database.drop(connection, name)
        finally:
            database.put_connection(connection)


def run_admin(config, database, password, *args):
    env = dict(os.environ)
    passfile = _write_passfile(password)
    try:
        env['TRYTONPASSFILE'] = str(passfile)
        result = subprocess.run(
            _admin_command() + ['-c', config, '-d', database, *args],
            env=env, capture_output=True, text=True)
    finally:
        passfile.unlink()
    if result.returncode:
        raise SetupError(
            "trytond-admin failed:\n" + result.stderr[-3000:])


def _write_passfile(password):
    import tempfile
    fd, name = tempfile.mkstemp(prefix='trytond-pass-')
    with os.fdopen(fd, 'w') as f:
        f.write(password)
    return Path(name)


def install(config, database, password, language='zh_CN'):
    run_admin(config, database, password,
        '--all', '--email', 'admin@example.com', '-l', language)
    run_admin(config, database, password,
        '-u', *MODULES, '--activate-dependencies', '-l', language)


class Names:
    "Pools of realistic Chinese names drawn from Faker's zh_CN providers"

    def __init__(self, seed):
        from faker import Faker
        from faker.providers.address.zh_CN import Provider as Address
        from faker.providers.company.zh_CN import Provider as Company
        from faker.providers.phone_number.zh_CN import Provider as Phone
        self.random = random.Random(seed)
        self.faker = Faker('zh_CN')
        self.faker.seed_instance(seed)
        self.cities = list(dict.fromkeys(Address.cities))
        self.districts = list(dict.fromkeys(Address.districts))
        self.streets = [self.faker.street_name() for _ in range(2000)]
        self.prefixes = list(dict.fromkeys(Company.company_prefixes))
        self.suffixes = list(dict.fromkeys(Company.company_suffixes))
        self.mobile_prefixes = [str(p) for p in Phone.phonenumber_prefixes]
        self.people = [self.faker.name() for _ in range(5000)]
        self.jobs = [self.faker.job() for _ in range(200)]

    def company_names(self, count):
        "`count` distinct company names: city + district + brand + suffix"
        for name, _ in self.companies(count):
            yield name

    def companies(self, count):
        "`count` distinct (company name, city of the company)"
        c, d, p, s = (len(self.cities), len(self.districts),
            len(self.prefixes), len(self.suffixes))
        space = c * d * p * s
        picks = self.random.sample(range(space), min(count, space))
        for n, index in enumerate(picks):
            index, si = divmod(index, s)
            index, pi = divmod(index, p)
            ci, di = divmod(index, d)
            city = self.cities[ci]
            yield (f"{city}{self.districts[di]}"
                f"{self.prefixes[pi]}{self.suffixes[si]}", city)
        for n in range(space, count):
            city = self.cities[n % c]
            yield f"{city}{self.prefixes[n % p]}第{n}分公司", city

    def mobile(self):
        "A valid mainland mobile number as (international, E.164)"
        prefix = self.random.choice(self.mobile_prefixes)
        rest = f'{self.random.randrange(10 ** 8):08d}'
        return (f'+86 {prefix} {rest[:4]} {rest[4:]}',
            f'+86{prefix}{rest}')

    def landline(self, city_index):
        area = ('10', '21', '20', '755', '571', '25', '28', '27')[
            city_index % 8]
        number = f'{self.random.randrange(2 * 10 ** 7, 9 * 10 ** 7):08d}'
        return (f'+86 {area} {number[:4]} {number[4:]}',
            f'+86{area}{number}')


def setup_organization(names, password):
    "Company, departments, employees and one login per role; returns logins"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Employee = pool.get('company.employee')
    Department = pool.get('oa.department')
    User = pool.get('res.user')
    Group = pool.get('res.group')
    ModelData = pool.get('ir.model.data')
    Lang = pool.get('ir.lang')

    currency, = Currency.search([('code', '=', 'CNY')]) or Currency.create([{
                'name': "人民币", 'code': 'CNY', 'symbol': '¥',
                'rounding': Decimal('0.01'), 'digits': 2}])
    company_party = Party(name=next(names.company_names(1)))
    company_party.save()
    company = Company(
        party=company_party, currency=currency, timezone='Asia/Shanghai')
    company.save()
    admin, = User.search([('login', '=', 'admin')])
    admin.companies = [company]
    admin.company = company
    admin.save()

    lang, = Lang.search([('code', '=', 'zh_CN')])
    employees = {}
    users = {}
    with Transaction().set_context(company=company.id):
        for login, title, _, _, _ in ROLES:
            party = Party(name=names.faker.name())
            party.save()
            employee = Employee(party=party, company=company, title=title)
            employee.save()
            employees[login] = employee
        for login, _, _, _, chief in ROLES:
            if chief:
                employees[login].supervisor = employees[chief]
        Employee.save(list(employees.values()))
        departments = {}
        for code, name, parent, manager in DEPARTMENTS:
            department = Department(
                name=name, code=code, company=company,
                parent=departments.get(parent),
                manager=employees.get(manager))
            department.save()
            departments[code] = department
        for login, _, _, dept, _ in ROLES:
            employees[login].department = departments[dept]
        Employee.save(list(employees.values()))

        for login, title, groups, _, _ in ROLES:
            employee = employees[login]
            user = User(
                login=login, name=employee.party.name,
                email=f'{login}@example.com', language=lang,
                companies=[company], company=company,
                employees=[employee], employee=employee,
                groups=[Group(ModelData.get_id('oa_workflow', g))
                    for g in groups])
            user.save()
            users[login] = user
        User.write(list(users.values()), {'password': password})
    return company, users


def setup_approvals(company, users):
    """A custom form "出差申请" with its two-step flow (supervisor, then any
    general manager, for 5 000 or more), and one trip submitted by the
    salesperson: it waits in the supervisor's "To Do" inbox."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    FormType = pool.get('oa.form.type')
    FormField = pool.get('oa.form.field')
    Flow = pool.get('oa.approval.flow')
    Step = pool.get('oa.approval.flow.step')
    Form = pool.get('oa.form')
    Group = pool.get('res.group')
    ModelData = pool.get('ir.model.data')
    trip = FormType(name="出差申请", code='TRIP', fields_=[
            FormField(name='destination', string="目的地", type_='char',
                required=True),
            FormField(name='amount', string="金额", type_='numeric',
                digits=2, required=True),
            FormField(name='days', string="天数", type_='integer'),
            FormField(name='reason', string="事由", type_='text'),
            ])
    trip.save()
    flow = Flow(name="出差审批", model='oa.form', form_types=[trip],
        condition="[('data.amount', '>=', 5000)]",
        steps=[
            Step(name="主管审批", sequence=10, approver_type='supervisor',
                levels=1),
            Step(name="总经理审批", sequence=20, approver_type='group',
                group=Group(ModelData.get_id(
                        'oa_workflow', 'group_general_manager')),
                mode='any'),
            ])
    flow.save()
    trip.flow = flow
    trip.save()
    sales = users['sales']
    with Transaction().set_user(sales.id), \
            Transaction().set_context(
                company=company.id, employee=sales.employee.id):
        form = Form(form_type=trip, subject="北京客户拜访",
            data={'destination': "北京", 'amount': Decimal('8000'),
                'days': 3, 'reason': "拜访重点客户，洽谈年度框架合同"})
        form.save()
        Form.submit_approval([form])


def setup_ownership(company, users):
    """When crm_ext is there: the ownership policy of the demo (quota 50,
    lock with the supervisor's approval, release after 90 days without
    contact) on the default pool, and one lock request of the salesperson
    that waits in the supervisor's "To Do" (the default lock flow of
    crm_ext, its step renamed by the consultant)."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    if 'crm.lock.request' not in dict(pool.iterobject()):
        return
    Policy = pool.get('crm.ownership.policy')
    CustomerPool = pool.get('crm.customer.pool')
    Configuration = pool.get('crm.configuration')
    Party = pool.get('party.party')
    Flow = pool.get('oa.approval.flow')
    ModelData = pool.get('ir.model.data')
    policy = Policy(name="公司客户归属策略", creation_mode='creator',
        default_quota=50, needs_approval=True, daily_claim_limit=10,
        cooldown_days=30, warning_days=7, exempt_states=['opportunity'])
    policy.release_rules = [{'no_contact_days': 90}]
    policy.save()
    customer_pool = CustomerPool(name="公共客户池", policy=policy)
    customer_pool.save()
    config = Configuration(1)
    config.default_pool = customer_pool
    config.save()
    flow = Flow(ModelData.get_id('crm_ext', 'approval_flow_lock_request'))
    for step in flow.steps:
        step.name = "主管审批"
    flow.steps = list(flow.steps)
    flow.save()
    with Transaction().set_context(crm_customer=True, _skip_warnings=True):
        customer, = Party.create([{'name': "杭州云帆信息技术有限公司"}])
    return customer.id


def request_demo_lock(database, company_id, user_id, party_id):
    """The salesperson applies to lock the demo customer, in a transaction
    re-run with the row locks it asks for, as the RPC dispatcher does"""
    from trytond.pool import Pool
    from trytond.exceptions import UserError
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    for _ in range(5):
        with Transaction().start(database, user_id, **extras) as transaction:
            User = Pool().get('res.user')
            context = User.get_preferences(context_only=True)
            context.update(company=company_id, language='zh_CN')
            try:
                with transaction.set_context(context):
                    Party = Pool().get('party.party')
                    Party.request_lock_customers([Party(party_id)],
                        reason="老客户转介绍，已约下周上门拜访")
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            except UserError as exception:
                # e.g. the salesperson is over the quota with many customers
                transaction.rollback()
                print(f"Demo lock request not submitted: {exception}")
            return


def generate_customers(names, count, reference=None):
    """Customers with a contact person, phones, e-mail and an address; with
    crm_ext, their CRM columns (crm_columns) and the ownership history of
    the locked ones"""
    from crm_oa_demo.bulk import analyze, insert_rows, next_ids
    from trytond.pool import Pool
    pool = Pool()
    Configuration = pool.get('party.configuration')
    Sequence = pool.get('ir.sequence')
    if not count:
        return 0
    sequence = Configuration(1).party_sequence
    number = sequence.number_next
    prefix = sequence.prefix or ''
    first = next_ids('party_party', count)
    companies = names.companies(count)
    cities = []
    rnd = names.random
    columns = ['id', 'active', 'code', 'code_alnum', 'code_digit', 'name']
    crm = crm_columns(rnd, reference)
    if crm:
        columns += crm['columns']

    def parties():
        for i in range(count):
            code = f'{prefix}{number + i}'
            name, city = next(companies)
            cities.append(city)
            row = (first + i, True, code, code, number + i, name)
            if crm:
                row += crm['values'](first + i, name, city)
            yield row
    insert_rows('party_party', columns, parties())
    Sequence.write([sequence], {'number_next': number + count})
    if crm and crm['history']:
        insert_rows('crm_ownership_history', crm['history_columns'],
            crm['history'])

    first_mechanism = next_ids('party_contact_mechanism', 3 * count)

    def mechanisms():
        mid = first_mechanism
        for i in range(count):
            party = first + i
            contact = rnd.choice(names.people)
            value, compact = names.mobile()
            yield (mid, True, party, contact, 10, 'mobile', value, compact)
            value, compact = names.landline(i)
            yield (mid + 1, True, party, None, 20, 'phone', value, compact)
            email = f'info{party}@example.cn'
            yield (mid + 2, True, party, contact, 30, 'email', email, email)
            mid += 3
    insert_rows('party_contact_mechanism',
        ['id', 'active', 'party', 'name', 'sequence', 'type', 'value',
            'value_compact'],
        mechanisms())

    first_address = next_ids('party_address', count)
    country = reference.country if reference else None

    def addresses():
        for i in range(count):
            street = (f'{rnd.choice(names.districts)}区'
                f'{rnd.choice(names.streets)}{rnd.randrange(1, 999)}号')
            yield (first_address + i, True, first + i, cities[i], street,
                f'{rnd.randrange(100000, 999999)}', 10, country,
                reference.province(cities[i]) if reference else None)
    insert_rows('party_address',
        ['id', 'active', 'party', 'city', 'street_unstructured',
            'postal_code', 'sequence', 'country', 'subdivision'],
        addresses())
    tables = ['party_party', 'party_contact_mechanism', 'party_address']
    if crm:
        tables.append('crm_ownership_history')
    analyze(*tables)
    return count


# Locked customers the generator leaves below each salesperson's quota, so
# that they can still claim and create customers in the demo
QUOTA_ROOM = 10
LOCKED_SHARE = 0.35


def crm_columns(rnd, reference=None):
    """The CRM data of generated customers, when crm_ext provides it:
    about a third locked by the salespeople (never more than their lock
    quota less QUOTA_ROOM), the rest in the open pool; the value class,
    industry, source and province (with the reference data); the
    ownership history of the locked ones (in 'history', to insert after
    the customers)."""
    from trytond.i18n import gettext
    from trytond.pool import Pool
    from trytond.tools import timezone as tz
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    if 'ownership_state' not in Party._fields:
        return None
    from crm_ext.tools import name_key, pinyin_initials
    User = pool.get('res.user')
    Configuration = pool.get('crm.configuration')
    Request = pool.get('crm.lock.request')
    Company = pool.get('company.company')
    Date = pool.get('ir.date')
    default_pool = Configuration(1).default_pool
    policy = default_pool.policy if default_pool else None
    # [employee, department, user, locks left (None: no limit)]
    owners = []
    for user in User.search([
                ('login', 'in', ['sales', 'sales2', 'supervisor']),
                ], order=[('id', 'ASC')]):
        employee = user.employee
        quota = policy.get_quota(employee) if policy else None
        left = None
        if quota is not None:
            # as the policy counts them: locked customers, pending requests
            used = Party.search_count([
                    ('owner', '=', employee.id),
                    ('ownership_state', '=', 'locked'),
                    ]) + Request.search_count([
                    ('requester', '=', employee.id),
                    ('state', '=', 'pending'),
                    ])
            left = max(quota - QUOTA_ROOM - used, 0)
        if left != 0:
            owners.append([employee.id, employee.department.id
                    if employee.department else None, user.id, left])
    company = Company(Transaction().context['company'])
    zone = tz.ZoneInfo(company.timezone) if company.timezone else tz.SERVER
    today = Date.today()  # the company's today
    reason = gettext('crm_ext.msg_history_created')
    statuses = ['prospect', 'intent', 'customer']
    initials = {}
    history = []

    def fast_initials(name):
        # names are city + district + brand + suffix: cache by 4-char chunks
        parts = [name[i:i + 4] for i in range(0, len(name), 4)]
        out = []
        for part in parts:
            if part not in initials:
                initials[part] = pinyin_initials(part) or ''
            out.append(initials[part])
        return ''.join(out) or None

    def locked_at(day):
        "A time of the working day, in UTC as Tryton stores timestamps"
        local = dt.datetime.combine(day,
            dt.time(rnd.randrange(9, 18), rnd.randrange(60)), tzinfo=zone)
        return local.astimezone(tz.UTC).replace(tzinfo=None)

    def values(party_id, name, city):
        status = rnd.choice(statuses)
        contact = (today - dt.timedelta(days=rnd.randrange(0, 120))
            if rnd.random() < 0.7 else None)
        if reference:
            extra = (reference.draw('value_class'),
                reference.draw('industry'), reference.draw('source'),
                reference.province(city), city)
        else:
            extra = (None, None, None, None, city)
        if owners and rnd.random() < LOCKED_SHARE:
            index = rnd.randrange(len(owners))
            owner = owners[index]
            employee, department, user, left = owner
            if left is not None:
                owner[3] -= 1
                if owner[3] <= 0:
                    del owners[index]
            lock_date = today - dt.timedelta(days=rnd.randrange(0, 60))
            history.append((party_id, locked_at(lock_date), 'create',
                    employee, user, reason))
            return ('organization', status, name_key(name),
                fast_initials(name), 'locked', employee, department,
                lock_date, contact) + extra
        return ('organization', status, name_key(name), fast_initials(name),
            'open', None, None, None, contact) + extra
    return {
        'columns': ['crm_type', 'crm_status', 'crm_name_key', 'crm_initials',
            'ownership_state', 'owner', 'owner_department', 'lock_date',
            'last_contact_date', 'value_class', 'industry', 'source',
            'subdivision', 'city'],
        'values': values,
        'history_columns': ['party', 'date', 'action', 'to_employee', 'user',
            'reason'],
        'history': history,
        }


def populate(database, args):
    from trytond.pool import Pool
    from trytond.transaction import TransactionError
    Pool(database).init()
    # re-run with the locks it asks for (e.g. the CRM configuration
    # singleton is created under a table lock), as the dispatcher does
    extras = {}
    for _ in range(5):
        try:
            return _populate(database, args, extras)
        except TransactionError as exception:
            exception.fix(extras)
    raise SetupError("the demo data could not take its database locks")


def _populate(database, args, extras):
    """The demo data in one transaction; what may ask for row locks (and so
    re-run the transaction) comes before the bulk-made customers"""
    from trytond.transaction import Transaction
    names = Names(args.seed)
    with Transaction().start(
            database, 0, readonly=False, **extras) as transaction:
        with transaction.set_context(language='zh_CN'):
            complete_config_wizard()
            company, users = setup_organization(names, args.password)
            setup_approvals(company, users)
            with transaction.set_context(company=company.id):
                demo_customer = setup_ownership(company, users)
            with transaction.set_context(company=company.id):
                reference = None
                if demo_customer:
                    reference = setup_reference(names.random)
                    describe_demo_customer(demo_customer, reference)
                if demo_customer and args.customers:
                    setup_leads(company, users, reference)
                    setup_members(company, users, reference)
                setup_office(company, users)
                started = time.monotonic()
                generate_customers(names, args.customers, reference)
                if demo_customer:
                    generate_opportunities(names.random)
                elapsed = time.monotonic() - started
                if demo_customer:
                    setup_sales(company, users)
                setup_vendors(company)
            names_of_users = {l: u.name for l, u in users.items()}
            lock = (company.id, users['sales'].id) if demo_customer else None
        transaction.commit()
    if lock:
        request_demo_lock(database, *lock, demo_customer)
    return names_of_users, elapsed


def complete_config_wizard():
    """Mark the module configuration wizard done, as the administrator
    going through it would: the demo made the company and the users, so
    admin's first login opens the menu, not the wizard"""
    from trytond.pool import Pool
    Item = Pool().get('ir.module.config_wizard.item')
    Item.write(Item.search([('state', '=', 'open')]), {'state': 'done'})


def describe_demo_customer(party_id, reference):
    "The value class, industry, source and province of the demo customer"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Party = Pool().get('party.party')
    with Transaction().set_context(_skip_warnings=True):
        Party.write([Party(party_id)], {
                'city': '杭州', 'subdivision': reference.province('杭州'),
                'industry': reference.industries['IT'],
                'value_class': reference.classes['B'],
                'source': reference.sources['EXPO'],
                })


def main(argv=None):
    args = parse_args(argv)
    if not Path(args.config).is_file():
        print(f"error: configuration file {args.config} not found",
            file=sys.stderr)
        return 2
    os.environ['TRYTOND_CONFIG'] = args.config
    # The demo has no mail server: the approval notifications of the demo
    # data are shown in the web client, their e-mails are not sent.
    logging.getLogger('trytond.sendmail').setLevel(logging.CRITICAL)
    from trytond.config import config
    config.update_etc(args.config)
    import trytond.backend  # noqa: F401 after the configuration
    try:
        try:
            state = database_state(args.database)
        except trytond.backend.DatabaseOperationalError as exception:
            raise SetupError(
                f"cannot connect to the database server: {exception}")
        if state == 'data' and args.if_missing:
            print(f"Database '{args.database}' already exists: kept as it "
                "is (./start.sh --reset recreates it).")
            print_logins(args.password, read_user_names(args.database))
            return 0
        if state == 'data' and not args.reset:
            raise SetupError(
                f"Database '{args.database}' already exists. Use --reset to "
                "drop and recreate it, or choose another name with -d.")
        if state == 'data':
            drop_database(args.database)
        if state != 'empty':
            # an empty database (e.g. made by createdb) is used as it is
            create_database(args.database)
        print(f"Installing the modules into '{args.database}' "
            "(about a minute)...", flush=True)
        install(args.config, args.database, args.password)
        print(f"Generating the organization and {args.customers} "
            "customers...", flush=True)
        users, elapsed = populate(args.database, args)
    except SetupError as exception:
        print(f"error: {exception}", file=sys.stderr)
        return 2
    print(f"Customers and their opportunities generated in {elapsed:.1f} s.")
    print_logins(args.password, users)
    return 0


def print_logins(password, users=None):
    users = users or {}
    print(f"Logins (password for all: {password}):")
    print(f"  {'admin':<12} administrator / 系统管理员")
    for login, title, groups, *_ in ROLES:
        name = f" ({users[login]})" if login in users else ''
        print(f"  {login:<12} {title}{name}")


if __name__ == '__main__':
    sys.exit(main())
