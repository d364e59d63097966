# This file is part of the crm_ext module.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import (
    Transaction, check_access, without_check_access)

from .exceptions import OwnershipError


class CustomerFocus(ModelSQL, ModelView):
    "Customer Focus"
    __name__ = 'crm.customer.focus'
    __string__ = "Customer Focus"
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    kind = fields.Selection([
            ('key', "Key Customer"),
            ('follow', "Followed"),
            ], "Kind", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('focus_unique', Unique(t, t.user, t.kind, t.party),
                'crm_ext.msg_focus_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))

    @classmethod
    def default_user(cls):
        return Transaction().user

    @classmethod
    def validate_fields(cls, focuses, field_names):
        pool = Pool()
        Party = pool.get('party.party')
        super().validate_fields(focuses, field_names)
        if not Transaction().user:
            return
        context = Party._crm_user_context()
        employees = set(context['crm_employees'])
        for focus in focuses:
            party = focus.party
            if focus.kind == 'key':
                user = focus.user
                mine = {e.id for e in user.employees}
                if not party.owner or party.owner.id not in mine:
                    raise OwnershipError(gettext('crm_ext.msg_key_own_only',
                            party=party.rec_name))
            elif not (context['crm_all']
                    or party.ownership_state in {'open', None}
                    or (party.owner and party.owner.id in employees)
                    or party.id in context['crm_shared']):
                raise OwnershipError(gettext('crm_ext.msg_follow_forbidden',
                        party=party.rec_name))


class CustomerShare(ModelSQL, ModelView):
    "Customer Share"
    __name__ = 'crm.customer.share'
    __string__ = "Customer Share"
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Colleague", required=True, ondelete='CASCADE')
    mode = fields.Selection([
            ('read', "Read Only"),
            ('edit', "Editable"),
            ], "Access", required=True)
    shared_by = fields.Many2One('res.user', "Shared By", readonly=True)
    comment = fields.Char("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('party')
        t = cls.__table__()
        cls._sql_constraints += [
            ('share_unique', Unique(t, t.party, t.employee),
                'crm_ext.msg_share_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.employee, Index.Range())))

    @classmethod
    def default_mode(cls):
        return 'read'

    @classmethod
    def default_shared_by(cls):
        return Transaction().user or None

    @classmethod
    def on_modification(cls, mode, shares, field_names=None):
        super().on_modification(mode, shares, field_names=field_names)
        Pool().get('party.party')._crm_context_cache.clear()

    @classmethod
    def check_modification(cls, mode, shares, values=None, external=False):
        pool = Pool()
        Party = pool.get('party.party')
        super().check_modification(
            mode, shares, values=values, external=external)
        if external and Transaction().user:
            parties = [s.party for s in shares]
            # a customer the user may not read is refused without its name
            with check_access():
                Party.read([p.id for p in parties], ['id'])
            with without_check_access():
                if mode != 'delete':
                    for party in parties:
                        # only a customer with an owner is shared, by the
                        # owner or their managers
                        if not party.owner:
                            raise OwnershipError(gettext(
                                    'crm_ext.msg_share_without_owner',
                                    party=party.rec_name))
                Party._crm_check_manager(parties)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_shares = fields.One2Many(
        'crm.customer.share', 'party', "Shared With",
        states={'readonly': Eval('ownership_state') != 'locked'})
    crm_is_key = fields.Function(
        fields.Boolean("Key Customer"), 'get_crm_focus',
        searcher='search_crm_focus')
    crm_is_followed = fields.Function(
        fields.Boolean("Followed"), 'get_crm_focus',
        searcher='search_crm_focus')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'mark_key': {
                    'invisible': Eval('crm_is_key', False)
                    | (Eval('ownership_state') != 'locked'),
                    'depends': ['crm_is_key', 'ownership_state'],
                    },
                'unmark_key': {
                    'invisible': ~Eval('crm_is_key', False),
                    'depends': ['crm_is_key'],
                    },
                'follow': {
                    'invisible': Eval('crm_is_followed', False)
                    | ~Eval('ownership_state'),
                    'depends': ['crm_is_followed', 'ownership_state'],
                    },
                'unfollow': {
                    'invisible': ~Eval('crm_is_followed', False),
                    'depends': ['crm_is_followed'],
                    },
                })

    @classmethod
    def get_crm_focus(cls, parties, names):
        pool = Pool()
        Focus = pool.get('crm.customer.focus')
        result = {n: {p.id: False for p in parties} for n in names}
        kinds = {'crm_is_key': 'key', 'crm_is_followed': 'follow'}
        with without_check_access():
            focuses = Focus.search([
                    ('user', '=', Transaction().user),
                    ('party', 'in', [p.id for p in parties]),
                    ])
        for focus in focuses:
            for name in names:
                if kinds[name] == focus.kind:
                    result[name][focus.party.id] = True
        return result

    @classmethod
    def search_crm_focus(cls, name, clause):
        pool = Pool()
        Focus = pool.get('crm.customer.focus')
        focus = Focus.__table__()
        kind = {'crm_is_key': 'key', 'crm_is_followed': 'follow'}[name]
        _, operator, value = clause[:3]
        query = focus.select(focus.party,
            where=(focus.user == Transaction().user) & (focus.kind == kind))
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in', query)]

    @classmethod
    def _crm_focus(cls, parties, kind, add):
        pool = Pool()
        Focus = pool.get('crm.customer.focus')
        user = Transaction().user
        with without_check_access():
            existing = Focus.search([
                    ('user', '=', user), ('kind', '=', kind),
                    ('party', 'in', [p.id for p in parties]),
                    ])
            if add:
                done = {f.party for f in existing}
                Focus.create([{'user': user, 'kind': kind, 'party': p.id}
                        for p in parties if p not in done])
            else:
                Focus.delete(existing)

    @classmethod
    @ModelView.button
    def mark_key(cls, parties):
        cls._crm_focus(parties, 'key', True)

    @classmethod
    @ModelView.button
    def unmark_key(cls, parties):
        cls._crm_focus(parties, 'key', False)

    @classmethod
    @ModelView.button
    def follow(cls, parties):
        cls._crm_focus(parties, 'follow', True)

    @classmethod
    @ModelView.button
    def unfollow(cls, parties):
        cls._crm_focus(parties, 'follow', False)
