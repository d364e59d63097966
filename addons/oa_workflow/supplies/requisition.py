# This file is part of the oa_workflow module.
"""Requisitions of office supplies (领用单)

An employee lists the items and quantities, submits the requisition to the
approval flows of ``oa.supply.requisition`` (``ApprovalWorkflowMixin``);
when it is approved the items are issued: one requisition-out move per line
is posted and the stock decreases. A requisition above the available stock is
refused at submission and again at issue (under row lock)."""
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval, If

from ..approval_workflow import ApprovalWorkflowMixin
from ..deletable import DeletableStatesMixin
from ..rec_name import RecNameSearchMixin
from ..requester import RequesterMixin, current_department
from .item_line import ItemLineMixin

STATES = [
    ('draft', "Draft"),
    ('waiting', "Waiting Approval"),
    ('issued', "Issued"),
    ('rejected', "Rejected"),
    ('cancelled', "Cancelled"),
    ]


class Requisition(DeletableStatesMixin, RecNameSearchMixin, RequesterMixin,
        ApprovalWorkflowMixin, Workflow, ModelSQL, ModelView):
    "Office Supply Requisition"
    __name__ = 'oa.supply.requisition'
    __string__ = "Office Supply Requisition"
    _rec_name_search_fields = [
        'employee.rec_name',
        'requester.rec_name',
        'purpose',
        'approval_number',
        ]
    _delete_message = 'oa_workflow.msg_supply_requisition_delete'
    _delete_message_name = 'requisition'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states=_states)
    requester = fields.Many2One(
        'res.user', "Requester", required=True, readonly=True,
        ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_states,
        help="The employee who receives the items.")
    department = fields.Many2One(
        'oa.department', "Department", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_states,
        help="The department the usage is counted for.")
    date = fields.Date("Date", required=True, states=_states)
    purpose = fields.Char("Purpose", states=_states)
    lines = fields.One2Many(
        'oa.supply.requisition.line', 'requisition', "Lines",
        states=_states)
    moves = fields.One2Many(
        'oa.supply.move', 'requisition', "Moves", readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    issued_at = fields.DateTime("Issued At", readonly=True)

    del _states

    # the approver may not be allowed to write the requisition nor the stock:
    # the transitions run without access check
    _approval_transitions = {
        'approved': 'issue',
        'rejected': 'reject',
        'cancelled': 'cancel',
        'returned': 'draft',
        'withdrawn': 'draft',
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'waiting'),
            ('waiting', 'issued'),
            ('waiting', 'draft'),
            ('waiting', 'rejected'),
            ('waiting', 'cancelled'),
            ('draft', 'cancelled'),
            ('rejected', 'draft'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['rejected', 'cancelled']),
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })
        # requisitions go to approval through the Request button only
        cls._buttons['submit_approval']['invisible'] = True

    @classmethod
    def default_department(cls):
        return current_department()

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('employee', 'department')
    def on_change_employee(self):
        if self.employee and self.employee.department:
            self.department = self.employee.department

    def get_rec_name(self, name):
        who = self.employee.rec_name if self.employee else (
            self.requester.rec_name if self.requester else '')
        parts = [who, str(self.date)]
        if self.approval_number:
            parts.append(self.approval_number)
        else:
            parts.append('#%s' % self.id)
        return ' '.join(p for p in parts if p)

    @classmethod
    def copy(cls, requisitions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('moves', None)
        default.setdefault('issued_at', None)
        default.setdefault('date', cls.default_date())
        default.setdefault('requester', cls.default_requester())
        return super().copy(requisitions, default=default)

    # Checks
    def needed(self):
        "The quantities of the lines per item id"
        result = {}
        for line in self.lines:
            result[line.item.id] = (
                result.get(line.item.id, 0) + line.quantity)
        return result

    @classmethod
    def check_available(cls, requisitions, lock=False):
        """Refuse, naming the item and its available quantity, the
        requisitions asking more than the stock"""
        pool = Pool()
        Item = pool.get('oa.supply.item')
        for requisition in requisitions:
            if not requisition.lines:
                raise UserError(gettext(
                        'oa_workflow.msg_supply_requisition_no_line',
                        requisition=requisition.rec_name))
            needed = requisition.needed()
            stock = Item.current_stock(needed, lock=lock)
            for item_id, quantity in sorted(needed.items()):
                if quantity > stock[item_id]:
                    item = Item(item_id)
                    raise UserError(gettext(
                            'oa_workflow.msg_supply_stock_insufficient',
                            item=item.rec_name, available=stock[item_id],
                            unit=item.unit, requested=quantity))

    # Workflow
    @classmethod
    @ModelView.button
    def request(cls, requisitions):
        "Submit to approval; approved requisitions are issued at once"
        requisitions = [r for r in requisitions if r.state == 'draft']
        cls.check_available(requisitions)
        cls.wait(requisitions)
        cls.submit_approval(requisitions)

    @classmethod
    @Workflow.transition('waiting')
    def wait(cls, requisitions):
        pass

    @classmethod
    @Workflow.transition('issued')
    def issue(cls, requisitions):
        "Post one requisition-out move per line: the stock decreases"
        pool = Pool()
        Move = pool.get('oa.supply.move')
        Date = pool.get('ir.date')
        cls.check_available(requisitions, lock=True)
        today = Date.today()
        moves = []
        for requisition in requisitions:
            for line in requisition.lines:
                moves.append(Move(
                        company=requisition.company,
                        item=line.item,
                        type='requisition',
                        date=today,
                        quantity=line.quantity,
                        requisition=requisition,
                        department=requisition.department,
                        employee=requisition.employee,
                        note=line.note))
        Move.save_and_post(moves)
        cls.write(requisitions, {'issued_at': max(
                    m.posted_at for m in moves)} if moves else {})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requisitions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, requisitions):
        pass

    @classmethod
    @Workflow.transition('rejected')
    def reject(cls, requisitions):
        pass

class RequisitionLine(ItemLineMixin, ModelSQL, ModelView):
    "Office Supply Requisition Line"
    __name__ = 'oa.supply.requisition.line'
    __string__ = "Office Supply Requisition Line"
    __access__ = {'requisition'}

    requisition = fields.Many2One(
        'oa.supply.requisition', "Requisition", required=True,
        ondelete='CASCADE')
    item = fields.Many2One(
        'oa.supply.item', "Item", required=True, ondelete='RESTRICT',
        domain=[
            If(Eval('_parent_requisition', {}).get('company'),
                ('company', '=',
                    Eval('_parent_requisition', {}).get('company', -1)),
                ()),
            ])
    quantity = fields.Integer("Quantity", required=True)
    available = fields.Function(
        fields.Integer(
            "In Stock", help="The quantity in stock now."),
        'on_change_with_available')
    note = fields.Char("Note")

    @classmethod
    def default_quantity(cls):
        return 1

    @fields.depends('item')
    def on_change_with_available(self, name=None):
        return self.item.quantity if self.item else None

    def get_rec_name(self, name):
        return '%s × %s %s' % (
            self.item.rec_name, self.quantity, self.item.unit)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        cls.check_item_quantity(values)
        return values

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        for line in lines:
            requisition = line.requisition
            if mode == 'delete' and (
                    requisition.state in requisition._deletable_states):
                # with a cancelled requisition, its lines are deleted
                continue
            if requisition.state != 'draft':
                raise AccessError(gettext(
                        'oa_workflow.msg_supply_requisition_modify',
                        requisition=line.requisition.rec_name))
