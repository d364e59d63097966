# This file is part of the crm_ext module.
import datetime as dt
import threading
import time
import unittest
import uuid

from trytond import backend
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import CompanyTestMixin, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction, TransactionError

from crm_ext.exceptions import (
    DuplicateCustomerError, OwnershipError, QuotaError)
from crm_ext.tools import mask_phone, name_key, pinyin_initials
from oa_workflow.tests.tools import TranslationTestMixin

from .tools import (
    USCC_1, approval_tasks, as_user, claim, create_customers, give, new_sale,
    savepoint, setup_organization, setup_policy)


class CrmExtTestCase(
        TranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test crm_ext module"
    module = 'crm_ext'

    @with_transaction()
    def test_configuration_phone_region(self):
        "The default phone region is CN, normalized and validated"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        config = Configuration(1)
        self.assertEqual(config.phone_region, 'CN')
        config.phone_region = ' hk '
        config.save()
        self.assertEqual(Configuration(1).phone_region, 'HK')
        config = Configuration(1)
        config.phone_region = 'ZZ'
        with self.assertRaises(ValidationError):
            config.save()

    @with_transaction()
    def test_role_hierarchy(self):
        "Management roles inherit the salesperson's accesses"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        ref = lambda name: Group(ModelData.get_id('oa_workflow', name))
        self.assertEqual(
            ref('group_general_manager').parent, ref('group_department_manager'))
        self.assertEqual(
            ref('group_department_manager').parent,
            ref('group_sales_supervisor'))
        self.assertEqual(
            ref('group_sales_supervisor').parent, ref('group_salesperson'))


    # CRM-A2/A3: normalization, duplicates, search
    def test_name_key_and_initials(self):
        "Name variants give one key; pinyin initials"
        self.assertEqual(name_key('北京星联科技有限公司'),
            name_key('北京 星联科技（有限公司）'))
        self.assertEqual(name_key('北京星联科技股份有限公司'),
            name_key('北京星联科技'))
        self.assertEqual(name_key('ＡＢＣ Co., Ltd.'), name_key('abc'))
        self.assertNotEqual(name_key('北京星联科技'), name_key('北京星辰科技'))
        self.assertEqual(pinyin_initials('北京星联科技有限公司'), 'bjxlkjyxgs')
        self.assertEqual(mask_phone('13812345678'), '138****5678')
        self.assertEqual(mask_phone('+86 138 1234 5678'), '+86 138 **** 5678')

    @with_transaction()
    def test_duplicate_customer_refused(self):
        "An exact duplicate (name variant or USCC) is refused naming the owner"
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns)
            customer, = create_customers(['北京星联科技有限公司'],
                crm_uscc=USCC_1)
            give([customer], ns.a)
            count = Party.search_count([])
            with self.assertRaises(DuplicateCustomerError) as cm, \
                    savepoint():
                create_customers(['北京 星联科技（有限公司）'])
            self.assertIn('北京星联科技有限公司', cm.exception.message)
            self.assertIn('A', cm.exception.message)
            with self.assertRaises(DuplicateCustomerError), savepoint():
                create_customers(['完全不同的名字公司'],
                    crm_uscc=' ' + USCC_1.lower())
            self.assertEqual(Party.search_count([]), count)
            # the web client's import (CSV) creates through the same checks
            with Transaction().set_context(crm_customer=True,
                    _skip_warnings=True):
                with self.assertRaises(DuplicateCustomerError) as cm, \
                        savepoint():
                    Party.import_data(['name', 'crm_type'], [
                            ['上海新客户有限公司', 'organization'],
                            ['北京 星联科技(有限公司)', 'organization']])
                self.assertIn('北京星联科技有限公司', cm.exception.message)
            self.assertEqual(Party.search_count([]), count)
            # individuals with the same name are allowed (common names)
            create_customers(['张伟', '张伟'], crm_type='individual')

    @with_transaction()
    def test_likely_duplicate_warning(self):
        "A similar name or same phone is shown before saving"
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns)
            create_customers(['北京星联科技有限公司'], contact_mechanisms=[
                    ('create', [{'type': 'mobile', 'value': '13812345678'}])])
            new = Party(name='北京星联科技发展有限公司', crm_type='organization')
            self.assertEqual(
                [Party(i).name for i in new.on_change_with_crm_duplicates()],
                ['北京星联科技有限公司'])
            with as_user(ns, 'b', check_access=False):
                with self.assertRaises(UserWarning):
                    create_customers(['北京星联科技发展有限公司'], warnings=True)
                with self.assertRaises(UserWarning):
                    create_customers(['上海海纳'], warnings=True,
                        contact_mechanisms=[
                            ('create', [{'type': 'mobile',
                                        'value': '+86 138-1234-5678'}])])

    @with_transaction()
    def test_invalid_uscc_and_phone(self):
        "Invalid USCC and unparsable phone give clear errors"
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns)
            count = Party.search_count([])
            with self.assertRaises(ValidationError) as cm, savepoint():
                create_customers(['甲公司'], crm_uscc='91110108MA01C0XX1A')
            self.assertIn('91110108MA01C0XX1A', cm.exception.message)
            with self.assertRaises(ValidationError) as cm, savepoint():
                create_customers(['乙公司'], contact_mechanisms=[
                        ('create', [{'type': 'phone', 'value': '12345'}])])
            self.assertIn('12345', cm.exception.message)
            self.assertEqual(Party.search_count([]), count)
            # a national number is read with the default region CN
            party, = create_customers(['丙公司'], contact_mechanisms=[
                    ('create', [{'type': 'mobile', 'value': '138 1234 5678'}])])
            self.assertEqual(
                party.contact_mechanisms[0].value_compact, '+8613812345678')

    @with_transaction()
    def test_search_pinyin_phone_code(self):
        "Search by pinyin initials, phone and USCC"
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns)
            party, = create_customers(['北京星联科技有限公司'],
                crm_uscc=USCC_1, contact_mechanisms=[
                    ('create', [{'type': 'mobile', 'value': '13812345678'}])])
            for text in ['bjxl', 'BJXL', '+8613812345678', USCC_1, '星联']:
                self.assertIn(party, Party.search(
                        [('rec_name', 'ilike', '%' + text + '%')]), text)
            self.assertEqual(party.crm_initials, 'bjxlkjyxgs')

    # CRM-B1..B4: the issue scenario
    @with_transaction()
    def test_scenario_quota_approval_release(self):
        "Quota 3 with approval, release clock, cool-down, bulk transfer"
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('crm.lock.request')
        Task = pool.get('oa.approval.task')
        History = pool.get('crm.ownership.history')
        Opportunity = pool.get('sale.opportunity')
        Date = pool.get('ir.date')
        today = Date.today()
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=3, needs_approval=True, contact_days=30)
            c1, c2, c3, c4 = create_customers(['甲一', '甲二', '甲三', '甲四'])
            self.assertEqual({c.ownership_state for c in [c1, c2, c3, c4]},
                {'open'})
            with as_user(ns, 'a'):
                requests = [claim(c)
                    for c in [c1, c2, c3]]
                self.assertEqual({r.state for r in requests}, {'pending'})
                self.assertEqual({r.approval_state for r in requests},
                    {'running'})
                with self.assertRaises(QuotaError) as cm:
                    Party.request_lock_customers([Party(c4.id)])
                self.assertIn('3', cm.exception.message)
                self.assertIn('Release', cm.exception.message)
            # the default flow: one task for the requester's supervisor
            tasks = approval_tasks(requests)
            self.assertEqual({t.user for t in tasks}, {ns.users['sup']})
            self.assertEqual({t.state for t in tasks}, {'pending'})
            # neither the requester nor another salesperson may decide
            for name in ['a', 'c']:
                with as_user(ns, name):
                    with self.assertRaises(AccessError):
                        Task.approve([Task(tasks[0].id)])
            self.assertTrue(any(n.user == ns.users['sup']
                    and '甲一' in n.label
                    for n in Transaction().user_notifications))
            with as_user(ns, 'sup'):
                Task.approve([Task(t.id) for t in tasks])
            self.assertEqual(
                {(r.state, r.approval_state, r.approver)
                    for r in Request.browse(requests)},
                {('approved', 'approved', ns.users['sup'])})
            for c in [c1, c2, c3]:
                c = Party(c.id)
                self.assertEqual((c.ownership_state, c.owner), ('locked', ns.a))
                self.assertEqual(c.owner_department, ns.east)
            # the quota is still full after approval
            with as_user(ns, 'a'):
                with self.assertRaises(QuotaError):
                    Party.request_lock_customers([Party(c4.id)])

            # Release clock: c1 locked 40 days ago, never contacted: due;
            # c2 locked yesterday with an old last contact: not due;
            # c3 locked 40 days ago but contacted 10 days ago: not due
            Party.write([c1, c3], {
                    'lock_date': today - dt.timedelta(days=40)})
            Party.write([c2], {
                    'lock_date': today - dt.timedelta(days=1),
                    'last_contact_date': today - dt.timedelta(days=200)})
            Party.write([c3], {
                    'last_contact_date': today - dt.timedelta(days=10)})
            self.assertIn('unless', Party(c1.id).release_info)
            self.assertEqual(Party(c2.id).release_date,
                today + dt.timedelta(days=30))
            Party.crm_auto_release()
            self.assertEqual(Party(c1.id).ownership_state, 'open')
            self.assertIsNone(Party(c1.id).owner)
            self.assertEqual(Party(c1.id).pool, ns.pool)
            self.assertEqual(Party(c2.id).ownership_state, 'locked')
            self.assertEqual(Party(c3.id).ownership_state, 'locked')
            auto, = History.search([
                    ('party', '=', c1.id), ('action', '=', 'auto_release')])
            self.assertEqual(auto.from_employee, ns.a)
            self.assertEqual(auto.rule.__name__, 'crm.ownership.release.rule')

            # cool-down: A may not claim c1 again, B may
            with as_user(ns, 'a'):
                with self.assertRaises(UserError) as cm:
                    Party.request_lock_customers([Party(c1.id)])
                self.assertIn('30', cm.exception.message)
            with as_user(ns, 'b'):
                request = claim(c1)
                self.assertEqual(request.state, 'pending')

            # bulk transfer of A's customers to B with open opportunities
            opportunity, = Opportunity.create([{
                        'party': c2.id, 'company': ns.company.id,
                        'employee': ns.a.id, 'description': 'Deal'}])
            self.assertEqual(Party(c2.id).last_opportunity_date, today)
            with as_user(ns, 'sup'):
                Party.assign([Party(c2.id), Party(c3.id)], ns.b,
                    reason='A leaves')
            self.assertEqual(Party(c2.id).owner, ns.b)
            self.assertEqual(Party(c3.id).owner, ns.b)
            self.assertEqual(Opportunity(opportunity.id).employee, ns.b)

            actions = [h.action for h in History.search(
                    [('party', '=', c2.id)], order=[('id', 'ASC')])]
            self.assertEqual(actions, ['create', 'request', 'lock', 'transfer'])
            actions = [h.action for h in History.search(
                    [('party', '=', c1.id)], order=[('id', 'ASC')])]
            self.assertEqual(actions,
                ['create', 'request', 'lock', 'auto_release', 'request'])
            transfer, = History.search([
                    ('party', '=', c3.id), ('action', '=', 'transfer')])
            self.assertEqual((transfer.from_employee, transfer.to_employee,
                    transfer.reason, transfer.user),
                (ns.a, ns.b, 'A leaves', ns.users['sup']))

    @with_transaction()
    def test_lock_without_approval_and_reject(self):
        "Without approval a claim locks at once; a rejection frees the quota"
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('crm.lock.request')
        Task = pool.get('oa.approval.task')
        History = pool.get('crm.ownership.history')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=1, needs_approval=False,
                daily_claim_limit=5)
            c1, c2 = create_customers(['乙一', '乙二'])
            with as_user(ns, 'a'):
                request = claim(c1)
                self.assertEqual(request.state, 'approved')
                self.assertEqual(Party(c1.id).owner, ns.a)
                with self.assertRaises(QuotaError):
                    Party.request_lock_customers([Party(c2.id)])
                with self.assertRaises(UserError):
                    Party.request_lock_customers([Party(c1.id)])
            policy.needs_approval = True
            policy.default_quota = 2
            policy.save()
            with as_user(ns, 'a'):
                request = claim(c2)
                self.assertEqual(Party._crm_used_quota(ns.a), 2)
            task, = approval_tasks([request])
            with as_user(ns, 'sup'):
                task = Task(task.id)
                task.comment = '客户已有合作方'
                task.save()
                Task.reject([task])
            request = Request(request.id)
            self.assertEqual((request.state, request.approval_state),
                ('rejected', 'rejected'))
            self.assertEqual(request.comment, '客户已有合作方')
            self.assertEqual(Party(c2.id).ownership_state, 'open')
            self.assertEqual(Party._crm_used_quota(ns.a), 1)
            reject, = History.search([
                    ('party', '=', c2.id), ('action', '=', 'reject')])
            self.assertEqual(reject.reason, '客户已有合作方')

    @with_transaction()
    def test_lock_approval_decision_time(self):
        "The approver's decision checks state and quota again; withdrawal"
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('crm.lock.request')
        Task = pool.get('oa.approval.task')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=3, needs_approval=True)
            c1, c2, c3 = create_customers(['癸一', '癸二', '癸三'])
            with as_user(ns, 'a'):
                r1, r2, r3 = [claim(c) for c in [c1, c2, c3]]
            # c2 is assigned to B meanwhile: approving A's request fails
            with as_user(ns, 'sup'):
                Party.assign([Party(c2.id)], ns.b, reason='B knows them')
            task2, = approval_tasks([r2])
            with as_user(ns, 'sup'):
                with self.assertRaises(UserError) as cm, savepoint():
                    Task.approve([Task(task2.id)])
                self.assertIn('癸二', cm.exception.message)
            self.assertEqual(Request(r2.id).state, 'pending')
            self.assertEqual(Party(c2.id).owner, ns.b)
            # the consultant lowers the quota to 1: the second approval of
            # A's requests is refused with the quota message
            policy.default_quota = 1
            policy.save()
            task1, = approval_tasks([r1])
            task3, = approval_tasks([r3])
            with as_user(ns, 'sup'):
                Task.reject([Task(task2.id)])
                with self.assertRaises(QuotaError), savepoint():
                    Task.approve([Task(task1.id)])
            # A withdraws the third request: the first one fits now
            with as_user(ns, 'a'):
                Request.cancel([Request(r3.id)])
            self.assertEqual(
                (Request(r3.id).state, Request(r3.id).approval_state),
                ('cancelled', 'withdrawn'))
            self.assertEqual(Task(task3.id).state, 'cancelled')
            with as_user(ns, 'sup'):
                Task.approve([Task(task1.id)])
            self.assertEqual(Party(c1.id).owner, ns.a)
            self.assertEqual(Party(c3.id).ownership_state, 'open')
            # a finished request is not submitted again
            with as_user(ns, 'a'):
                with self.assertRaises(UserError):
                    Request.submit_approval([Request(r3.id)])

    @with_transaction()
    def test_lock_approval_flow_configured(self):
        "Consultants change the lock flow: department manager, no flow"
        pool = Pool()
        Party = pool.get('party.party')
        Flow = pool.get('oa.approval.flow')
        Task = pool.get('oa.approval.task')
        ModelData = pool.get('ir.model.data')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=5, needs_approval=True)
            c1, c2, c3 = create_customers(['子一', '子二', '子三'])
            default = Flow(ModelData.get_id(
                    'crm_ext', 'approval_flow_lock_request'))
            self.assertEqual(default.model, 'crm.lock.request')
            self.assertEqual(
                [s.approver_type for s in default.steps], ['supervisor'])
            # B has no supervisor: the default flow sends it to admin
            Employee = pool.get('company.employee')
            Employee.write([ns.b], {'supervisor': None})
            with as_user(ns, 'b'):
                request = claim(c3)
            task, = approval_tasks([request])
            self.assertEqual(task.user.login, 'admin')
            # the task names the request: customer - requester
            self.assertEqual(request.rec_name,
                '%s - %s' % (c3.name, ns.b.party.name))
            self.assertTrue(task.name.startswith(request.rec_name + ' - '))
            # the approver reads the request from the To Do (record rule)
            Request = pool.get('crm.lock.request')
            transaction = Transaction()
            with transaction.set_user(task.user.id), \
                    transaction.set_context(_check_access=True):
                self.assertEqual(Request.search([]), [request])
            with transaction.set_user(task.user.id):
                Task.approve([Task(task.id)])
            self.assertEqual(Party(c3.id).owner, ns.b)
            # a flow for big customers of another region, before the default
            flow, = Flow.create([{
                        'name': 'Lock by department manager',
                        'model': 'crm.lock.request',
                        'sequence': 1,
                        'condition': "[('party.name', 'like', '子一')]",
                        'steps': [('create', [{
                                        'name': 'Manager',
                                        'approver_type':
                                        'department_manager',
                                        'levels': 2}])],
                        }])
            with as_user(ns, 'a'):
                request = claim(c1)
            task, = approval_tasks([request])
            self.assertEqual(task.user, ns.users['dm'])
            with as_user(ns, 'dm'):
                Task.approve([Task(task.id)])
            self.assertEqual(Party(c1.id).owner, ns.a)
            # without any active flow a request needing approval is
            # approved by the engine at once
            Flow.write([flow, default], {'active': False})
            with as_user(ns, 'a'):
                request = claim(c2)
            self.assertEqual(
                (request.state, request.approval_state),
                ('approved', 'approved'))
            self.assertEqual(Party(c2.id).owner, ns.a)

    @with_transaction()
    def test_daily_claim_limit_and_levels(self):
        "The daily claim limit and quotas by sales level"
        pool = Pool()
        Party = pool.get('party.party')
        Level = pool.get('crm.sales.level')
        Employee = pool.get('company.employee')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=1, needs_approval=False,
                daily_claim_limit=2)
            senior, = Level.create([{'name': 'Senior', 'code': 'S'}])
            policy.quotas = [{'level': senior.id, 'quota': 10}]
            policy.save()
            Employee.write([ns.a], {'crm_sales_level': senior.id})
            c1, c2, c3 = create_customers(['壬一', '壬二', '壬三'])
            with as_user(ns, 'a'):
                claim(c1)
                claim(c2)
                with self.assertRaises(UserError) as cm:
                    claim(c3)
                self.assertIn('2', cm.exception.message)
                self.assertNotIsInstance(cm.exception, QuotaError)
            self.assertEqual(Party(c3.id).ownership_state, 'open')
            self.assertEqual(policy.get_quota(ns.a), 10)
            self.assertEqual(policy.get_quota(ns.b), 1)

    @with_transaction()
    def test_release_and_assign_errors(self):
        "Releasing someone else's customer and giving to a non-salesperson"
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            c1, c2 = create_customers(['丙一', '丙二'])
            give([c1], ns.a)
            count = History.search_count([])
            with as_user(ns, 'c'):
                with self.assertRaises(UserError) as cm:
                    Party.release_customers([Party(c1.id)], reason='x')
                self.assertIn('丙一', cm.exception.message)
            with as_user(ns, 'sup'):
                with self.assertRaises(UserError) as cm:
                    Party.assign([Party(c2.id)], ns.e, reason='x')
                self.assertIn('E', cm.exception.message)
                with self.assertRaises(UserError):
                    # C is not in the supervisor's team
                    Party.assign([Party(c2.id)], ns.c, reason='x')
            self.assertEqual(Party(c1.id).owner, ns.a)
            self.assertEqual(Party(c2.id).ownership_state, 'open')
            self.assertEqual(History.search_count([]), count)
            with as_user(ns, 'a'):
                # owner fields of an own customer are not writable directly
                with self.assertRaises(OwnershipError):
                    Party.write([Party(c1.id)], {'ownership_state': 'open'})
                Party.write([Party(c1.id)], {'city': '北京'})
                Party.release_customers([Party(c1.id)], reason='no need')
            self.assertEqual(Party(c1.id).ownership_state, 'open')
            with as_user(ns, 'a'):
                # owner fields are not writable directly
                with self.assertRaises(UserError):
                    Party.write([Party(c2.id)], {'ownership_state': 'locked'})

    @with_transaction()
    def test_policy_bad_input(self):
        "Negative days and quotas are refused"
        pool = Pool()
        Policy = pool.get('crm.ownership.policy')
        ns = setup_organization()
        with set_company(ns.company):
            for values in [{'cooldown_days': -1}, {'default_quota': -2},
                    {'release_rules': [('create', [
                                    {'no_contact_days': -5}])]}]:
                with self.assertRaises(ValidationError), savepoint():
                    Policy.create([dict(name='Bad', **values)])
            self.assertEqual(Policy.search([('name', '=', 'Bad')]), [])

    @with_transaction()
    def test_creation_modes_and_pools(self):
        "Creator owns, territory assignment, pool by region"
        pool = Pool()
        Party = pool.get('party.party')
        Policy = pool.get('crm.ownership.policy')
        CustomerPool = pool.get('crm.customer.pool')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        Industry = pool.get('crm.industry')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, creation_mode='creator', quota=5)
            country, = Country.create([{'name': 'China', 'code': 'CN'}])
            beijing, shanghai = Subdivision.create([
                    {'name': '北京', 'code': 'CN-BJ', 'type': 'municipality',
                        'country': country.id},
                    {'name': '上海', 'code': 'CN-SH', 'type': 'municipality',
                        'country': country.id}])
            it, = Industry.create([{'name': 'IT', 'code': 'it'}])
            territory_policy, = Policy.create([{
                        'name': 'Territory', 'creation_mode': 'territory',
                        'territories': [('create', [{
                                        'subdivision': beijing.id,
                                        'industry': it.id,
                                        'employee': ns.b.id}])]}])
            bj_pool, = CustomerPool.create([{
                        'name': 'Beijing', 'policy': territory_policy.id,
                        'subdivision': beijing.id}])
            with as_user(ns, 'a', check_access=False):
                mine, = create_customers(['丁一'])
                bj_it, bj_other = create_customers(['丁二', '丁三'],
                    subdivision=beijing.id)
                Party.write([bj_it], {})
            self.assertEqual((mine.owner, mine.pool), (ns.a, ns.pool))
            self.assertEqual(bj_it.pool, bj_pool)
            self.assertEqual(bj_it.ownership_state, 'open')
            with as_user(ns, 'a', check_access=False):
                bj_it2, = create_customers(['丁四'],
                    subdivision=beijing.id, industry=it.id)
            self.assertEqual((bj_it2.owner, bj_it2.pool), (ns.b, bj_pool))

    @with_transaction()
    def test_preview_and_warning(self):
        "The preview lists the customers a rule change would release"
        pool = Pool()
        Party = pool.get('party.party')
        Policy = pool.get('crm.ownership.policy')
        Notification = pool.get('res.notification')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=None, contact_days=100)
            c1, c2 = create_customers(['戊一', '戊二'])
            give([c1], ns.a, days_ago=50)
            give([c2], ns.a, days_ago=97)
            policy = Policy(policy.id)
            self.assertEqual(policy.preview_count, 0)
            policy.release_rules[0].no_contact_days = 40
            policy.release_rules = list(policy.release_rules)
            self.assertEqual(policy.on_change_with_preview_customers(),
                [c1.id, c2.id])
            self.assertEqual(policy.on_change_with_preview_count(), 2)
            # nothing saved
            self.assertEqual(Policy(policy.id).release_rules[0].no_contact_days,
                100)
            # a bulk-imported customer without pool follows the default pool
            c3, = create_customers(['戊三'])
            give([c3], ns.b, days_ago=150)
            Party.write([c3], {'pool': None})
            Party.crm_auto_release()
            self.assertEqual(Party(c2.id).ownership_state, 'locked')
            self.assertEqual(Party(c3.id).ownership_state, 'open')
            notifications = Transaction().user_notifications
            self.assertTrue(any('1' in n.label for n in notifications
                    if n.user == ns.users['a']), notifications)
            del Notification

    @with_transaction()
    def test_contract_anniversary_reminder(self):
        "Owners are reminded of the anniversaries of earlier sale orders"
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            c1, c2, c3 = create_customers(['辛一', '辛二', '辛三'])
            give([c1, c2, c3], ns.a)
            today = Date.today()
            soon = today + dt.timedelta(days=2)
            if (soon.month, soon.day) == (2, 29):
                soon = today + dt.timedelta(days=1)
            new_sale(ns, c1, 'processing',
                sale_date=soon.replace(year=soon.year - 2))
            # a quotation and an order of this year are not reminded
            new_sale(ns, c2, sale_date=soon.replace(year=soon.year - 1))
            new_sale(ns, c3, 'processing', sale_date=today)
            by_owner = Party.crm_contract_anniversary_reminder(days=3)
            self.assertEqual(by_owner, {ns.a.id: [c1]})
            notifications = [n for n in Transaction().user_notifications
                if n.user == ns.users['a']]
            self.assertTrue(any('1' in n.label for n in notifications),
                notifications)
            self.assertEqual(
                Party.crm_contract_anniversary_reminder(days=0, date=today
                    + dt.timedelta(days=10)), {})

    @with_transaction()
    def test_order_in_execution_protects(self):
        "A customer with a sale order in execution is never released"
        pool = Pool()
        Party = pool.get('party.party')
        Policy = pool.get('crm.ownership.policy')
        Sale = pool.get('sale.sale')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=None, contact_days=30)
            self.assertTrue(policy.exempt_orders)
            c1, c2 = create_customers(['庚一', '庚二'])
            give([c1, c2], ns.a, days_ago=60)
            sale = new_sale(ns, c1, sale_date=dt.date.today())
            # a draft quotation does not protect
            self.assertIsNotNone(Party(c1.id).release_date)
            Sale.write([sale], {'state': 'processing'})
            c1 = Party(c1.id)
            self.assertIsNone(c1.release_date)
            self.assertIn('sale order', c1.release_info)
            policy = Policy(policy.id)
            self.assertEqual(policy.on_change_with_preview_customers(),
                [c2.id])
            Party.crm_auto_release()
            self.assertEqual(Party(c1.id).ownership_state, 'locked')
            self.assertEqual(Party(c2.id).ownership_state, 'open')
            # the consultant may switch the protection off
            policy.exempt_orders = False
            policy.save()
            Party.crm_auto_release()
            self.assertEqual(Party(c1.id).ownership_state, 'open')

    # CRM-B6: permission matrix
    @with_transaction()
    def test_permission_matrix(self):
        "Who reads, writes and exports which customer; masking"
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            own, sub, other, open_ = create_customers(
                ['己自己', '己下属', '己他部门', '己开放'],
                contact_mechanisms=[('create', [
                            {'type': 'mobile', 'value': '13812345678'},
                            {'type': 'email', 'value': 'boss@example.com'},
                            ])])
            # "own" is the salesperson's (a), "sub" is b's (a subordinate of
            # sup), "other" is c's (other department)
            give([own], ns.a)
            give([sub], ns.b)
            give([other], ns.c)
            cases = {
                # user: (readable, writable)
                'a': ({own, open_}, {own}),
                'b': ({sub, open_}, {sub}),
                'sup': ({own, sub, open_}, {own, sub}),
                'dm': ({own, sub, open_}, {own, sub}),
                'gm': ({own, sub, other, open_}, {own, sub, other, open_}),
                'c': ({other, open_}, {other}),
                }
            allc = [own, sub, other, open_]
            for user, (readable, writable) in cases.items():
                with as_user(ns, user):
                    found = set(Party.search([('id', 'in', [c.id for c in allc])]))
                    self.assertEqual(found, readable, user)
                    for customer in allc:
                        if customer in readable:
                            Party.read([customer.id], ['name', 'phone'])
                            Party.export_data([Party(customer.id)], ['name'])
                        else:
                            with self.assertRaises(AccessError, msg=user):
                                Party.read([customer.id], ['name'])
                            with self.assertRaises(AccessError, msg=user):
                                Party.export_data(
                                    [Party(customer.id)], ['name'])
                        if customer in writable:
                            Party.write([Party(customer.id)],
                                {'city': user})
                        else:
                            with self.assertRaises(AccessError, msg=user):
                                Party.write([Party(customer.id)],
                                    {'city': user})
            # masking: open-pool customers for salespeople
            with as_user(ns, 'a'):
                row, = Party.read([open_.id], ['mobile', 'email', 'phone'])
                self.assertEqual(row['mobile'], '+86 138 **** 5678')
                self.assertEqual(row['email'], 'b***@example.com')
                values = Mechanism.read(
                    [m.id for m in open_.contact_mechanisms],
                    ['value', 'value_compact'])
                self.assertNotIn('13812345678',
                    ''.join(v['value_compact'] for v in values))
                rows = Party.export_data([Party(open_.id)],
                    ['name', 'mobile', 'contact_mechanisms/value'])
                text = repr(rows)
                self.assertNotIn('5678', text.replace('**** 5678', '')
                    .replace('****5678', ''))
                self.assertNotIn('1234', text)
                self.assertNotIn('boss@', text)
                row, = Party.read([own.id], ['mobile'])
                self.assertEqual(row['mobile'], '+86 138 1234 5678')
            with as_user(ns, 'gm'):
                row, = Party.read([open_.id], ['mobile'])
                self.assertEqual(row['mobile'], '+86 138 1234 5678')
            # sharing opens read (and unmasks) or edit
            Share = pool.get('crm.customer.share')
            with as_user(ns, 'c', check_access=False):
                Share.create([{'party': other.id, 'employee': ns.a.id,
                            'mode': 'read'}])
            with as_user(ns, 'a'):
                self.assertEqual(Party.read([other.id], ['mobile'])[0]
                    ['mobile'], '+86 138 1234 5678')
                with self.assertRaises(AccessError):
                    Party.write([Party(other.id)], {'city': 'x'})
            Share.write(Share.search([('party', '=', other.id)]),
                {'mode': 'edit'})
            with as_user(ns, 'a'):
                Party.write([Party(other.id)], {'city': 'x'})

    @with_transaction()
    def test_preview_blocked_salespeople(self):
        "The policy form previews who a quota change would block (CRM-B5)"
        pool = Pool()
        Policy = pool.get('crm.ownership.policy')
        Level = pool.get('crm.sales.level')
        Employee = pool.get('company.employee')
        ns = setup_organization()
        with set_company(ns.company):
            policy = setup_policy(ns, quota=10, needs_approval=True)
            c1, c2, c3, c4 = create_customers(['丑一', '丑二', '丑三', '丑四'])
            give([c1, c2], ns.a)
            give([c3], ns.b)
            with as_user(ns, 'b'):
                claim(c4)  # pending: counts in B's quota
            policy = Policy(policy.id)
            self.assertEqual(policy.preview_blocked, ())
            # edited, not saved: quota 2 blocks A (2 locked) and B (1 + 1)
            policy.default_quota = 2
            self.assertEqual(
                set(policy.on_change_with_preview_blocked()),
                {ns.a.id, ns.b.id})
            self.assertEqual(policy.on_change_with_preview_blocked_count(), 2)
            # a senior level with quota 5 frees A
            senior, = Level.create([{'name': 'Senior', 'code': 'S'}])
            Employee.write([ns.a], {'crm_sales_level': senior.id})
            policy.quotas = [{'level': senior.id, 'quota': 5}]
            self.assertEqual(policy.on_change_with_preview_blocked(), [ns.b.id])
            self.assertEqual(Policy(policy.id).default_quota, 10)

    @with_transaction()
    def test_masking_in_reports(self):
        "A report reading the records directly shows masked values"
        pool = Pool()
        Label = pool.get('party.label', type='report')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            own, open_ = create_customers(['庚自己', '庚开放'],
                contact_mechanisms=[('create', [
                            {'type': 'mobile', 'value': '13812345678'},
                            {'type': 'email', 'value': 'boss@example.com'},
                            ])])
            give([own], ns.a)
            for user, party, shown in [
                    ('a', open_, False), ('a', own, True),
                    ('gm', open_, True)]:
                with as_user(ns, user):
                    # the records a report template reads (Report.execute
                    # runs under access checks, its records read their
                    # fields without them)
                    record, = Label._get_records(
                        [party.id], 'party.party', {})
                    content = '|'.join([record.name, record.mobile,
                            record.email] + [m.value
                            for m in record.contact_mechanisms])
                    self.assertIn(party.name, content)
                    self.assertEqual('13812345678' in content.replace(
                            ' ', ''), shown, (user, content))
                    self.assertEqual('boss@' in content, shown,
                        (user, content))

    # CRM-B7
    @with_transaction()
    def test_focus_lists(self):
        "Key customers are own ones; open customers followed by many"
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            own, open_, sub = create_customers(['庚一', '庚二', '庚三'])
            give([own], ns.a)
            give([sub], ns.b)
            with as_user(ns, 'a'):
                Party.mark_key([Party(own.id)])
                with self.assertRaises(UserError):
                    Party.mark_key([Party(open_.id)])
                Party.follow([Party(open_.id)])
                self.assertEqual(Party.search([('crm_is_key', '=', True)]),
                    [own])
                self.assertEqual(
                    Party.search([('crm_is_followed', '=', True)]), [open_])
            with as_user(ns, 'b'):
                Party.follow([Party(open_.id)])
                self.assertEqual(
                    Party.search([('crm_is_followed', '=', True)]), [open_])
            with as_user(ns, 'sup'):
                Party.follow([Party(sub.id)])
                self.assertTrue(Party(sub.id).crm_is_followed)
            with as_user(ns, 'c', check_access=False):
                with self.assertRaises(UserError):
                    Party.follow([Party(sub.id)])

    # CRM-A4/A5/A6
    @with_transaction()
    def test_relations_birthday_value(self):
        "Contact conversions, employer reuse, birthdays, value classes"
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        ValueClass = pool.get('crm.value.class')
        ValueRule = pool.get('crm.value.rule')
        ValueHistory = pool.get('crm.value.history')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            org, = create_customers(['北京星联科技有限公司'])
            give([org], ns.a)
            person, = create_customers(['李雷'], crm_type='individual',
                birthday=Date.today().replace(year=1990)
                if not (Date.today().month == 2 and Date.today().day == 29)
                else dt.date(1990, 3, 1))
            employer = Party.get_or_create_employer('北京 星联科技（有限公司）')
            self.assertEqual(employer, org)
            count = Party.search_count([])
            Party.write([person], {'crm_employer': org.id})
            Party.convert_to_contact([person])
            self.assertEqual(person.crm_type, 'contact')
            self.assertEqual(list(org.crm_contacts), [person])
            Party.convert_to_individual([person])
            self.assertEqual(person.crm_type, 'individual')
            self.assertEqual(Party.search_count([]), count)
            by_owner = Party.crm_birthday_reminder(days=3)
            self.assertEqual(by_owner[ns.a.id], [person])
            a_class, c_class = ValueClass.create([
                    {'name': 'A', 'code': 'A'}, {'name': 'C', 'code': 'C'}])
            ValueRule.create([
                    {'value_class': a_class.id, 'min_revenue': 1000,
                        'sequence': 1},
                    {'value_class': c_class.id, 'sequence': 2}])
            ValueRule.compute_all([org])
            self.assertEqual(Party(org.id).value_class, c_class)
            history, = ValueHistory.search([('party', '=', org.id)])
            self.assertEqual((history.old_class, history.new_class),
                (None, c_class))
            ValueRule.compute_all([org])
            self.assertEqual(
                ValueHistory.search_count([('party', '=', org.id)]), 1)
            Distribution = pool.get('crm.value.distribution')
            line, = Distribution.search([('value_class', '=', c_class.id)])
            self.assertEqual((line.customers, line.locked), (1, 1))

    @with_transaction()
    def test_wizards(self):
        "Assign/transfer, release and create-employer wizards"
        pool = Pool()
        Party = pool.get('party.party')
        Assign = pool.get('crm.customer.assign', type='wizard')
        Release = pool.get('crm.customer.release', type='wizard')
        CreateEmployer = pool.get('crm.party.create_employer', type='wizard')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            c1, c2, person = create_customers(['辛一', '辛二', '王五'])
            give([c2], ns.a)
            with as_user(ns, 'sup'):
                session_id, _, _ = Assign.create()
                with Transaction().set_context(active_model='party.party',
                        active_ids=[c1.id, c2.id], active_id=c1.id):
                    Assign.execute(session_id, {'start': {
                                'employee': ns.b.id, 'reason': 'team',
                                'customer_count': 2}}, 'assign')
                Assign.delete(session_id)
            self.assertEqual([Party(c1.id).owner, Party(c2.id).owner],
                [ns.b, ns.b])
            self.assertEqual(
                [h.action for h in Party(c1.id).ownership_history][:1],
                ['assign'])
            self.assertEqual(
                [h.action for h in Party(c2.id).ownership_history][:1],
                ['transfer'])
            with as_user(ns, 'b'):
                session_id, _, _ = Release.create()
                with Transaction().set_context(active_model='party.party',
                        active_ids=[c1.id], active_id=c1.id):
                    Release.execute(session_id, {'start': {
                                'reason': 'not interested'}}, 'release')
                Release.delete(session_id)
            self.assertEqual(Party(c1.id).ownership_state, 'open')
            Party.write([person], {'crm_type': 'individual'})
            session_id, _, _ = CreateEmployer.create()
            with Transaction().set_context(active_model='party.party',
                    active_ids=[person.id], active_id=person.id):
                CreateEmployer.execute(session_id, {'start': {
                            'name': '辛一有限公司'}}, 'create_')
            CreateEmployer.delete(session_id)
            person = Party(person.id)
            self.assertEqual((person.crm_type, person.crm_employer),
                ('contact', c1))


