# This file is part of the oa_workflow module.
"""Records counting a quantity of an office supply item (moves, requisition
and stock-taking lines)

``ItemLineMixin`` gives them the unit of the item and checks their quantities
before they are saved, naming the item in the message."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool


class ItemLineMixin(object):
    "The unit of the item, and the check of the quantities"
    __slots__ = ()

    unit = fields.Function(fields.Char("Unit"), 'on_change_with_unit')

    @fields.depends('item')
    def on_change_with_unit(self, name=None):
        return self.item.unit if self.item else None

    @classmethod
    def check_item_quantity(cls, values, name='quantity', minimum=1,
            message='oa_workflow.msg_supply_move_quantity'):
        """Refuse the values whose quantity field name is below minimum
        with the message (taking item and quantity)"""
        quantity = values.get(name)
        if quantity is not None and quantity < minimum:
            Item = Pool().get('oa.supply.item')
            item = Item(values['item']) if values.get('item') else None
            raise ValidationError(gettext(
                    message, item=item.rec_name if item else '',
                    quantity=quantity))
