# This file is part of the member_points module.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Member Points Configuration"
    __name__ = 'member.configuration'

    expiry_months = fields.Integer("Points Validity (months)", required=True,
        domain=[('expiry_months', '>=', 0)],
        help="Points expire this many months after they were earned; "
        "0 means they never expire.")
    adjust_approval_threshold = fields.Integer("Adjustment Approval Threshold", required=True,
        domain=[('adjust_approval_threshold', '>=', 0)],
        help="Manual adjustments above this number of points need approval.")

    @classmethod
    def default_expiry_months(cls):
        return 24

    @classmethod
    def default_adjust_approval_threshold(cls):
        return 1000
