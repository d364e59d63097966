# This file is part of the oa_workflow module.
"""Defaults of the documents asked by a requester (RequesterMixin)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import unittest

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

# The models of oa_workflow using RequesterMixin
MODELS = ['oa.form', 'oa.supply.requisition', 'oa.vehicle.request']


def setup_requester():
    """A company, a user with two employees (in two departments) and an
    employee of someone else"""
    pool = Pool()
    User = pool.get('res.user')
    Department = pool.get('oa.department')
    company = create_company()
    with set_company(company):
        sales, admin = Department.create([
                {'name': "销售部", 'code': 'SALES'},
                {'name': "行政部", 'code': 'ADM'},
                ])
        own = create_employee(company, "小刘")
        second = create_employee(company, "小刘（兼）")
        other = create_employee(company, "王总")
        own.department, second.department = sales, admin
        other.department = admin
        Pool().get('company.employee').save([own, second, other])
        user, = User.create([{
                    'login': 'requester_liu', 'name': "小刘",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'employees': [('add', [own.id, second.id])],
                    'employee': own.id,
                    }])
    return company, user, own, second, other


class RequesterTestCase(unittest.TestCase):
    "Test the requester defaults"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    def defaults(self, company, user, employee=None):
        "The defaults of MODELS for the user, {model: values}"
        context = {'company': company.id}
        if employee is not None:
            context['employee'] = employee.id
        result = {}
        with Transaction().set_user(user.id), \
                Transaction().set_context(context):
            for name in MODELS:
                Model = Pool().get(name)
                result[name] = Model.default_get(
                    ['company', 'requester', 'employee'],
                    with_rec_name=False)
        return result

    @with_transaction()
    def test_default_own_employee(self):
        "Without employee in the context: the user's current one"
        company, user, own, _, _ = setup_requester()
        for name, values in self.defaults(company, user).items():
            with self.subTest(model=name):
                self.assertEqual(values, {
                        'company': company.id, 'requester': user.id,
                        'employee': own.id})

    @with_transaction()
    def test_default_context_employee_of_user(self):
        "An employee of the user in the context is the default"
        company, user, _, second, _ = setup_requester()
        for name, values in self.defaults(company, user, second).items():
            with self.subTest(model=name):
                self.assertEqual(values['employee'], second.id)

    @with_transaction()
    def test_default_context_employee_not_of_user(self):
        "An employee of someone else in the context is never the default"
        company, user, own, _, other = setup_requester()
        for name, values in self.defaults(company, user, other).items():
            with self.subTest(model=name):
                self.assertNotEqual(values['employee'], other.id)
                self.assertIsNone(values['employee'])
                self.assertEqual(values['requester'], user.id)

    @with_transaction()
    def test_default_department_of_employee(self):
        "A requisition is counted for the department of the employee"
        Requisition = Pool().get('oa.supply.requisition')
        company, user, own, second, other = setup_requester()
        for employee, department in [
                (None, own.department), (second, second.department)]:
            context = {'company': company.id}
            if employee:
                context['employee'] = employee.id
            with Transaction().set_user(user.id), \
                    Transaction().set_context(context):
                self.assertEqual(
                    Requisition.default_department(), department.id)
        with Transaction().set_user(user.id), Transaction().set_context(
                company=company.id, employee=other.id):
            self.assertIsNone(Requisition.default_department())