def _run_in_thread(user_id, func, results, index, context):
    "Run func in its own transaction, retrying like the dispatcher"
    extras = {}
    for attempt in range(200):
        try:
            with Transaction().start(DB_NAME, user_id, context=context,
                    **extras) as transaction:
                try:
                    results[index] = func()
                    transaction.commit()
                    return
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
                    continue
        except backend.DatabaseOperationalError:
            time.sleep(0.01 * (attempt % 10 + 1))
            continue
        except UserError as e:
            results[index] = e
            return
    results[index] = RuntimeError('too many retries')


class CrmExtConcurrencyTestCase(unittest.TestCase):
    "Concurrent lock requests on PostgreSQL"

    @classmethod
    def setUpClass(cls):
        if backend.name != 'postgresql':
            # parallel transactions on one database need PostgreSQL; do not
            # even build a database here (an in-memory SQLite one is shared)
            raise unittest.SkipTest(
                "needs parallel connections to one database: PostgreSQL only")
        activate_module('crm_ext')

    def _setup(self, prefix, quota):
        def setup():
            ns = setup_organization(prefix)
            with Transaction().set_context(company=ns.company.id):
                setup_policy(ns, quota=quota, needs_approval=False,
                    name=prefix + 'Policy')
                customers = create_customers(
                    [prefix + '客户%s' % i for i in range(20)])
            return {
                'customers': [c.id for c in customers],
                'a': ns.a.id, 'user_a': ns.users['a'].id,
                'b': ns.b.id, 'user_b': ns.users['b'].id,
                'company': ns.company.id,
                }
        results = [None]
        _run_in_thread(0, setup, results, 0, {})
        self.assertIsInstance(results[0], dict, results)
        return results[0]

    def _request(self, customer_id, employee_id, company_id):
        def func():
            Party = Pool().get('party.party')
            Party.request_lock_customers([Party(customer_id)])
            return 'ok'
        return func

    def _threads(self, jobs):
        results = [None] * len(jobs)
        threads = [threading.Thread(target=_run_in_thread,
                args=(user, func, results, i, context))
            for i, (user, func, context) in enumerate(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def test_concurrent_lock_requests(self):
        "20 claims of one customer: one owner; 10 claims at quota-1: one"
        if backend.name != 'postgresql':
            self.skipTest("needs parallel connections to one database: "
                "PostgreSQL only")
        # committed data stays in the database: unique names per run
        ids = self._setup('并发%s' % uuid.uuid4().hex[:6], quota=3)
        target = ids['customers'][0]
        jobs = []
        for i in range(20):
            user, employee = (('user_a', 'a') if i % 2 else ('user_b', 'b'))
            context = {'company': ids['company'], 'employee': ids[employee]}
            jobs.append((ids[user], self._request(
                        target, ids[employee], ids['company']), context))
        results = self._threads(jobs)
        self.assertEqual(results.count('ok'), 1, results)
        self.assertTrue(all(isinstance(r, UserError)
                for r in results if r != 'ok'), results)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Party = pool.get('party.party')
            History = pool.get('crm.ownership.history')
            party = Party(target)
            self.assertEqual(party.ownership_state, 'locked')
            self.assertEqual(History.search_count([
                        ('party', '=', target), ('action', '=', 'lock')]), 1)
            owner = party.owner.id
        # owner is at 1 of 3: lock one more so that it is at quota - 1
        user = ids['user_a'] if owner == ids['a'] else ids['user_b']
        context = {'company': ids['company'], 'employee': owner}
        results = self._threads([(user, self._request(
                        ids['customers'][1], owner, ids['company']),
                    context)])
        self.assertEqual(results, ['ok'])
        jobs = [(user, self._request(c, owner, ids['company']), context)
            for c in ids['customers'][2:12]]
        results = self._threads(jobs)
        self.assertEqual(results.count('ok'), 1, results)
        self.assertTrue(all(isinstance(r, QuotaError)
                for r in results if r != 'ok'), results)
        with Transaction().start(DB_NAME, 0):
            Party = Pool().get('party.party')
            self.assertEqual(Party.search_count([
                        ('owner', '=', owner),
                        ('ownership_state', '=', 'locked')]), 3)

del ModuleTestCase
