# This file is part of the oa_workflow module.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    department = fields.Many2One(
        'oa.department', "Department", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))],
        help="The department the employee works in.")
    title = fields.Char("Job Title")
    managed_departments = fields.One2Many(
        'oa.department', 'manager', "Managed Departments", readonly=True)

    def subordinates_all(self):
        "Return all subordinates of the employee, at every level"
        return self.__class__.search([
                ('supervisor', 'child_of', [self.id], 'supervisor'),
                ('id', '!=', self.id),
                ])

    @classmethod
    def subordinate_ids(cls, employee_ids):
        "Ids of the employees and of all their subordinates (all levels)"
        if not employee_ids:
            return []
        with Transaction().set_context(active_test=False):
            subordinates = cls.search([
                    ('supervisor', 'child_of', list(employee_ids),
                        'supervisor'),
                    ])
        return list(set(employee_ids) | {e.id for e in subordinates})

    def department_tree(self):
        "Return the department of the employee and all its sub-departments"
        Department = Pool().get('oa.department')
        if not self.department:
            return []
        return Department.browse(Department.descendants([self.department]))

    def manager_up(self, levels=1):
        """Return the supervisor `levels` levels up the chain, or None

        The chain stops at the top; a loop in the chain stops the walk."""
        employee, seen = self, {self.id}
        for _ in range(levels):
            employee = employee.supervisor
            if not employee or employee.id in seen:
                return None
            seen.add(employee.id)
        return employee

    def department_managers(self):
        """Return the managers of the employee's department and its parents,
        nearest first, skipping the employee and empty positions"""
        Department = Pool().get('oa.department')
        managers = []
        for department in Department.ancestors(self.department):
            if department.manager and department.manager not in managers:
                managers.append(department.manager)
        return managers
