# This file is part of the oa_workflow module.
"""Stock-taking (盘点): the office administrator counts the items; when the
stock-taking is done the differences between the counted quantities and the
stock at that moment are posted as surplus or shortage moves."""
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from ..deletable import DeletableStatesMixin
from .item_line import ItemLineMixin


class StockTaking(DeletableStatesMixin, Workflow, ModelSQL, ModelView):
    "Office Supply Stock-Taking"
    __name__ = 'oa.supply.stocktaking'
    __string__ = "Office Supply Stock-Taking"
    _delete_message = 'oa_workflow.msg_supply_stocktaking_delete'
    _delete_message_name = 'stocktaking'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    date = fields.Date("Date", required=True, states=_states)
    counted_by = fields.Many2One(
        'res.user', "Counted By", ondelete='RESTRICT', states=_states)
    note = fields.Text("Note")
    lines = fields.One2Many(
        'oa.supply.stocktaking.line', 'stocktaking', "Lines",
        states=_states)
    moves = fields.One2Many(
        'oa.supply.move', 'stocktaking', "Difference Moves", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'done'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'fill_lines': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'done': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_counted_by(cls):
        return Transaction().user or None

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return '%s #%s' % (self.date, self.id)

    @classmethod
    def copy(cls, stocktakings, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('moves', None)
        default.setdefault('date', cls.default_date())
        return super().copy(stocktakings, default=default)

    @classmethod
    @ModelView.button
    def fill_lines(cls, stocktakings):
        """Add a line for every active item not listed yet, counted as the
        current stock (to be corrected by the counter)"""
        pool = Pool()
        Item = pool.get('oa.supply.item')
        Line = pool.get('oa.supply.stocktaking.line')
        lines = []
        for stocktaking in stocktakings:
            if stocktaking.state != 'draft':
                continue
            listed = {l.item.id for l in stocktaking.lines}
            items = Item.search([
                    ('company', '=', stocktaking.company.id),
                    ('id', 'not in', list(listed)),
                    ], order=[('name', 'ASC'), ('id', 'ASC')])
            lines.extend(Line(
                    stocktaking=stocktaking, item=item,
                    expected_quantity=item.quantity,
                    counted_quantity=item.quantity)
                for item in items)
        Line.save(lines)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, stocktakings):
        """Post the differences between the counted quantities and the stock
        now (locked, so no requisition slips in between)"""
        pool = Pool()
        Item = pool.get('oa.supply.item')
        Line = pool.get('oa.supply.stocktaking.line')
        Move = pool.get('oa.supply.move')
        lines = [l for s in stocktakings for l in s.lines]
        for stocktaking in stocktakings:
            if not stocktaking.lines:
                raise UserError(gettext(
                        'oa_workflow.msg_supply_stocktaking_no_line',
                        stocktaking=stocktaking.rec_name))
        for line in lines:
            if line.counted_quantity is None:
                raise UserError(gettext(
                        'oa_workflow.msg_supply_stocktaking_not_counted',
                        item=line.item.rec_name))
        stock = Item.current_stock([l.item.id for l in lines], lock=True)
        moves = []
        for line in lines:
            line.expected_quantity = stock[line.item.id]
            difference = line.counted_quantity - line.expected_quantity
            if difference:
                moves.append(Move(
                        company=line.stocktaking.company,
                        item=line.item,
                        type='gain' if difference > 0 else 'loss',
                        date=line.stocktaking.date,
                        quantity=abs(difference),
                        stocktaking=line.stocktaking,
                        note=line.note))
        Line.save(lines)
        Move.save_and_post(moves)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, stocktakings):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, stocktakings):
        pass


class StockTakingLine(ItemLineMixin, ModelSQL, ModelView):
    "Office Supply Stock-Taking Line"
    __name__ = 'oa.supply.stocktaking.line'
    __string__ = "Office Supply Stock-Taking Line"
    __access__ = {'stocktaking'}

    stocktaking = fields.Many2One(
        'oa.supply.stocktaking', "Stock-Taking", required=True,
        ondelete='CASCADE')
    item = fields.Many2One(
        'oa.supply.item', "Item", required=True, ondelete='RESTRICT',
        domain=[
            ('company', '=',
                Eval('_parent_stocktaking', {}).get('company', -1)),
            ])
    expected_quantity = fields.Integer(
        "Expected", readonly=True,
        help="The stock when the line was added; set again to the stock at "
        "the moment the stock-taking is done.")
    counted_quantity = fields.Integer(
        "Counted", help="The quantity found on the shelves.")
    difference = fields.Function(
        fields.Integer("Difference"), 'on_change_with_difference')
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('item_unique', Unique(t, t.stocktaking, t.item),
                'oa_workflow.msg_supply_stocktaking_item_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.stocktaking, Index.Equality())))

    @fields.depends('item', 'expected_quantity', 'counted_quantity')
    def on_change_item(self):
        if self.item:
            self.expected_quantity = self.item.quantity

    @fields.depends('expected_quantity', 'counted_quantity')
    def on_change_with_difference(self, name=None):
        if self.counted_quantity is not None:
            return self.counted_quantity - (self.expected_quantity or 0)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        cls.check_item_quantity(
            values, name='counted_quantity', minimum=0,
            message='oa_workflow.msg_supply_counted_negative')
        return values

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode == 'write' and not external and (
                set(values or {}) <= {'expected_quantity'}):
            return
        for line in lines:
            if line.stocktaking.state != 'draft':
                raise AccessError(gettext(
                        'oa_workflow.msg_supply_stocktaking_modify',
                        stocktaking=line.stocktaking.rec_name))
