# This file is part of the member_points module.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Member Points Configuration"
    __name__ = 'member.configuration'

    member_sequence = fields.Many2One(
        'ir.sequence', "Member Card Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('member_points', 'sequence_type_member')),
            ],
        help="Used to number the cards of new members.")
    expiry_months = fields.Integer("Points Validity (months)", required=True,
        domain=[('expiry_months', '>=', 0)],
        help="Points expire this many months after they were earned; "
        "0 means they never expire.")
    adjust_approval_threshold = fields.Integer("Adjustment Approval Threshold", required=True,
        domain=[('adjust_approval_threshold', '>=', 0)],
        help="Manual adjustments above this number of points need approval.")
    referral_first_points = fields.Integer(
        "Referral Points on First Purchase", required=True,
        domain=[('referral_first_points', '>=', 0)],
        help="Points given to the introducer when the referee makes "
        "their first purchase.")
    referral_percentage = fields.Numeric(
        "Referral Percentage", digits=(16, 2), required=True,
        domain=[
            ('referral_percentage', '>=', 0),
            ('referral_percentage', '<=', 100),
            ],
        help="Percentage of the points earned by the referee "
        "that is also given to the introducer.")
    birthday_points = fields.Integer("Birthday Points", required=True,
        domain=[('birthday_points', '>=', 0)],
        help="Points given to each active member on their birthday.")
    tier_downgrade = fields.Boolean("Tier Downgrade",
        help="Check to downgrade members at period end when the points "
        "earned over the rolling window no longer reach their tier.")
    downgrade_window_months = fields.Integer(
        "Downgrade Window (months)",
        domain=[
            ('downgrade_window_months', '>', 0),
            ],
        states={
            'required': Eval('tier_downgrade', False),
            'invisible': ~Eval('tier_downgrade', False),
            })

    @classmethod
    def default_member_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('member_points', 'sequence_member')
        except KeyError:
            return None

    @classmethod
    def default_expiry_months(cls):
        return 24

    @classmethod
    def default_adjust_approval_threshold(cls):
        return 1000

    @classmethod
    def default_referral_first_points(cls):
        return 0

    @classmethod
    def default_referral_percentage(cls):
        return 0

    @classmethod
    def default_birthday_points(cls):
        return 0

    @classmethod
    def default_tier_downgrade(cls):
        return False

    @classmethod
    def default_downgrade_window_months(cls):
        return 12
