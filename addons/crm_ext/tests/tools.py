# This file is part of the crm_ext module.
"Fixtures shared by the crm_ext tests"
import datetime as dt
from contextlib import contextmanager
from types import SimpleNamespace

from trytond.modules.company.tests import create_company, create_employee
from trytond.pool import Pool
from trytond.transaction import Transaction

# Valid Unified Social Credit Codes (check digit computed by python-stdnum)
USCC_1 = '91110108MA01C0XX1F'


def valid_uscc(prefix17):
    from stdnum.cn import uscc
    return prefix17 + uscc.calc_check_digit(prefix17)


def make_user(login, employee, company, groups):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    group_ids = [ModelData.get_id('oa_workflow', g) for g in groups]
    user, = User.create([{
                'name': login,
                'login': login,
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])] if employee else [],
                'employee': employee.id if employee else None,
                'groups': [('add', group_ids)],
                }])
    return user


def setup_organization(prefix=''):
    """Create a company with this organization:

    Sales (manager dm) > Sales East: supervisor sup, salespeople a and b
    (supervised by sup, who is supervised by dm); Other: salesperson c;
    gm general manager; clerk e is an employee without sales role."""
    pool = Pool()
    Department = pool.get('oa.department')
    Employee = pool.get('company.employee')
    company = create_company(name=prefix + 'Company')
    ns = SimpleNamespace(company=company)
    for name in ['gm', 'dm', 'sup', 'a', 'b', 'c', 'e']:
        setattr(ns, name, create_employee(company, name=prefix + name.upper()))
    sales, other = Department.create([
            {'name': prefix + 'Sales', 'company': company.id,
                'manager': ns.dm.id},
            {'name': prefix + 'Other', 'company': company.id},
            ])
    east, = Department.create([{
                'name': prefix + 'Sales East', 'company': company.id,
                'parent': sales.id}])
    ns.sales, ns.other, ns.east = sales, other, east
    Employee.write([ns.dm], {'department': sales.id})
    Employee.write([ns.sup, ns.a, ns.b], {'department': east.id})
    Employee.write([ns.c], {'department': other.id})
    Employee.write([ns.a, ns.b], {'supervisor': ns.sup.id})
    Employee.write([ns.sup], {'supervisor': ns.dm.id})
    roles = {
        'gm': ['group_general_manager'],
        'dm': ['group_department_manager'],
        'sup': ['group_sales_supervisor'],
        'a': ['group_salesperson'],
        'b': ['group_salesperson'],
        'c': ['group_salesperson'],
        'e': ['group_office_admin'],
        }
    ns.users = {}
    for name, groups in roles.items():
        ns.users[name] = make_user(
            prefix + 'crm_' + name, getattr(ns, name), company, groups)
    return ns


def setup_policy(ns, quota=3, needs_approval=True, creation_mode='open',
        cooldown_days=30, contact_days=30, opportunity_days=None,
        daily_claim_limit=None, name='Policy'):
    pool = Pool()
    Policy = pool.get('crm.ownership.policy')
    CustomerPool = pool.get('crm.customer.pool')
    Configuration = pool.get('crm.configuration')
    policy, = Policy.create([{
                'name': name,
                'creation_mode': creation_mode,
                'default_quota': quota,
                'needs_approval': needs_approval,
                'cooldown_days': cooldown_days,
                'daily_claim_limit': daily_claim_limit,
                'warning_days': 5,
                'exempt_states': ['opportunity'],
                'release_rules': [('create', [{
                                'no_contact_days': contact_days,
                                'no_opportunity_days': opportunity_days,
                                }])],
                }])
    customer_pool, = CustomerPool.create([{
                'name': name + ' Pool', 'policy': policy.id}])
    config = Configuration(1)
    config.default_pool = customer_pool
    config.save()
    ns.policy, ns.pool = policy, customer_pool
    return policy


def create_customers(names, warnings=False, **values):
    Party = Pool().get('party.party')
    with Transaction().set_context(
            crm_customer=True, _skip_warnings=not warnings):
        return Party.create([dict(name=n, **values) for n in names])


@contextmanager
def as_user(ns, name, check_access=True):
    "Run as the user of ns named name, with RPC access checks"
    user = ns.users[name]
    employee = getattr(ns, name)
    transaction = Transaction()
    with transaction.set_user(user.id), transaction.set_context(
            _check_access=check_access, employee=employee.id,
            company=ns.company.id, companies=[ns.company.id]):
        yield


def give(parties, employee, days_ago=0):
    "Lock parties to employee directly (fixture), locked days_ago"
    pool = Pool()
    Party = pool.get('party.party')
    Date = pool.get('ir.date')
    Party._crm_set_owner(parties, employee)
    if days_ago:
        Party.write(parties, {
                'lock_date': Date.today() - dt.timedelta(days=days_ago)})


@contextmanager
def savepoint():
    """Roll back the statements of the block when it raises, as the
    dispatcher rolls back the transaction of a failed call"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    cursor.execute('SAVEPOINT crm_test')
    try:
        yield
    except Exception:
        cursor.execute('ROLLBACK TO SAVEPOINT crm_test')
        # ids may be reused: forget the values read before
        transaction.counter += 1
        transaction.cache.clear()
        raise
    else:
        cursor.execute('RELEASE SAVEPOINT crm_test')


def claim(party):
    "Click Request Lock on party and return the lock request created"
    pool = Pool()
    Party = pool.get('party.party')
    Request = pool.get('crm.lock.request')
    Party.request_lock_customers([Party(party.id)])
    request, = Request.search([('party', '=', party.id)],
        order=[('id', 'DESC')], limit=1)
    return request


def approval_tasks(requests, state='pending'):
    "The approval tasks of the lock requests in state"
    pool = Pool()
    Request = pool.get('crm.lock.request')
    Task = pool.get('oa.approval.task')
    instances = [r.approval_instance.id
        for r in Request.browse([r.id for r in requests])
        if r.approval_instance]
    return Task.search([
            ('instance', 'in', instances),
            ('state', '=', state),
            ], order=[('id', 'ASC')])


def new_sale(ns, party, state='draft', **values):
    """A sale order of the customer (with an address) in state: draft
    (quotation), confirmed or processing (a contract in execution)"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Address = pool.get('party.address')
    address = Address.search([('party', '=', party.id)], limit=1)
    if not address:
        address = Address.create([{'party': party.id}])
    sale, = Sale.create([dict({
                    'party': party.id,
                    'invoice_address': address[0].id,
                    'shipment_address': address[0].id,
                    'company': ns.company.id,
                    'currency': ns.company.currency.id,
                    }, **values)])
    if state != 'draft':
        Sale.write([sale], {'state': state})
    return sale
