# This file is part of the oa_workflow module.
from email.message import EmailMessage

from sql import Null
from sql.operators import Exists

from trytond import config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction



class PasswordHash(fields.Char):
    """A password hash: Tryton blanks it when it is read, and here no user
    searches or sorts by it (a search answers yes or no: a client recovered
    a hash character by character)"""

    def convert_domain(self, domain, tables, Model):
        refuse_hash_use()
        return super().convert_domain(domain, tables, Model)

    def convert_order(self, name, tables, Model):
        refuse_hash_use()
        return super().convert_order(name, tables, Model)


def refuse_hash_use():
    "Only the server's own code (root) may use a password hash in SQL"
    if Transaction().user:
        raise AccessError(gettext('oa_workflow.msg_user_password_hash'))

class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    department = fields.Function(
        fields.Many2One('oa.department', "Department"),
        'get_department', searcher='search_department')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a field redefined in an extension keeps the base definition
        # (Model.__setup__ copies the first one): replace it here
        cls.password_hash = PasswordHash("Password Hash", strip=False)

    @classmethod
    def validate_fields(cls, users, field_names):
        super().validate_fields(users, field_names)
        if field_names is None or field_names & {'employee', 'employees'}:
            cls.check_own_employee(users)

    @classmethod
    def check_own_employee(cls, users):
        """The preferences (set by the user) choose among the user's
        employees only: nobody acts as someone else. Read from the tables:
        the company module's read shows the employee of the context, which
        set_preferences sets to the value being checked"""
        pool = Pool()
        Employee = pool.get('company.employee')
        UserEmployee = pool.get('res.user-company.employee')
        table = cls.__table__()
        user_employee = UserEmployee.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([u.id for u in users]):
            cursor.execute(*table.select(table.id, table.employee,
                    where=SQL_OPERATORS['in'](table.id, sub_ids)
                    & (table.employee != Null)
                    & ~Exists(user_employee.select(user_employee.id,
                            where=(user_employee.user == table.id)
                            & (user_employee.employee == table.employee)))))
            for user_id, employee_id in cursor:
                raise ValidationError(gettext(
                        'oa_workflow.msg_user_employee_not_own',
                        user=cls(user_id).rec_name,
                        employee=Employee(employee_id).rec_name))

    def get_department(self, name):
        if self.employee and self.employee.department:
            return self.employee.department.id

    @classmethod
    def search_department(cls, name, clause):
        return [('employee.department' + clause[0][len(name):],)
            + tuple(clause[1:])]

    @classmethod
    def oa_notify(cls, users, label, model, records, description=None):
        """Notify each user once about records: in the web client, and by
        e-mail (sent at commit) when the server sends e-mail and the user
        has an address. Modules add channels by extending this method."""
        Model = Pool().get(model)
        done = set()
        for user in users:
            if not user or user.id in done:
                continue
            done.add(user.id)
            Model.notify_user(
                records, 'tryton-notification', label, description,
                user=user.id)
            if config.get('email', 'uri', default=None) and user.email:
                msg = EmailMessage()
                msg['From'] = config.get('email', 'from')
                msg['To'] = user.email
                msg['Subject'] = label
                msg.set_content(description or label)
                send_message_transactional(msg)
