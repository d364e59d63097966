# This file is part of the member_points module.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval


class Purchase(Workflow, ModelSQL, ModelView):
    "Member Purchase"
    __name__ = 'member.purchase'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    member = fields.Many2One('member.member', "Member", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[('state', '=', 'active')])
    date = fields.Date("Date", required=True, states=_states)
    amount = fields.Numeric("Amount", digits=(16, 2), required=True,
        states=_states, domain=[('amount', '>', 0)])
    category = fields.Many2One('product.category', "Product Category",
        ondelete='RESTRICT', states=_states)
    reference = fields.Char("Reference", states=_states)
    description = fields.Text("Description", states=_states)
    points = fields.Function(fields.Integer("Points"), 'get_points')
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.member, Index.Range()), (t.date, Index.Range())))
        cls._order.insert(0, ('date', 'DESC'))
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return self.reference or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('reference',) + tuple(clause[1:])]

    def get_points(self, name):
        pool = Pool()
        Line = pool.get('member.points.line')
        return sum(l.points for l in Line.search([
                    ('origin', '=', str(self)),
                    ('member', '=', self.member.id),
                    ]))

    @classmethod
    def check_modification(cls, mode, purchases, values=None, external=False):
        super().check_modification(
            mode, purchases, values=values, external=external)
        if mode == 'delete':
            for purchase in purchases:
                if purchase.state != 'draft':
                    raise AccessError(gettext(
                            'member_points.msg_purchase_delete_draft',
                            purchase=purchase.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, purchases):
        pool = Pool()
        Member = pool.get('member.member')
        for purchase in purchases:
            if purchase.member.state != 'active':
                raise AccessError(gettext(
                        'member_points.msg_member_not_active',
                        member=purchase.member.rec_name))
        Member.earn_many([{
                    'member': purchase.member,
                    'amounts': [
                        (purchase.category, Decimal(purchase.amount))],
                    'origin': str(purchase),
                    'date': purchase.date,
                    'description': purchase.reference,
                    } for purchase in purchases])

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, purchases):
        pool = Pool()
        Line = pool.get('member.points.line')
        Line.reverse_origins(
            [str(p) for p in purchases if p.state == 'confirmed'])
