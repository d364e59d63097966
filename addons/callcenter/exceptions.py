# This file is part of the callcenter module.
from trytond.exceptions import UserError


class SMSError(UserError):
    pass
