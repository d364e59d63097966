# This file is part of the oa_workflow module.
from sql import Null
from sql.aggregate import Count

from trytond import backend
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered,
    tree)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .rec_name import RecNameSearchMixin


class Department(RecNameSearchMixin,
        DeactivableMixin, sequence_ordered(), tree(separator=' / '),
        ModelSQL, ModelView):
    "Department"
    __name__ = 'oa.department'
    __string__ = "Department"
    _rec_name_search_fields = ['name', 'code']

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", strip=True,
        help="A short unique code, used in reports and numbering.")
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    parent = fields.Many2One(
        'oa.department', "Parent Department", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="The department this one belongs to.")
    children = fields.One2Many(
        'oa.department', 'parent', "Sub-departments",
        domain=[('company', '=', Eval('company', -1))])
    manager = fields.Many2One(
        'company.employee', "Manager",
        domain=[('company', '=', Eval('company', -1))],
        help="The head of the department; approves for it and sees "
        "its customers.")
    members = fields.One2Many(
        'company.employee', 'department', "Members",
        domain=[('company', '=', Eval('company', -1))],
        add_remove=[])
    member_count = fields.Function(
        fields.Integer("Members"), 'get_member_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'oa_workflow.msg_department_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_member_count(cls, departments, name):
        pool = Pool()
        Employee = pool.get('company.employee')
        employee = Employee.__table__()
        cursor = Transaction().connection.cursor()
        counts = dict.fromkeys([d.id for d in departments], 0)
        for sub_ids in grouped_slice(list(counts), backend.MAX_QUERY_PARAMS):
            cursor.execute(*employee.select(
                    employee.department, Count(employee.id),
                    where=fields.SQL_OPERATORS['in'](
                        employee.department, list(sub_ids))
                    & (employee.department != Null),
                    group_by=[employee.department]))
            counts.update(cursor)
        return counts

    # Helpers used by approvals and data permissions
    @classmethod
    def descendants(cls, departments):
        "Return the ids of departments and all their sub-departments"
        ids = [d.id if hasattr(d, 'id') else d for d in departments]
        if not ids:
            return []
        with Transaction().set_context(active_test=False):
            return [d.id for d in cls.search([('parent', 'child_of', ids)])]

    @classmethod
    def ancestors(cls, department):
        "Return the department and its parents, nearest first"
        result = []
        while department:
            result.append(department)
            department = department.parent
        return result
