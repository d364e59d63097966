# This file is part of the oa_workflow module.
from email.message import EmailMessage

from trytond import config
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional


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
