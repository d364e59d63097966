# This file is part of the member_points module.
"""Erasure of a member's data with their party (SPEC X3, China's PIPL)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime
import unittest

from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from .test_module import (
    create_gift, create_member, create_rule, ledger_sum, purchase)


def erase(party):
    "Erase party with Tryton's Erase wizard, as the client runs it"
    Erase = Pool().get('party.erase', type='wizard')
    session_id, _, _ = Erase.create()
    try:
        Erase.execute(session_id, {'ask': {'party': party.id}}, 'erase')
    finally:
        Erase.delete(session_id)


def reload(record):
    "Read record again from the database (the erasure updates the tables)"
    for cache in Transaction().cache.values():
        cache.clear()
    return record.__class__(record.id)


class PartyEraseTestCase(unittest.TestCase):
    "Test the erasure of members"

    @classmethod
    def setUpClass(cls):
        activate_module('member_points')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # the scenario that follows restores its database under this name
        drop_db()

    @with_transaction()
    def test_erase_member(self):
        """A member is erased once their points are used and their documents
        done; the points ledger stays, naming nobody"""
        pool = Pool()
        Party = pool.get('party.party')
        Configuration = pool.get('member.configuration')
        Line = pool.get('member.points.line')
        Redemption = pool.get('member.redemption')
        Adjustment = pool.get('member.adjustment')
        config = Configuration(1)
        config.referral_first_points = 50
        config.save()
        create_rule()
        introducer = create_member("李四")
        member = create_member("张三", introducer=introducer,
            birthday=datetime.date(1980, 5, 4))
        purchase(member, '600')
        referral, = Line.search([
                ('member', '=', introducer.id), ('type', '=', 'referral')])
        self.assertIn("张三", referral.description)
        gift = create_gift(points_price=100)
        redemption = Redemption(member=member, gift=gift, quantity=2,
            address="杭州市西湖区文三路 1 号")
        redemption.save()
        Redemption.redeem([redemption])
        Party.write([member.party], {'active': False})

        # the points are owed to the member
        with self.assertRaisesRegex(EraseError, "400 points"):
            erase(member.party)
        adjustment = Adjustment(member=member, points=-400,
            reason="张三放弃剩余积分")
        adjustment.save()
        Adjustment.request([adjustment])
        self.assertEqual(reload(member).balance, 0)
        # the gift is not delivered yet
        with self.assertRaisesRegex(EraseError, "pending"):
            erase(member.party)
        Redemption.deliver([redemption])
        lines = Line.search([('member', '=', member.id)])

        erase(member.party)

        member = reload(member)
        self.assertIsNone(member.party.name)
        self.assertIsNone(member.code)
        self.assertIsNone(member.birthday)
        self.assertEqual(member.state, 'closed')
        self.assertEqual(reload(redemption).address, None)
        self.assertEqual(reload(adjustment).reason, '****')
        # the ledger is kept, without the names and reasons
        self.assertEqual(Line.search([('member', '=', member.id)]), lines)
        self.assertEqual(ledger_sum(member), 0)
        self.assertEqual(
            [reload(l).description for l in lines if l.type == 'adjust'],
            [None])
        referral = reload(referral)
        self.assertIsNone(referral.description)
        self.assertEqual(referral.points, 50)
        self.assertEqual(reload(introducer).balance, 50)
        self.assertEqual(reload(introducer).party.name, "李四")
        self.assertEqual(reload(introducer).cumulative_points, 50)
