# This file is part of the oa_workflow module.
"""Stock moves of office supplies: purchase-in, requisition-out, return and
stock-taking differences. A posted move is final; the stock of its item
changes when it is posted."""
import datetime as dt

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    Check, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from .item_line import ItemLineMixin

TYPES = [
    ('purchase', "Purchase-In"),
    ('requisition', "Requisition-Out"),
    ('return', "Return"),
    ('gain', "Stock-Taking Surplus"),
    ('loss', "Stock-Taking Shortage"),
    ]
# The sign of each type on the stock
SIGN = {
    'purchase': 1,
    'requisition': -1,
    'return': 1,
    'gain': 1,
    'loss': -1,
    }
# Types the office administrator enters by hand; the others come from
# requisitions and stock-takings
MANUAL = ('purchase', 'return')


class Move(ItemLineMixin, Workflow, ModelSQL, ModelView):
    "Office Supply Move"
    __name__ = 'oa.supply.move'
    __string__ = "Office Supply Move"

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    item = fields.Many2One(
        'oa.supply.item', "Item", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_states)
    type = fields.Selection(
        TYPES, "Type", required=True, sort=False, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    quantity = fields.Integer(
        "Quantity", required=True, states=_states,
        help="Always positive; the type tells whether it enters or leaves "
        "the stock.")
    delta = fields.Integer(
        "Stock Change", readonly=True,
        help="The signed change of the stock.")
    unit_price = fields.Numeric(
        "Unit Price", digits=(16, 2),
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('type') != 'purchase',
            })
    supplier = fields.Many2One(
        'party.party', "Supplier", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('type') != 'purchase',
            })
    requisition = fields.Many2One(
        'oa.supply.requisition', "Requisition", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('type') == 'return', ('state', '=', 'issued'), ()),
            ],
        states={
            'readonly': _states['readonly'],
            'invisible': ~Eval('type').in_(['requisition', 'return']),
            },
        help="For a return: the requisition the items were issued by.")
    department = fields.Many2One(
        'oa.department', "Department", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'invisible': ~Eval('type').in_(['requisition', 'return']),
            },
        help="The department the usage is counted for.")
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': _states['readonly'],
            'invisible': ~Eval('type').in_(['requisition', 'return']),
            })
    stocktaking = fields.Many2One(
        'oa.supply.stocktaking', "Stock-Taking", readonly=True,
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('type').in_(['gain', 'loss']),
            })
    note = fields.Char("Note", states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Posted"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    posted_at = fields.DateTime("Posted At", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('quantity_positive', Check(t, t.quantity > 0),
                'oa_workflow.msg_supply_move_quantity_db'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.item, Index.Equality()), (t.date, Index.Range())),
                Index(t, (t.company, Index.Equality()),
                    (t.date, Index.Range()),
                    where=t.state == 'done'),
                Index(t, (t.requisition, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'done'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'post': {
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
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_type(cls):
        return Transaction().context.get('supply_move_type', 'purchase')

    @fields.depends('item', 'type', 'unit_price')
    def on_change_item(self):
        if self.item and self.type == 'purchase' and not self.unit_price:
            self.unit_price = self.item.unit_price

    @fields.depends('requisition', 'department', 'employee')
    def on_change_requisition(self):
        if self.requisition:
            self.department = self.requisition.department
            self.employee = self.requisition.employee

    def get_rec_name(self, name):
        types = dict(self.__class__.fields_get(['type'])['type']['selection'])
        return '%s %s %+d %s' % (
            types.get(self.type, ''), self.item.rec_name,
            SIGN.get(self.type, 1) * (self.quantity or 0), self.item.unit)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('item.rec_name',) + tuple(clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        cls.check_item_quantity(values)
        if mode == 'create' and values.get('type') and values.get('quantity'):
            values['delta'] = SIGN[values['type']] * values['quantity']
        return values

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for moves, values in zip(actions, actions):
            if {'type', 'quantity'} & set(values):
                # keep the signed change in step with the type and quantity
                for move in moves:
                    type_ = values.get('type', move.type)
                    quantity = values.get('quantity', move.quantity)
                    args.extend(([move], dict(
                                values, delta=SIGN[type_] * quantity)))
            else:
                args.extend((moves, values))
        super().write(*args)

    @classmethod
    def validate_fields(cls, moves, field_names):
        super().validate_fields(moves, field_names)
        for move in moves:
            if move.unit_price is not None and move.unit_price < 0:
                raise ValidationError(gettext(
                        'oa_workflow.msg_supply_move_price',
                        item=move.item.rec_name))

    @classmethod
    def check_modification(cls, mode, moves, values=None, external=False):
        super().check_modification(
            mode, moves, values=values, external=external)
        if mode == 'delete' or (mode == 'write' and set(values or {}) - {
                    'state', 'posted_at', 'note'}):
            for move in moves:
                if move.state == 'done':
                    raise UserError(gettext(
                            'oa_workflow.msg_supply_move_posted',
                            move=move.rec_name))
        if mode == 'create' and external:
            for move in moves:
                if move.type not in MANUAL:
                    raise UserError(gettext(
                            'oa_workflow.msg_supply_move_manual_type',
                            move=move.rec_name))

    @classmethod
    def copy(cls, moves, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('posted_at', None)
        default.setdefault('stocktaking', None)
        return super().copy(moves, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def post(cls, moves):
        "Post the moves: the stock of their items changes"
        pool = Pool()
        Item = pool.get('oa.supply.item')
        deltas = {}
        prices = {}
        for move in moves:
            deltas[move.item.id] = (
                deltas.get(move.item.id, 0) + SIGN[move.type] * move.quantity)
            if move.type == 'purchase' and move.unit_price is not None:
                prices[move.item] = move.unit_price
        cls.check_returns(moves)
        Item.change_stock(deltas)
        cls.write(moves, {'posted_at': dt.datetime.now()})
        for item, price in prices.items():
            item.unit_price = price
        Item.save(list(prices))

    @classmethod
    def save_and_post(cls, moves):
        """Save and post the moves built by requisitions and stock-takings
        (whose user may not be allowed to create moves)"""
        with without_check_access():
            cls.save(moves)
            cls.post(moves)

    @classmethod
    def check_returns(cls, moves):
        "A return never exceeds what its requisition issued"
        for move in moves:
            if move.type != 'return' or not move.requisition:
                continue
            issued = returned = 0
            for other in move.requisition.moves:
                if other.item != move.item or other.state != 'done':
                    continue
                if other.type == 'requisition':
                    issued += other.quantity
                elif other.type == 'return' and other != move:
                    returned += other.quantity
            if returned + move.quantity > issued:
                raise UserError(gettext(
                        'oa_workflow.msg_supply_return_exceeds',
                        item=move.item.rec_name,
                        requisition=move.requisition.rec_name,
                        returnable=issued - returned, unit=move.item.unit))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, moves):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, moves):
        pass
