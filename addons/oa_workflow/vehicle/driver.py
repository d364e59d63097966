# This file is part of the oa_workflow module.
"Drivers: employees with a driving licence"
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Driver(DeactivableMixin, ModelSQL, ModelView):
    "Vehicle Driver"
    __name__ = 'oa.vehicle.driver'
    __string__ = "Vehicle Driver"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    phone = fields.Char("Phone")
    license_number = fields.Char("Licence Number", strip=True)
    license_class = fields.Char(
        "Licence Class", help="The permitted vehicle class, e.g. C1, B2, A1.")
    license_expiry = fields.Date(
        "Licence Expiry",
        help="A driver cannot be dispatched for a trip ending after it.")
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('employee_unique', Unique(t, t.company, t.employee),
                'oa_workflow.msg_vehicle_driver_unique'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        return self.employee.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('employee.rec_name',) + tuple(clause[1:])]

    def check_dispatchable(self, trip, end):
        "Raise if the driver cannot drive the named trip ending at end"
        if not self.active:
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_driver_inactive',
                    driver=self.rec_name, trip=trip))
        Date = Pool().get('ir.date')
        if self.license_expiry and self.license_expiry < Date.company_date(
                end, self.company):
            raise UserError(gettext(
                    'oa_workflow.msg_vehicle_driver_license_expired',
                    driver=self.rec_name, trip=trip,
                    date=self.license_expiry.strftime('%Y-%m-%d')))
