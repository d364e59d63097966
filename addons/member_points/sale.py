# This file is part of the member_points module.
from collections import defaultdict
from decimal import Decimal

from trytond.pool import Pool, PoolMeta


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def _member_points_amounts(self):
        "Return the list of (product category, amount) of the sale"
        amounts = defaultdict(Decimal)
        for line in self.lines:
            if getattr(line, 'type', 'line') != 'line' or not line.amount:
                continue
            category = None
            if line.product and line.product.template.categories:
                category = line.product.template.categories[0]
            amounts[category] += line.amount
        return list(amounts.items())

    @classmethod
    def confirm(cls, sales):
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        super().confirm(sales)
        for sale in sales:
            if sale.state != 'confirmed':
                continue
            if Line.search([
                        ('origin', '=', str(sale)),
                        ('type', '=', 'earn'),
                        ('reversed_by', '=', None),
                        ], limit=1):
                continue
            for member in Member.get_members(sale.party):
                Member.earn(member, sale._member_points_amounts(), str(sale),
                    date=sale.sale_date, description=sale.number)

    @classmethod
    def _member_points_reverse(cls, sales):
        pool = Pool()
        Line = pool.get('member.points.line')
        Line.reverse_origins([str(s) for s in sales])

    @classmethod
    def draft(cls, sales):
        confirmed = [s for s in sales if s.state == 'confirmed']
        super().draft(sales)
        cls._member_points_reverse(confirmed)

    @classmethod
    def cancel(cls, sales):
        super().cancel(sales)
        cls._member_points_reverse(sales)
