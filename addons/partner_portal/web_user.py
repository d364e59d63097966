# This file is part of the partner_portal module.
from trytond.pool import PoolMeta

from oa_workflow.user import PasswordHash


class User(metaclass=PoolMeta):
    "The partners' logins: their password hashes are not searched either"
    __name__ = 'web.user'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a field redefined in an extension keeps the base definition
        cls.password_hash = PasswordHash("Password Hash")
