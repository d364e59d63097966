# This file is part of the oa_workflow module.
"""Usage of office supplies per department and period: the requisition-out
moves less the returns, summed in one query (table_query) for the period
and company of the context."""
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction


class UsageContext(ModelView):
    "Office Supply Usage Context"
    __name__ = 'oa.supply.usage.context'
    __string__ = "Office Supply Usage Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[If(Eval('to_date'), ('from_date', '<=', Eval('to_date')),
                ())])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[If(Eval('from_date'), ('to_date', '>=', Eval('from_date')),
                ())])
    department = fields.Many2One(
        'oa.department', "Department",
        domain=[('company', '=', Eval('company', -1))],
        help="Only this department and its sub-departments.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        today = Pool().get('ir.date').today()
        return Transaction().context.get('from_date') or today.replace(day=1)

    @classmethod
    def default_to_date(cls):
        return (Transaction().context.get('to_date')
            or Pool().get('ir.date').today())

    @classmethod
    def default_department(cls):
        return Transaction().context.get('department')


class Usage(ModelSQL, ModelView):
    "Office Supply Usage"
    __name__ = 'oa.supply.usage'
    __string__ = "Office Supply Usage"

    department = fields.Many2One('oa.department', "Department")
    item = fields.Many2One('oa.supply.item', "Item")
    unit = fields.Char("Unit")
    quantity = fields.Integer(
        "Quantity", help="Issued less returned in the period.")
    amount = fields.Numeric(
        "Amount", digits=(16, 2),
        help="The quantity valued at the item's reference price.")
    requisitions = fields.Integer("Requisitions")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('department', 'ASC'), ('quantity', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Move = pool.get('oa.supply.move')
        Item = pool.get('oa.supply.item')
        Department = pool.get('oa.department')
        context = Transaction().context
        move = Move.__table__()
        item = Item.__table__()
        used = -move.delta
        where = ((move.state == 'done')
            & move.type.in_(['requisition', 'return'])
            & (move.company == context.get('company', -1)))
        if context.get('from_date'):
            where &= move.date >= context['from_date']
        if context.get('to_date'):
            where &= move.date <= context['to_date']
        if context.get('department'):
            where &= move.department.in_(
                Department.descendants([context['department']]))
        return move.join(item, condition=move.item == item.id).select(
            Min(move.id).as_('id'),
            move.department.as_('department'),
            move.item.as_('item'),
            Min(item.unit).as_('unit'),
            Sum(used).as_('quantity'),
            cls.amount.sql_cast(
                Sum(used * Coalesce(item.unit_price, 0))).as_('amount'),
            Count(move.requisition, distinct=True).as_('requisitions'),
            where=where,
            group_by=[move.department, move.item])

    def get_rec_name(self, name):
        return '%s - %s' % (
            self.department.rec_name if self.department else '',
            self.item.rec_name if self.item else '')
