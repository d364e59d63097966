# This file is part of the member_points module.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class InsufficientPointsError(UserError):
    pass


class OutOfStockError(UserError):
    pass


class PointsValidationError(ValidationError):
    pass
