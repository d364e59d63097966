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
        super().confirm(sales)
        cls._member_points_earn(sales)

    @classmethod
    def _member_points_earn(cls, sales):
        "Earn the points of the confirmed sales not yet earned, in one batch"
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        sales = [s for s in sales if s.state == 'confirmed']
        earned = {str(l.origin) for l in Line.search([
                    ('origin', 'in', [str(s) for s in sales]),
                    ('type', '=', 'earn'),
                    ('reversed_by', '=', None),
                    ])}
        sales = [s for s in sales if str(s) not in earned]
        members = Member.get_members_of_parties({s.party for s in sales})
        Member.earn_many([{
                    'member': member,
                    'amounts': sale._member_points_amounts(),
                    'origin': str(sale),
                    'date': sale.sale_date,
                    'description': sale.number,
                    }
                for sale in sales
                for member in members.get(sale.party.id, [])])

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
