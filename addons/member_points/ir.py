# This file is part of the member_points module.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('member.points.line|expire_points', "Expire Member Points"),
                ('member.member|grant_birthday_points',
                    "Grant Member Birthday Points"),
                ('member.member|downgrade_tiers', "Downgrade Member Tiers"),
                ])
