# This file is part of the oa_workflow module.
import datetime as dt
import threading
import time
from decimal import Decimal

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, RequiredValidationError, SQLConstraintError, ValidationError)
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, with_transaction)
from trytond.transaction import Transaction, TransactionError

from .tools import (
    TranslationTestMixin, deliver_mail, parse_mail, smtp_server)


class OaWorkflowTestCase(
        TranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test the organization part of oa_workflow"
    module = 'oa_workflow'

    @property
    def _skip_company_rule(self):
        # a flow without company applies to every company
        return super()._skip_company_rule | {('oa.approval.flow', 'company')}

    def _organization(self):
        """Company with a small tree:

        总部 (manager: 王总)
          ├─ 销售部 (manager: 李经理)
          │    └─ 销售一组 (manager: 张主管)
          └─ 行政部 (no manager)
        Supervisor chain: 小刘 → 张主管 → 李经理 → 王总"""
        pool = Pool()
        Department = pool.get('oa.department')
        company = create_company()
        with set_company(company):
            boss = create_employee(company, "王总")
            manager = create_employee(company, "李经理")
            lead = create_employee(company, "张主管")
            rep = create_employee(company, "小刘")
            clerk = create_employee(company, "小陈")
            rep.supervisor = lead
            lead.supervisor = manager
            manager.supervisor = boss
            for employee in (rep, lead, manager):
                employee.save()
            hq, = Department.create([{
                        'name': "总部", 'code': 'HQ', 'manager': boss.id,
                        'children': [('create', [{
                                        'name': "销售部", 'code': 'SALES',
                                        'manager': manager.id,
                                        'children': [('create', [{
                                                        'name': "销售一组",
                                                        'code': 'S1',
                                                        'manager': lead.id,
                                                        }])],
                                        }, {
                                        'name': "行政部", 'code': 'ADM',
                                        }])],
                        }])
            sales, = Department.search([('code', '=', 'SALES')])
            team, = Department.search([('code', '=', 'S1')])
            admin, = Department.search([('code', '=', 'ADM')])
            rep.department = team
            lead.department = team
            manager.department = sales
            boss.department = hq
            clerk.department = admin
            for employee in (rep, lead, manager, boss, clerk):
                employee.save()
        return company, locals()

    @with_transaction()
    def test_department_tree(self):
        "Departments form a tree with full path names and member counts"
        pool = Pool()
        Department = pool.get('oa.department')
        company, org = self._organization()
        with set_company(company):
            team = org['team']
            self.assertEqual(team.rec_name, "总部 / 销售部 / 销售一组")
            self.assertEqual(team.member_count, 2)
            self.assertEqual(org['admin'].member_count, 1)
            self.assertEqual(
                sorted(d.code for d in Department.browse(
                        Department.descendants([org['sales']]))),
                ['S1', 'SALES'])
            self.assertEqual(
                [d.code for d in Department.ancestors(team)],
                ['S1', 'SALES', 'HQ'])
            found = Department.search([('rec_name', 'ilike', 'sales')])
            self.assertEqual([d.code for d in found], ['SALES'])

    @with_transaction()
    def test_department_code_unique(self):
        "Two departments of one company cannot share a code"
        pool = Pool()
        Department = pool.get('oa.department')
        company, org = self._organization()
        with set_company(company):
            with self.assertRaises(SQLConstraintError):
                Department.create([{'name': "另一个", 'code': 'HQ'}])

    @with_transaction()
    def test_department_recursion(self):
        "A department cannot be its own ancestor"
        company, org = self._organization()
        with set_company(company):
            hq = org['hq']
            hq.parent = org['team']
            with self.assertRaises(ValidationError):
                hq.save()

    @with_transaction()
    def test_department_name_required(self):
        "A department needs a name"
        pool = Pool()
        Department = pool.get('oa.department')
        company = create_company()
        with set_company(company):
            with self.assertRaises(RequiredValidationError):
                Department.create([{'code': 'X'}])

    @with_transaction()
    def test_subordinates_all_levels(self):
        "Subordinates are found at every level of the supervisor chain"
        pool = Pool()
        Employee = pool.get('company.employee')
        company, org = self._organization()
        with set_company(company):
            names = sorted(e.party.name for e in org['boss'].subordinates_all())
            self.assertEqual(names, sorted(["李经理", "张主管", "小刘"]))
            self.assertEqual(org['rep'].subordinates_all(), [])
            self.assertEqual(
                set(Employee.subordinate_ids([org['lead'].id])),
                {org['lead'].id, org['rep'].id})

    @with_transaction()
    def test_manager_levels_up(self):
        "The supervisor N levels up is found and stops at the top"
        company, org = self._organization()
        with set_company(company):
            rep = org['rep']
            self.assertEqual(rep.manager_up(1), org['lead'])
            self.assertEqual(rep.manager_up(2), org['manager'])
            self.assertEqual(rep.manager_up(3), org['boss'])
            self.assertIsNone(rep.manager_up(4))

    @with_transaction()
    def test_department_tree_of_employee(self):
        "An employee's department tree and its managers, nearest first"
        company, org = self._organization()
        with set_company(company):
            self.assertEqual(
                sorted(d.code for d in org['manager'].department_tree()),
                ['S1', 'SALES'])
            self.assertEqual(org['clerk'].department_tree(), [org['admin']])
            self.assertEqual(
                [e.party.name for e in org['rep'].department_managers()],
                ["张主管", "李经理", "王总"])
            self.assertEqual(
                [e.party.name for e in org['clerk'].department_managers()],
                ["王总"])

    @with_transaction()
    def test_manager_same_company(self):
        "A department manager must belong to the department's company"
        company, org = self._organization()
        other = create_company("Other Co")
        with set_company(other):
            stranger = create_employee(other, "外人")
        with set_company(company):
            team = org['team']
            team.manager = stranger
            with self.assertRaises(ValidationError):
                team.save()

    # Approval engine (OA-A) and custom forms (OA-B)
    def _approval(self, condition="[('data.amount', '>=', 5000)]", **flow):
        """The business trip set-up of the scenario:

        小刘 (rep) → supervisor 张主管 (lead); 王总 (boss) and 赵总 in the
        general manager group. Flow: step 1 supervisor, step 2 any general
        manager, condition amount >= 5000."""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Flow = pool.get('oa.approval.flow')
        FormType = pool.get('oa.form.type')
        Sequence = pool.get('ir.sequence')
        company, org = self._organization()
        gm_group = ModelData.get_id('oa_workflow', 'group_general_manager')
        users = {}
        with set_company(company):
            for key, login in [
                    ('rep', 'xiaoliu'), ('lead', 'zhang'), ('manager', 'li'),
                    ('boss', 'wang'), ('clerk', 'xiaochen')]:
                employee = org[key]
                users[key] = User(
                    login=login, name=employee.party.name,
                    companies=[company], company=company,
                    employees=[employee], employee=employee)
            users['gm2'] = User(
                login='zhao', name="赵总", companies=[company],
                company=company)
            User.save(list(users.values()))
            User.write([users['boss'], users['gm2']], {
                    'groups': [('add', [gm_group])]})
            sequence = Sequence(
                name="出差单号", prefix='CC-', padding=4,
                sequence_type=ModelData.get_id(
                    'oa_workflow', 'sequence_type_approval'))
            sequence.save()
            values = {
                'name': "出差审批", 'model': 'oa.form',
                'condition': condition,
                'number_sequence': sequence.id,
                'steps': [('create', [{
                                'sequence': 10, 'name': "主管审批",
                                'approver_type': 'supervisor', 'levels': 1,
                                }, {
                                'sequence': 20, 'name': "总经理审批",
                                'approver_type': 'group',
                                'group': gm_group, 'mode': 'any',
                                }])],
                }
            values.update(flow)
            flow, = Flow.create([values])
            form_type, = FormType.create([{
                        'name': "出差申请", 'code': 'TRIP', 'flow': flow.id,
                        'fields_': [('create', [{
                                        'name': 'destination',
                                        'string': "目的地", 'type_': 'char',
                                        'required': True, 'sequence': 1,
                                        }, {
                                        'name': 'amount', 'string': "金额",
                                        'type_': 'numeric', 'digits': 2,
                                        'required': True, 'sequence': 2,
                                        }, {
                                        'name': 'reason', 'string': "事由",
                                        'type_': 'text', 'sequence': 3,
                                        }])],
                        }])
        return company, org, users, flow, form_type

    def _form(self, company, users, form_type, amount, key='rep', **data):
        pool = Pool()
        Form = pool.get('oa.form')
        values = {'destination': "上海", 'amount': Decimal(amount)}
        values.update(data)
        with set_company(company), \
                Transaction().set_user(users[key].id):
            form = Form(
                form_type=form_type, company=company,
                requester=users[key], employee=users[key].employee,
                subject="出差", data=values)
            form.save()
        return form

    def _as(self, user, method, records):
        with Transaction().set_user(user.id):
            return method(records)

    def _todo(self, user):
        Task = Pool().get('oa.approval.task')
        return Task.search([
                ('user', '=', user.id), ('state', '=', 'pending')])

    @with_transaction()
    def test_approval_two_steps(self):
        "A big trip goes through supervisor then one general manager"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(form.approval_state, 'running')
            instance = form.approval_instance
            self.assertEqual(instance.current_step.name, "主管审批")
            self.assertEqual(
                [t.user for t in instance.tasks], [users['lead']])
            self.assertEqual(Task.search_count([
                        ('user', '=', users['lead'].id),
                        ('state', '=', 'pending')]), 1)
            # notification for the approver
            self.assertTrue(any(
                    n.user.id == users['lead'].id
                    for n in Transaction().user_notifications))

            task, = self._todo(users['lead'])
            task.comment = "同意"
            task.save()
            self._as(users['lead'], Task.approve, [task])
            self.assertEqual(form.approval_state, 'running')
            self.assertEqual(instance.current_step.name, "总经理审批")
            self.assertEqual(len(self._todo(users['boss'])), 1)
            self.assertEqual(len(self._todo(users['gm2'])), 1)
            self.assertEqual(self._todo(users['lead']), [])

            task, = self._todo(users['gm2'])
            self._as(users['gm2'], Task.approve, [task])
            self.assertEqual(self._todo(users['boss']), [])
            self.assertEqual(instance.state, 'approved')
            self.assertEqual(form.approval_state, 'approved')
            self.assertEqual(form.approval_number, 'CC-0001')
            self.assertEqual(
                [l.action for l in instance.logs],
                ['submit', 'approve', 'approve'])
            self.assertEqual(instance.logs[1].comment, "同意")
            self.assertEqual(instance.logs[1].user, users['lead'])
            done = Task.search([('decided_by', '=', users['gm2'].id)])
            self.assertEqual(len(done), 1)
            self.assertTrue(any(
                    n.user.id == users['rep'].id
                    for n in Transaction().user_notifications))

    @with_transaction()
    def test_approval_flow_choice_and_copy(self):
        "The first flow by sequence whose condition matches applies"
        pool = Pool()
        Form = pool.get('oa.form')
        Flow = pool.get('oa.approval.flow')
        Task = pool.get('oa.approval.task')
        Copy = pool.get('oa.approval.copy')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form_type.flow = None
            form_type.save()
            flow.sequence = 10
            flow.cc_users = [users['clerk']]
            flow.form_types = [form_type]
            flow.save()
            simple, = Flow.create([{
                        'name': "简单审批", 'model': 'oa.form', 'sequence': 20,
                        'form_types': [('add', [form_type.id])],
                        'steps': [('create', [{
                                        'name': "经理审批",
                                        'approver_type': 'users',
                                        'users': [('add', [users['manager'].id])],
                                        }])],
                        }])
            big = self._form(company, users, form_type, 8000)
            small = self._form(company, users, form_type, 300)
            self._as(users['rep'], Form.submit_approval, [big, small])
            self.assertEqual(big.approval_instance.flow, flow)
            self.assertEqual(small.approval_instance.flow, simple)
            task, = self._todo(users['manager'])
            self.assertEqual(task.instance, small.approval_instance)

            # copy to: the clerk is informed of the outcome
            task, = self._todo(users['lead'])
            self._as(users['lead'], Task.reject, [task])
            copy, = Copy.search([('user', '=', users['clerk'].id)])
            self.assertEqual(copy.document, big)
            self.assertEqual(copy.instance_state, 'rejected')

    @with_transaction()
    def test_approval_below_condition(self):
        "A small trip matches no flow and is approved at once"
        pool = Pool()
        Form = pool.get('oa.form')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 3000)
            self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(form.approval_state, 'approved')
            self.assertIsNone(form.approval_instance)
            self.assertEqual(self._todo(users['lead']), [])

    @with_transaction()
    def test_approval_reject_and_resubmit(self):
        "A rejection ends the instance; the form can be submitted again"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            self._as(users['lead'], Task.reject, [task])
            self.assertEqual(form.approval_state, 'rejected')
            self.assertEqual(form.approval_instance.state, 'rejected')
            self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(form.approval_state, 'running')
            self.assertEqual(len(self._todo(users['lead'])), 1)

    @with_transaction()
    def test_approval_return_and_withdraw(self):
        "Return (退回) and withdraw (撤回) give the form back to its requester"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            self._as(users['lead'], Task.send_back, [task])
            self.assertEqual(form.approval_state, 'returned')
            self.assertEqual(self._todo(users['lead']), [])
            form.data = dict(form.data, amount=Decimal(9000))
            form.save()

            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            with self.assertRaises(AccessError):
                self._as(users['clerk'], Form.withdraw_approval, [form])
            self._as(users['rep'], Form.withdraw_approval, [form])
            self.assertEqual(form.approval_state, 'withdrawn')
            task = Task(task.id)
            self.assertEqual(task.state, 'cancelled')
            self.assertEqual(self._todo(users['lead']), [])

    @with_transaction()
    def test_approval_transfer_and_add(self):
        "Transfer (转办) and add approver (加签) before and after"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            with self.assertRaises(UserError):
                self._as(users['lead'], Task.transfer, [task])
            task.other_user = users['manager']
            task.save()
            self._as(users['lead'], Task.transfer, [task])
            self.assertEqual(Task(task.id).state, 'transferred')
            self.assertEqual(self._todo(users['lead']), [])
            task, = self._todo(users['manager'])

            # add before: clerk first, then manager again
            task.other_user = users['clerk']
            task.add_position = 'before'
            task.save()
            self._as(users['manager'], Task.add_approver, [task])
            self.assertEqual(Task(task.id).state, 'waiting')
            self.assertEqual(self._todo(users['manager']), [])
            clerk_task, = self._todo(users['clerk'])
            self._as(users['clerk'], Task.approve, [clerk_task])
            task, = self._todo(users['manager'])
            self.assertEqual(
                form.approval_instance.current_step.name, "主管审批")

            # add after: manager approves, clerk must approve too
            task.other_user = users['clerk']
            task.add_position = 'after'
            task.save()
            self._as(users['manager'], Task.add_approver, [task])
            self.assertEqual(Task(task.id).state, 'approved')
            self.assertEqual(
                form.approval_instance.current_step.name, "主管审批")
            clerk_task, = self._todo(users['clerk'])
            self._as(users['clerk'], Task.approve, [clerk_task])
            self.assertEqual(
                form.approval_instance.current_step.name, "总经理审批")
            actions = [l.action for l in form.approval_instance.logs]
            self.assertEqual(actions, [
                    'submit', 'transfer', 'add_before', 'approve',
                    'add_after', 'approve', 'approve'])

    @with_transaction()
    def test_approval_delegation(self):
        "Steps arriving during a delegation go to the delegate"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        Delegation = pool.get('oa.approval.delegation')
        company, org, users, flow, form_type = self._approval()
        now = dt.datetime.now()
        with set_company(company):
            delegation, = Delegation.create([{
                        'user': users['lead'].id,
                        'delegate': users['manager'].id,
                        'start': now - dt.timedelta(hours=1),
                        'end': now + dt.timedelta(days=2),
                        'flows': [('add', [flow.id])],
                        }])
            self.assertEqual(delegation.state, 'active')
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(self._todo(users['lead']), [])
            task, = self._todo(users['manager'])
            self.assertEqual(task.delegator, users['lead'])
            self._as(users['manager'], Task.approve, [task])
            log = form.approval_instance.logs[-1]
            self.assertEqual(log.on_behalf_of, users['lead'])
            self.assertEqual(log.actor, "李经理 on behalf of 张主管")

            # an expired delegation stops routing
            delegation.start = now - dt.timedelta(days=3)
            delegation.end = now - dt.timedelta(days=1)
            delegation.save()
            self.assertEqual(delegation.state, 'expired')
            form2 = self._form(company, users, form_type, 6000)
            self._as(users['rep'], Form.submit_approval, [form2])
            self.assertEqual(len(self._todo(users['lead'])), 1)

    @with_transaction()
    def test_approval_delegation_pending(self):
        "A delegation also reroutes the pending tasks of the user"
        pool = Pool()
        Form = pool.get('oa.form')
        Delegation = pool.get('oa.approval.delegation')
        company, org, users, flow, form_type = self._approval()
        now = dt.datetime.now()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(len(self._todo(users['lead'])), 1)
            # a delegation for other flows changes nothing
            other, = type(flow).copy([flow], {'name': "其他"})
            Delegation.create([{
                        'user': users['lead'].id,
                        'delegate': users['clerk'].id,
                        'start': now - dt.timedelta(hours=1),
                        'end': now + dt.timedelta(days=2),
                        'flows': [('add', [other.id])],
                        }])
            self.assertEqual(len(self._todo(users['lead'])), 1)
            Delegation.create([{
                        'user': users['lead'].id,
                        'delegate': users['manager'].id,
                        'start': now - dt.timedelta(hours=1),
                        'end': now + dt.timedelta(days=2),
                        }])
            self.assertEqual(self._todo(users['lead']), [])
            task, = self._todo(users['manager'])
            self.assertEqual(task.delegator, users['lead'])
            log = form.approval_instance.logs[-1]
            self.assertEqual(
                (log.action, log.on_behalf_of, log.target),
                ('delegate', users['lead'], users['manager']))

    @with_transaction()
    def test_approval_flow_versioned(self):
        "A running instance keeps the steps it started with"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        Step = pool.get('oa.approval.flow.step')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            Step.delete([s for s in flow.steps if s.sequence == 20])
            task, = self._todo(users['lead'])
            self._as(users['lead'], Task.approve, [task])
            self.assertEqual(
                form.approval_instance.current_step.name, "总经理审批")
            form2 = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form2])
            self.assertEqual(len(form2.approval_instance.steps), 1)

    @with_transaction()
    def test_flow_definition_cache(self):
        "Submissions read the flows as last changed, names in the language"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        Step = pool.get('oa.approval.flow.step')
        Flow = pool.get('oa.approval.flow')
        company, org, users, flow, form_type = self._approval()
        french, = Lang.search([('code', '=', 'fr')])
        french.translatable = True
        french.save()
        step = flow.steps[0]
        names = [s['name'] for s in flow.definition()['steps']]
        self.assertEqual(names, ["主管审批", "总经理审批"])
        with Transaction().set_context(language='fr'):
            Step.write([Step(step.id)], {'name': "Chef"})
            self.assertEqual(
                flow.definition()['steps'][0]['name'], "Chef")
        # edited under Administration > Translations
        translation, = Translation.search([
                ('name', '=', 'oa.approval.flow.step,name'),
                ('res_id', '=', step.id),
                ('lang', '=', 'fr'),
                ])
        translation.value = "Responsable"
        translation.save()
        # (the transaction's own record cache keeps "Chef": a new
        # transaction reads the new value)
        self.assertIsNone(Flow._definition_cache.get((flow.id, 'fr')))
        self.assertEqual(
            flow.definition()['steps'][0]['name'], "主管审批")
        # a step added or a rule changed is seen by the next submission
        flow.requester_rule = 'reject'
        flow.save()
        self.assertEqual(flow.definition()['requester_rule'], 'reject')
        Step.create([{
                    'flow': flow.id, 'sequence': 5, 'name': "预审",
                    'approver_type': 'users', 'users': [
                        ('add', [users['boss'].id])],
                    }])
        self.assertEqual(
            [(s['name'], s['users']) for s in flow.definition()['steps']][0],
            ("预审", (users['boss'].id,)))

    @with_transaction()
    def test_approval_rules(self):
        "Empty approver set and requester as approver follow the flow rules"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval(
            empty_rule='admin', requester_rule='reject')
        with set_company(company):
            # the boss has no supervisor: the administrator gets step 1
            form = self._form(company, users, form_type, 8000, key='boss')
            self._as(users['boss'], Form.submit_approval, [form])
            instance = form.approval_instance
            self.assertEqual(
                [t.user.login for t in instance.tasks], ['admin'])
            admin_task, = instance.tasks
            with Transaction().set_user(admin_task.user.id):
                Task.approve([admin_task])
            # step 2: general managers minus the requester himself
            self.assertEqual(
                [t.user for t in instance.tasks if t.state == 'pending'
                    and t.user.login != 'admin'], [users['gm2']])

            flow.requester_rule = 'reject'
            flow.steps[0].approver_type = 'users'
            flow.steps[0].users = [users['rep']]
            flow.steps[0].save()
            flow.save()
            form2 = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form2])
            self.assertEqual(form2.approval_state, 'rejected')
            self.assertEqual(
                [l.action for l in form2.approval_instance.logs],
                ['submit', 'auto_reject'])

    @with_transaction()
    def test_approval_skip_same_approver(self):
        "The same approver on consecutive steps is asked once"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval(
            skip_same_approver=True)
        with set_company(company):
            step1, step2 = flow.steps
            step2.approver_type = 'department_manager'
            step2.levels = 1
            step2.save()
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            self._as(users['lead'], Task.approve, [task])
            # the lead also manages the team: step 2 is skipped
            self.assertEqual(form.approval_state, 'approved')
            self.assertEqual(
                [l.action for l in form.approval_instance.logs],
                ['submit', 'approve', 'skip'])

    @with_transaction()
    def test_approval_bad_input(self):
        "Wrong actions give a clear error and change nothing"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        Flow = pool.get('oa.approval.flow')
        Delegation = pool.get('oa.approval.delegation')
        company, org, users, flow, form_type = self._approval()
        now = dt.datetime.now()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            form.data = {'amount': Decimal(8000)}
            form.save()
            with self.assertRaisesRegex(UserError, '目的地'):
                self._as(users['rep'], Form.submit_approval, [form])
            self.assertEqual(form.approval_state, 'none')
            self.assertIsNone(form.approval_instance)

            form.data = {'amount': Decimal(8000), 'destination': "北京"}
            form.save()
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            # the approval fields are for the engine only
            with Transaction().set_user(users['rep'].id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaisesRegex(AccessError, 'engine'):
                    Form.write([form], {'approval_state': 'approved'})
            with Transaction().set_user(users['lead'].id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaisesRegex(AccessError, 'buttons'):
                    Task.write([task], {'state': 'approved'})
                Task.write([task], {'comment': "看看"})
                # the writes of users are checked (SystemRecordMixin)
                with self.assertRaises(ValidationError):
                    Task.write([task], {'add_position': 'middle'})
            self.assertEqual(Task(task.id).state, 'pending')
            with self.assertRaisesRegex(AccessError, 'someone else'):
                self._as(users['clerk'], Task.approve, [task])
            self.assertEqual(Task(task.id).state, 'pending')
            with self.assertRaises(UserError):
                self._as(users['rep'], Form.submit_approval, [form])
            with self.assertRaises(AccessError):
                form.subject = "改"
                form.save()

            self._as(users['lead'], Task.reject, [task])
            with self.assertRaisesRegex(UserError, 'finished'):
                self._as(users['lead'], Task.approve, [task])
            self.assertEqual(Task(task.id).state, 'rejected')

            with self.assertRaisesRegex(ValidationError, 'at least one step'):
                Flow.create([{'name': "空", 'model': 'oa.form'}])
            with self.assertRaisesRegex(ValidationError, 'condition'):
                Flow.create([{
                            'name': "坏", 'model': 'oa.form',
                            'condition': "amount >= 5",
                            'steps': [('create', [{
                                            'name': "S",
                                            'approver_type': 'supervisor',
                                            }])]}])
            with self.assertRaisesRegex(ValidationError, 'himself'):
                Delegation.create([{
                            'user': users['lead'].id,
                            'delegate': users['lead'].id,
                            'start': now, 'end': now + dt.timedelta(1)}])
            with self.assertRaisesRegex(ValidationError, 'after its start'):
                Delegation.create([{
                            'user': users['lead'].id,
                            'delegate': users['manager'].id,
                            'start': now, 'end': now - dt.timedelta(1)}])

    @with_transaction()
    def test_approval_monitoring(self):
        "Urge, special forward, pull back and force end"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        Instance = pool.get('oa.approval.instance')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            instance = form.approval_instance
            self.assertEqual(instance.current_approvers, "张主管")
            self.assertIsNotNone(instance.waiting_hours)
            Transaction().user_notifications.clear()
            Instance.urge([instance])
            self.assertEqual(
                [n.user.id for n in Transaction().user_notifications],
                [users['lead'].id])

            with self.assertRaises(UserError):
                Instance.special_forward([instance])
            instance.forward_to = users['manager']
            instance.save()
            Instance.special_forward([instance])
            self.assertEqual(self._todo(users['lead']), [])
            task, = self._todo(users['manager'])
            self._as(users['manager'], Task.approve, [task])
            self.assertEqual(instance.current_step.name, "总经理审批")

            Instance.pull_back([instance])
            self.assertEqual(instance.current_step.name, "主管审批")
            self.assertEqual(len(self._todo(users['lead'])), 1)
            self.assertEqual(self._todo(users['gm2']), [])

            Instance.force_end([instance])
            self.assertEqual(instance.state, 'cancelled')
            self.assertEqual(form.approval_state, 'cancelled')
            self.assertEqual(self._todo(users['lead']), [])

    @with_transaction()
    def test_approval_cron_timeout(self):
        "The scheduled job reminds and applies timeout actions"
        pool = Pool()
        Form = pool.get('oa.form')
        Task = pool.get('oa.approval.task')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            step1, step2 = flow.steps
            step1.timeout_hours = 1
            step1.timeout_action = 'remind'
            step1.save()
            step2.timeout_hours = 2
            step2.timeout_action = 'approve'
            step2.save()
            form = self._form(company, users, form_type, 8000)
            self._as(users['rep'], Form.submit_approval, [form])
            task, = self._todo(users['lead'])
            self.assertIsNotNone(task.deadline)
            Task.cron_overdue()
            self.assertIsNone(Task(task.id).reminded_at)
            Task.write([task], {
                    'deadline': dt.datetime.now() - dt.timedelta(hours=1)})
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                Task.cron_overdue()
            self.assertIsNotNone(Task(task.id).reminded_at)
            self.assertEqual(Task(task.id).state, 'pending')
            self.assertIn(users['lead'].id, [
                    n.user.id for n in Transaction().user_notifications])

            self._as(users['lead'], Task.approve, [task])
            tasks = Task.search([
                    ('instance', '=', form.approval_instance.id),
                    ('state', '=', 'pending')])
            Task.write(tasks, {
                    'deadline': dt.datetime.now() - dt.timedelta(hours=1)})
            with Transaction().set_user(0):
                Task.cron_overdue()
            self.assertEqual(form.approval_state, 'approved')
            self.assertEqual(
                form.approval_instance.logs[-1].action, 'auto_approve')

    @with_transaction()
    def test_approval_email(self):
        "Approvers with an email address receive the notification by email"
        pool = Pool()
        Form = pool.get('oa.form')
        with smtp_server() as received:
            company, org, users, flow, form_type = self._approval()
            with set_company(company):
                users['lead'].email = 'zhang@example.com'
                users['lead'].save()
                form = self._form(company, users, form_type, 8000)
                self._as(users['rep'], Form.submit_approval, [form])
            # one mail data manager; the rep has no address: one message
            self.assertEqual(deliver_mail(), [1])
        envelope, = received
        self.assertEqual(envelope.rcpt_tos, ['zhang@example.com'])
        message = parse_mail(envelope)
        self.assertIn("出差申请", str(message['Subject']))
        self.assertIn("主管审批", message.get_content())

    @with_transaction()
    def test_form_search_by_values(self):
        "Submitted forms are searchable by their field values"
        pool = Pool()
        Form = pool.get('oa.form')
        company, org, users, flow, form_type = self._approval()
        with set_company(company):
            self._form(company, users, form_type, 8000, destination="广州")
            self._form(company, users, form_type, 100, destination="成都")
            found = Form.search([('data_text', 'ilike', '%广州%')])
            self.assertEqual(len(found), 1)
            self.assertIn("目的地: 广州", found[0].data_text)
            found = Form.search([('data.destination', '=', "成都")])
            self.assertEqual(len(found), 1)
            keys = pool.get('oa.form.field').get_keys(form_type.fields_)
            self.assertEqual(
                [k['type'] for k in keys], ['char', 'numeric', 'char'])

    @with_transaction()
    def test_cursor_dict(self):
        "Rows as dictionaries: the framework uses the fixed cursor_dict"
        from trytond.ir import translation
        from trytond.model import modelsql
        from trytond import tools
        from .. import tryton_fixes
        for module in [tools, modelsql, translation]:
            self.assertIs(module.cursor_dict, tryton_fixes.cursor_dict)
        cursor = Transaction().connection.cursor()
        query = ("SELECT id AS a, code AS b FROM ir_lang "
            "WHERE code IN ('en', 'fr', 'zh_CN') ORDER BY code")
        cursor.execute(query)
        expected = [{'a': i, 'b': c} for i, c in cursor.fetchall()]
        self.assertEqual(len(expected), 3)
        for size in [None, 1, 2, 10]:
            cursor.execute(query)
            self.assertEqual(
                list(tryton_fixes.cursor_dict(cursor, size)), expected)
        # another query on the cursor between two batches: its columns
        cursor.execute(query)
        rows = tryton_fixes.cursor_dict(cursor, 2)
        self.assertEqual(next(rows), expected[0])
        cursor.execute("SELECT code AS c FROM ir_lang WHERE code = 'fr'")
        self.assertEqual(next(rows), expected[1])
        self.assertEqual(list(rows), [{'c': 'fr'}])

    def test_zz_concurrent_any_one(self):
        "Two approvers of an any-one step decide at the same moment"
        if backend.name != 'postgresql':
            self.skipTest("row locks need PostgreSQL (SQLite serializes "
                "writers; the locking logic is covered by the other tests)")
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Form = pool.get('oa.form')
            Task = pool.get('oa.approval.task')
            company, org, users, flow, form_type = self._approval()
            with set_company(company):
                form = self._form(company, users, form_type, 8000)
                self._as(users['rep'], Form.submit_approval, [form])
                task, = self._todo(users['lead'])
                self._as(users['lead'], Task.approve, [task])
                tasks = [self._todo(users['boss'])[0],
                    self._todo(users['gm2'])[0]]
            form_id, company_id = form.id, company.id
            work = [(t.user.id, t.id) for t in tasks]
            transaction.commit()

        barrier = threading.Barrier(2)
        results = []

        def approve(user_id, task_id):
            extras, waited = {}, False
            for _ in range(50):
                try:
                    with Transaction().start(
                            DB_NAME, user_id,
                            context={'company': company_id},
                            **extras) as transaction:
                        if not waited:
                            waited = True
                            barrier.wait(timeout=20)
                        try:
                            Task = Pool().get('oa.approval.task')
                            Task.approve([Task(task_id)])
                            transaction.commit()
                            results.append('approved')
                        except TransactionError as e:
                            transaction.rollback()
                            e.fix(extras)
                            continue
                        except UserError as e:
                            transaction.rollback()
                            results.append(e.message)
                        return
                except backend.DatabaseOperationalError:
                    time.sleep(0.1)
            results.append('gave up')

        threads = [threading.Thread(target=approve, args=w) for w in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(len(results), 2, results)
        self.assertEqual(results.count('approved'), 1, results)
        other, = [r for r in results if r != 'approved']
        self.assertIn('already been decided', other)

        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Form = pool.get('oa.form')
            form = Form(form_id)
            self.assertEqual(form.approval_state, 'approved')
            instance = form.approval_instance
            decided = [t for t in instance.tasks if t.state == 'approved']
            self.assertEqual(len(decided), 2)  # lead + one general manager
            self.assertEqual(
                [l.action for l in instance.logs],
                ['submit', 'approve', 'approve'])


del ModuleTestCase
