# This file is part of the oa_workflow module.
"""Documents asked by a user for an employee (forms, requisitions, vehicle
requests, deal registrations)

A model using ``RequesterMixin`` has the fields ``company``, ``requester``
(``res.user``) and ``employee`` (``company.employee``): a new document is
filled with the company of the context, the user and the user's current
employee, and it is submitted to approval as the requester for the employee
(the requester's when none is set)."""
from trytond.pool import Pool
from trytond.transaction import Transaction


def current_employee():
    """The id of the employee the user acts as, or None

    The ``employee`` of the context is kept only when it is one of the
    user's (``res.user``'s read drops any other): a client cannot make a
    document in the name of someone else. The root user (cron, scripts) is
    trusted with the context."""
    transaction = Transaction()
    if transaction.user:
        User = Pool().get('res.user')
        employee_id = transaction.context.get('employee')
        # the usual case, from the cached employees of the user (a subset
        # of those the read accepts): no read of the user
        if employee_id and employee_id in User.get_employees():
            return employee_id
        return User.read([transaction.user], ['employee'])[0]['employee']
    return transaction.context.get('employee')


def current_department():
    "The id of the department of the current employee, or None"
    employee_id = current_employee()
    if employee_id:
        Employee = Pool().get('company.employee')
        department = Employee(employee_id).department
        return department.id if department else None


class RequesterMixin(object):
    "Defaults and approval hooks of a document asked by a requester"
    __slots__ = ()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_requester(cls):
        return Transaction().user or None

    @classmethod
    def default_employee(cls):
        return current_employee()

    # Approval hooks (ApprovalMixin)
    def approval_get_requester(self):
        return self.requester.id

    def approval_get_employee(self):
        return self.employee or self.requester.employee
