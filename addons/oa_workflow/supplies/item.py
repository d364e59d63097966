# This file is part of the oa_workflow module.
"""Office supply items and their stock

The stock of an item is the sum of its posted moves; it is kept in the
``quantity`` column, changed only by ``Item.change_stock`` in one UPDATE
after the item rows are locked (``row_lock.lock_rows``),
and a CHECK constraint keeps it from ever going below zero, also under
concurrent requisitions."""
from sql import Literal, Null
from sql.conditionals import Case

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool, PoolMeta
from trytond.model.fields import SQL_OPERATORS
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from ..approval import notify
from ..rec_name import RecNameSearchMixin
from ..row_lock import lock_rows


class Item(RecNameSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    "Office Supply Item"
    __name__ = 'oa.supply.item'
    __string__ = "Office Supply Item"
    _rec_name_search_fields = ['name', 'code', 'category']

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", strip=True)
    category = fields.Char(
        "Category", help="A free grouping, e.g. stationery, paper, toner.")
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    unit = fields.Char(
        "Unit", required=True,
        help="The unit the item is counted in, e.g. piece, box, ream.")
    minimum_stock = fields.Integer(
        "Minimum Stock", required=True,
        domain=[('minimum_stock', '>=', 0)],
        help="Below this quantity the item is reported as low on stock and "
        "the office administrators are notified.")
    unit_price = fields.Numeric(
        "Reference Price", digits=(16, 2),
        domain=['OR', ('unit_price', '=', None), ('unit_price', '>=', 0)],
        help="Used to value the usage; the purchase-in sets it to the "
        "latest purchase price.")
    quantity = fields.Integer(
        "Stock", readonly=True,
        help="The quantity in stock: the sum of the posted moves.")
    low_stock = fields.Function(fields.Boolean(
            "Low Stock", help="The stock is below the minimum."),
        'get_low_stock', searcher='search_low_stock')
    low_stock_warned = fields.Boolean(
        "Low Stock Notified", readonly=True,
        help="The office administrators were notified of the low stock; "
        "cleared when the stock is back to the minimum.")
    moves = fields.One2Many(
        'oa.supply.move', 'item', "Moves", readonly=True,
        order=[('date', 'DESC'), ('id', 'DESC')])
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'oa_workflow.msg_supply_item_code_unique'),
            ('quantity_positive', Check(t, t.quantity >= 0),
                'oa_workflow.msg_supply_stock_negative_db'),
            ('minimum_stock_positive', Check(t, t.minimum_stock >= 0),
                'oa_workflow.msg_supply_minimum_negative'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.company, Index.Equality()),
                where=t.quantity < t.minimum_stock))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_minimum_stock(cls):
        return 0

    @classmethod
    def default_quantity(cls):
        return 0

    @classmethod
    def default_low_stock_warned(cls):
        return False

    def get_rec_name(self, name):
        if self.code:
            return '[%s] %s' % (self.code, self.name)
        return self.name

    def get_low_stock(self, name):
        return (self.quantity or 0) < (self.minimum_stock or 0)

    @classmethod
    def search_low_stock(cls, name, clause):
        table = cls.__table__()
        _, operator, value = clause[:3]
        low = table.quantity < table.minimum_stock
        wanted = bool(value) == (operator == '=')
        query = table.select(table.id, where=low if wanted else ~low)
        return [('id', 'in', query)]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if (values.get('minimum_stock') or 0) < 0:
            raise UserError(gettext(
                    'oa_workflow.msg_supply_minimum_negative'))
        return values

    @classmethod
    def copy(cls, items, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('quantity', 0)
        default.setdefault('moves', None)
        default.setdefault('low_stock_warned', False)
        default.setdefault('code', None)
        return super().copy(items, default=default)

    @classmethod
    def check_modification(cls, mode, items, values=None, external=False):
        super().check_modification(
            mode, items, values=values, external=external)
        if external and mode == 'write' and 'quantity' in (values or {}):
            raise UserError(gettext(
                    'oa_workflow.msg_supply_stock_readonly'))

    # Stock
    @classmethod
    def current_stock(cls, ids, lock=False):
        """Return {id: quantity} of the items; with lock, the rows are locked
        until the end of the transaction, waiting for the concurrent
        requisitions (row_lock)"""
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        if lock:
            lock_rows(cls.browse(sorted(set(ids))))
        result = {}
        for sub_ids in grouped_slice(
                sorted(set(ids)), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.id, table.quantity,
                    where=SQL_OPERATORS['in'](table.id, list(sub_ids))))
            result.update(cursor)
        return result

    @classmethod
    def change_stock(cls, deltas):
        """Add the {item id: signed quantity} to the stock, refusing with a
        message naming the item when its stock would go below zero"""
        deltas = {i: d for i, d in deltas.items() if d}
        if not deltas:
            return
        current = cls.current_stock(deltas, lock=True)
        short = [i for i in sorted(deltas) if current[i] + deltas[i] < 0]
        if short:
            item = cls(short[0])
            raise UserError(gettext(
                    'oa_workflow.msg_supply_stock_insufficient',
                    item=item.rec_name, available=current[item.id],
                    unit=item.unit, requested=-deltas[item.id]))
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.quantity],
                [table.quantity + Case(
                        *((table.id == i, d) for i, d in deltas.items()),
                        else_=Literal(0))],
                where=SQL_OPERATORS['in'](table.id, list(deltas))))
        _clear_cache(cls)

    # Low stock
    @classmethod
    def cron_low_stock(cls):
        """Notify the office administrators, once, of the items that went
        below their minimum; forget the warning of restocked items"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        low = (table.quantity < table.minimum_stock) & table.active
        cursor.execute(*table.update(
                [table.low_stock_warned], [False],
                where=table.low_stock_warned & ~low))
        cursor.execute(*table.select(
                table.id,
                where=low & (
                    (table.low_stock_warned == Null)
                    | ~table.low_stock_warned),
                order_by=table.name.asc))
        ids = [i for i, in cursor]
        _clear_cache(cls)
        if not ids:
            return []
        items = cls.browse(ids)
        group_id = ModelData.get_id('oa_workflow', 'group_office_admin')
        admins = User.search([('groups', '=', group_id)])
        label = gettext(
            'oa_workflow.msg_supply_low_stock_notification', count=len(items))
        description = '\n'.join(gettext(
                'oa_workflow.msg_supply_low_stock_line',
                item=i.rec_name, quantity=i.quantity, unit=i.unit,
                minimum=i.minimum_stock) for i in items)
        notify(admins, label, cls.__name__, items, description=description)
        cursor.execute(*table.update(
                [table.low_stock_warned], [True],
                where=SQL_OPERATORS['in'](table.id, ids)))
        _clear_cache(cls)
        return items


def _clear_cache(Model):
    "Forget the cached values after an SQL update"
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            cache[Model.__name__].clear()


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('oa.supply.item|cron_low_stock',
                "Notify Low Stock of Office Supplies"))
