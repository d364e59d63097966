# This file is part of the partner_portal module.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Partner Portal Configuration"
    __name__ = 'partner.portal.configuration'

    session_hours = fields.Integer("Session Lifetime (hours)", required=True,
        domain=[('session_hours', '>', 0)],
        help="A partner is logged out after this many hours.")
    protection_days = fields.Integer("Deal Protection (days)", required=True,
        domain=[('protection_days', '>=', 0)],
        help="How long an accepted deal registration protects the customer "
        "for the partner.")

    @classmethod
    def default_session_hours(cls):
        return 8

    @classmethod
    def default_protection_days(cls):
        return 90
