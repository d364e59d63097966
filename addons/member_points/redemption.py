# This file is part of the member_points module.
from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from oa_workflow.deletable import DeletableStatesMixin
from oa_workflow.rec_name import RecNameSearchMixin
from oa_workflow.row_lock import lock_rows

from .exceptions import OutOfStockError
from .member import invalidate_cache


class Gift(DeactivableMixin, ModelSQL, ModelView):
    "Member Gift"
    __name__ = 'member.gift'

    name = fields.Char("Name", required=True, translate=True)
    type = fields.Selection([
            ('gift', "Gift"),
            ('service', "Service"),
            ], "Type", required=True)
    product = fields.Many2One('product.product', "Product",
        ondelete='RESTRICT',
        help="The product delivered or the service performed.")
    points_price = fields.Integer("Points Price", required=True,
        domain=[('points_price', '>', 0)])
    quantity = fields.Integer("Quantity in Stock",
        domain=['OR',
            ('quantity', '=', None),
            ('quantity', '>=', 0),
            ],
        states={
            'invisible': Eval('type') != 'gift',
            'required': Eval('type') == 'gift',
            },
        help="Gifts available for redemption.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('quantity_positive', Check(t, t.quantity >= 0),
                'member_points.msg_gift_quantity_positive'),
            ('points_price_positive', Check(t, t.points_price > 0),
                'member_points.msg_gift_points_price_positive'),
            ]

    @classmethod
    def default_type(cls):
        return 'gift'

    @classmethod
    def default_quantity(cls):
        return 0

    @classmethod
    def read_quantities(cls, ids):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.quantity,
                where=table.id.in_(list(ids) or [-1])))
        return dict(cursor)

    @classmethod
    def _update_quantities(cls, deltas):
        "Apply {gift id: delta}, never below zero"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for gift_id, delta in deltas.items():
            where = table.id == gift_id
            if delta < 0:
                where &= (table.quantity + delta) >= 0
            cursor.execute(*table.update(
                    [table.quantity], [table.quantity + delta],
                    where=where))
            if cursor.rowcount != 1:
                gift = cls(gift_id)
                raise OutOfStockError(gettext(
                        'member_points.msg_gift_out_of_stock',
                        gift=gift.rec_name,
                        quantity=cls.read_quantities([gift_id])[gift_id],
                        requested=-delta))
        invalidate_cache(cls, list(deltas))


class Redemption(DeletableStatesMixin, RecNameSearchMixin, Workflow, ModelSQL,
        ModelView):
    "Member Redemption"
    __name__ = 'member.redemption'
    _rec_name_search_fields = ['member.rec_name', 'gift.rec_name']
    _delete_message = 'member_points.msg_redemption_delete'
    _delete_message_name = 'redemption'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[('state', '=', 'active')])
    gift = fields.Many2One('member.gift', "Gift", required=True,
        ondelete='RESTRICT', states=_states)
    gift_type = fields.Function(fields.Selection(
            'get_gift_types', "Gift Type"), 'on_change_with_gift_type')
    quantity = fields.Integer("Quantity", required=True, states=_states,
        domain=[('quantity', '>', 0)])
    points = fields.Integer("Points", readonly=True,
        help="The points taken from the member.")
    date = fields.Date("Date", required=True, states=_states)
    delivery_date = fields.Date("Delivery Date",
        states={
            'readonly': Eval('state') != 'requested',
            })
    address = fields.Char("Delivery Address", states={
            'readonly': Eval('state').in_(['delivered', 'cancelled']),
            'invisible': Eval('gift_type') != 'gift',
            })
    comment = fields.Text("Comment")
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('delivered', "Delivered"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_constraints += [
            ('quantity_positive', Check(t, t.quantity > 0),
                'member_points.msg_redemption_quantity_positive'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.member, Index.Range()), (t.date, Index.Range())))
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low')),
                where=t.state.in_(['draft', 'requested'])))
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))
        cls._transitions |= {
            ('draft', 'requested'),
            ('requested', 'delivered'),
            ('draft', 'cancelled'),
            ('requested', 'cancelled'),
            }
        cls._buttons.update({
                'redeem': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'deliver': {
                    'invisible': Eval('state') != 'requested',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'requested']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_quantity(cls):
        return 1

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_gift_types(cls):
        pool = Pool()
        Gift = pool.get('member.gift')
        return Gift.fields_get(['type'])['type']['selection']

    @fields.depends('gift')
    def on_change_with_gift_type(self, name=None):
        if self.gift:
            return self.gift.type

    @fields.depends('gift', 'quantity')
    def on_change_with_points(self):
        if self.gift and self.quantity:
            return self.gift.points_price * self.quantity

    def get_rec_name(self, name):
        return f'{self.member.rec_name} - {self.gift.rec_name}'

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def redeem(cls, redemptions):
        """Take the points and the stock.

        The members and gifts are locked first, then everything is checked
        before anything is changed."""
        pool = Pool()
        Member = pool.get('member.member')
        Gift = pool.get('member.gift')
        Line = pool.get('member.points.line')
        Date = pool.get('ir.date')
        member_points, gift_quantities = {}, {}
        for redemption in redemptions:
            if redemption.member.state != 'active':
                raise AccessError(gettext(
                        'member_points.msg_member_not_active',
                        member=redemption.member.rec_name))
            member_points.setdefault(redemption.member.id, 0)
            member_points[redemption.member.id] += (
                redemption.gift.points_price * redemption.quantity)
            if redemption.gift.type == 'gift':
                gift_quantities.setdefault(redemption.gift.id, 0)
                gift_quantities[redemption.gift.id] += redemption.quantity
        Member.check_balances(member_points, lock=True)
        lock_rows(Gift.browse(sorted({r.gift.id for r in redemptions})))
        quantities = Gift.read_quantities(gift_quantities.keys())
        for gift_id, quantity in gift_quantities.items():
            if (quantities[gift_id] or 0) < quantity:
                raise OutOfStockError(gettext(
                        'member_points.msg_gift_out_of_stock',
                        gift=Gift(gift_id).rec_name,
                        quantity=quantities[gift_id] or 0,
                        requested=quantity))

        Gift._update_quantities(
            {g: -q for g, q in gift_quantities.items()})
        today = Date.today()
        entries = []
        for redemption in redemptions:
            redemption.points = (
                redemption.gift.points_price * redemption.quantity)
            entries.append({
                    'member': redemption.member.id,
                    'type': 'redeem',
                    'points': -redemption.points,
                    'date': today,
                    'origin': str(redemption),
                    'description': redemption.gift.rec_name,
                    })
        cls.save(redemptions)
        Line.post(entries)

    @classmethod
    @ModelView.button
    @Workflow.transition('delivered')
    def deliver(cls, redemptions):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for redemption in redemptions:
            if not redemption.delivery_date:
                redemption.delivery_date = today
        cls.save(redemptions)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, redemptions):
        "Restore the points and the stock of the requested redemptions"
        pool = Pool()
        Gift = pool.get('member.gift')
        Line = pool.get('member.points.line')
        requested = [r for r in redemptions if r.state == 'requested']
        if not requested:
            return
        lock_rows(Gift.browse(sorted({r.gift.id for r in requested})))
        gift_quantities = {}
        for redemption in requested:
            if redemption.gift.type == 'gift':
                gift_quantities.setdefault(redemption.gift.id, 0)
                gift_quantities[redemption.gift.id] += redemption.quantity
        Gift._update_quantities(gift_quantities)
        Line.reverse_origins([str(r) for r in requested])
