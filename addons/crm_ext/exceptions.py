# This file is part of the crm_ext module.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class DuplicateCustomerError(ValidationError):
    pass


class DuplicateCustomerWarning(UserWarning):
    pass


class OwnershipError(UserError):
    pass


class QuotaError(OwnershipError):
    pass


# Opportunities and leads (CRM-D0..D3)
class OpportunityError(UserError):
    pass


class LeadError(UserError):
    pass


class LeadRateError(LeadError):
    pass
