# This file is part of the oa_workflow module.
from trytond.model import fields
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    department = fields.Function(
        fields.Many2One('oa.department', "Department"),
        'get_department', searcher='search_department')

    def get_department(self, name):
        if self.employee and self.employee.department:
            return self.employee.department.id

    @classmethod
    def search_department(cls, name, clause):
        return [('employee.department' + clause[0][len(name):],)
            + tuple(clause[1:])]
