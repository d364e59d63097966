# This file is part of the crm_ext module.
import phonenumbers

from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "CRM Configuration"
    __name__ = 'crm.configuration'
    __string__ = "CRM Configuration"

    phone_region = fields.Char("Default Phone Region", size=2, required=True,
        help="Two-letter country code used to read phone numbers written "
        "without an international prefix (CN for mainland China).")
    default_pool = fields.Many2One(
        'crm.customer.pool', "Default Pool",
        help="The pool of new customers that match no other pool.")
    birthday_days = fields.Integer("Birthday Reminder Days",
        help="Owners are reminded of birthdays this many days before.")
    erase_retention_years = fields.Integer("Legal Retention (Years)",
        required=True, domain=[('erase_retention_years', '>=', 0)],
        help="A party named by sale orders or accounting entries cannot be "
        "erased before this many years after the end of their fiscal year: "
        "the law requires to keep them (30 years for accounting vouchers "
        "and books under the Accounting Archives Management Measures). "
        "0 keeps nothing.")

    @classmethod
    def default_phone_region(cls):
        return 'CN'

    @classmethod
    def default_erase_retention_years(cls):
        return 30

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if 'phone_region' in field_names:
            for configuration in configurations:
                region = (configuration.phone_region or '').upper()
                if region not in phonenumbers.SUPPORTED_REGIONS:
                    raise ValidationError(gettext(
                            'crm_ext.msg_invalid_phone_region',
                            region=configuration.phone_region))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('phone_region'):
            values['phone_region'] = values['phone_region'].strip().upper()
        return values
