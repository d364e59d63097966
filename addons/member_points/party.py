# This file is part of the member_points module.
from trytond.i18n import gettext
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta


class Erase(metaclass=PoolMeta):
    """Erasure of a member's data with their party (PIPL art. 47, SPEC X3)

    The membership is closed and loses its card number and birthday; the
    delivery addresses, comments and reasons of its documents are erased,
    and so is the member's name in the referral lines of their introducer.
    The points ledger stays: its lines are the books of the points owed to
    the members (amounts, dates, source documents) and, once the member is
    anonymous, name nobody.

    The erasure is refused while the member holds points (they are owed to
    the member: redeemed, or written off with the member's consent, first)
    and while their documents are pending."""
    __name__ = 'party.erase'

    def check_erase(self, party):
        pool = Pool()
        Member = pool.get('member.member')
        Purchase = pool.get('member.purchase')
        Adjustment = pool.get('member.adjustment')
        Redemption = pool.get('member.redemption')
        super().check_erase(party)
        for member in Member.search([('party', '=', party.id)]):
            balance = Member.read_balances([member.id]).get(member.id)
            if balance:
                raise EraseError(gettext(
                        'member_points.msg_erase_party_member_balance',
                        party=party.rec_name,
                        member=member.rec_name,
                        balance=balance))
        pending = []
        for Model, states in [
                (Purchase, ['draft']),
                (Adjustment, ['draft', 'waiting']),
                (Redemption, ['draft', 'requested']),
                ]:
            pending += Model.search([
                    ('member.party', '=', party.id),
                    ('state', 'in', states),
                    ], limit=3)
        if pending:
            raise EraseError(gettext(
                    'member_points.msg_erase_party_member_pending',
                    party=party.rec_name,
                    documents=', '.join(d.rec_name for d in pending[:3])))

    def to_erase(self, party_id):
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        Purchase = pool.get('member.purchase')
        Adjustment = pool.get('member.adjustment')
        Redemption = pool.get('member.redemption')
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        to_erase = super().to_erase(party_id)
        member = [('member.party', '=', party_id)]
        # The introducer's referral lines name the member: they have the
        # origins of the member's earnings
        origins = {str(l.origin) for l in Line.search(member + [
                    ('type', '=', 'earn'),
                    ('origin', '!=', None),
                    ])}
        # their names copy the adjustment's: card number - name, points
        adjustment = [
            ('document.member.party', '=', party_id, 'member.adjustment')]
        to_erase.extend([
                (Member, [('party', '=', party_id)], True,
                    ['code', 'birthday', 'state'], [None, None, 'closed']),
                (Purchase, member, True, ['description'], [None]),
                (Adjustment, member, True, ['reason'], ['****']),
                (Redemption, member, True,
                    ['address', 'comment'], [None, None]),
                # the adjustment's reason is copied on its line
                (Line, member + [('type', '=', 'adjust')], False,
                    ['description'], [None]),
                (Line, [
                        ('type', '=', 'referral'),
                        ('member.referees.party', '=', party_id),
                        ('origin', 'in', sorted(origins)),
                        ], False,
                    ['description'], [None]),
                (Instance, adjustment, False, ['name'], ['****']),
                (Task, adjustment, False, ['name'], ['****']),
                ])
        return to_erase
