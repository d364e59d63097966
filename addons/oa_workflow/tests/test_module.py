# This file is part of the oa_workflow module.
from trytond.model.exceptions import (
    RequiredValidationError, SQLConstraintError, ValidationError)
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class OaWorkflowTestCase(CompanyTestMixin, ModuleTestCase):
    "Test the organization part of oa_workflow"
    module = 'oa_workflow'

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


del ModuleTestCase
