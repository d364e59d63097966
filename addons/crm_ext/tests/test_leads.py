# This file is part of the crm_ext module.
"""Warnings a user can confirm (SPEC CRM-A2, X4) and leads qualified for
their salesperson (SPEC CRM-D0, CRM-B6)"""
import datetime as dt
import unittest

from trytond.exceptions import UserWarning
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import without_check_access

from crm_ext.exceptions import QuotaError

from .tools import (
    as_user, create_customers, give, savepoint, setup_organization,
    setup_policy)


def new_lead(ns, name, employee=None, **values):
    Opportunity = Pool().get('sale.opportunity')
    lead, = Opportunity.create([dict({
                    'company': ns.company.id,
                    'currency': ns.company.currency.id,
                    'employee': employee.id if employee else None,
                    'lead_name': name,
                    'description': name,
                    }, **values)])
    return lead


def warned(call):
    "The key of the UserWarning call raises (its writes rolled back)"
    try:
        with savepoint():
            call()
    except UserWarning as warning:
        return warning.name
    raise AssertionError("no warning")


def confirm(key):
    "Click Yes on the warning, as sao does (res.user.warning.skip)"
    with without_check_access():
        Pool().get('res.user.warning').skip(key, False)


class LeadsTestCase(unittest.TestCase):
    "Test confirmable warnings and lead qualification"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_ext')

    @with_transaction()
    def test_duplicate_warning_confirmed(self):
        """The likely-duplicate warning keeps its key between attempts (the
        new customer's id changes) and "Yes" lets the customer be saved"""
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            create_customers(['北京星联科技有限公司'])
            similar = ['北京星联科技发展有限公司']
            with as_user(ns, 'b'):
                key = warned(lambda: create_customers(similar, warnings=True))
                # meanwhile a colleague's customer takes the id
                create_customers(['无关贸易有限公司'])
                self.assertEqual(key, warned(
                        lambda: create_customers(similar, warnings=True)))
                confirm(key)
                party, = create_customers(similar, warnings=True)
            self.assertEqual(party.owner, None)
            self.assertEqual(Party.search_count(
                    [('name', '=', similar[0])]), 1)

    @with_transaction()
    def test_duplicate_warning_key_from_matched_values(self):
        "Another similar customer or another match gets another warning"
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            create_customers(['北京星联科技有限公司'])
            with as_user(ns, 'b'):
                first = warned(lambda: create_customers(
                        ['北京星联科技发展有限公司'], warnings=True))
                other = warned(lambda: create_customers(
                        ['北京星联科技服务有限公司'], warnings=True))
                self.assertNotEqual(first, other)
                confirm(first)
                with self.assertRaises(UserWarning):
                    create_customers(
                        ['北京星联科技服务有限公司'], warnings=True)

    @with_transaction()
    def test_event_overlap_warning_confirmed(self):
        "The double-booking warning keeps its key and is confirmed"
        pool = Pool()
        Event = pool.get('crm.event')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            start = dt.datetime(2030, 5, 6, 2, 0)
            hour = dt.timedelta(hours=1)
            with as_user(ns, 'a'):
                Event.create([{'name': "客户方案评审", 'type': 'meeting',
                            'organizer': ns.a.id, 'start': start,
                            'end': start + hour}])
            values = {'name': "团队周会", 'type': 'meeting',
                'organizer': ns.sup.id,
                'attendees': [('add', [ns.sup.id, ns.a.id])],
                'start': start + hour / 2, 'end': start + 2 * hour}
            with as_user(ns, 'sup'):
                key = warned(lambda: Event.create([values]))
                with as_user(ns, 'b'):
                    Event.create([{'name': "电话", 'type': 'call',
                                'organizer': ns.b.id, 'start': start,
                                'end': start + hour}])
                self.assertEqual(key, warned(lambda: Event.create([values])))
                confirm(key)
                Event.create([values])
            self.assertEqual(Event.search_count([('name', '=', "团队周会")]), 1)

    @with_transaction()
    def test_qualify_similar_name_confirmed(self):
        "A lead whose customer looks like an existing one is qualified on Yes"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None, creation_mode='creator')
            create_customers(['云帆网络科技有限公司'])
            lead = new_lead(ns, "云帆网络科技发展有限公司", ns.a)

            def qualify():
                Opportunity.qualify_leads(
                    Opportunity.browse([lead.id]), 'opportunity')
            with as_user(ns, 'sup'):
                key = warned(qualify)
                create_customers(['无关贸易有限公司'])
                self.assertEqual(key, warned(qualify))
                confirm(key)
                qualify()
            lead = Opportunity(lead.id)
            self.assertEqual(lead.state, 'opportunity')
            self.assertEqual(lead.party.name, "云帆网络科技发展有限公司")

    def check_qualified_for_salesperson(self, creation_mode):
        """The supervisor qualifies a salesperson's lead: the deal and the
        new customer are the salesperson's, who opens and edits them"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=5, creation_mode=creation_mode)
            lead = new_lead(ns, "长江物流", ns.a)
            prospect = new_lead(ns, "黄河运输", ns.a)
            with as_user(ns, 'sup'):
                Opportunity.qualify_leads(
                    Opportunity.browse([lead.id]), 'opportunity')
                Opportunity.qualify_leads(
                    Opportunity.browse([prospect.id]), 'prospect')
            lead = Opportunity(lead.id)
            self.assertEqual(lead.employee, ns.a)
            self.assertEqual(lead.qualified_by, ns.users['sup'])
            for party in [lead.party, Opportunity(prospect.id).party]:
                self.assertEqual(party.owner, ns.a)
                self.assertEqual(party.ownership_state, 'locked')
                history, = History.search([('party', '=', party.id)])
                self.assertEqual(
                    (history.action, history.to_employee), ('create', ns.a))
            with as_user(ns, 'a'):
                deal, = Opportunity.read([lead.id], ['party.rec_name'])
                self.assertEqual(deal['party.']['rec_name'], "长江物流")
                Party.write(Party.browse([lead.party.id]), {'city': "武汉"})

    @with_transaction()
    def test_qualified_for_salesperson_creator_mode(self):
        "Qualified for the salesperson, not the qualifier (mode creator)"
        self.check_qualified_for_salesperson('creator')

    @with_transaction()
    def test_qualified_for_salesperson_open_mode(self):
        "Qualified for the salesperson, not the open pool (mode open)"
        self.check_qualified_for_salesperson('open')

    @with_transaction()
    def test_qualify_within_salesperson_quota(self):
        "The salesperson's quota applies to the customer qualified for them"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=1, creation_mode='creator')
            give(create_customers(['已锁定客户']), ns.a)
            lead = new_lead(ns, "长江物流", ns.a)
            count = Party.search_count([])
            with as_user(ns, 'sup'):
                with self.assertRaises(QuotaError) as cm, savepoint():
                    Opportunity.qualify_leads(
                        Opportunity.browse([lead.id]), 'opportunity')
                self.assertIn('A', cm.exception.message)
                # another salesperson may be chosen
                Opportunity.qualify_leads(Opportunity.browse([lead.id]),
                    'opportunity', employee=ns.b)
            lead = Opportunity(lead.id)
            self.assertEqual(Party.search_count([]), count + 1)
            self.assertEqual((lead.employee, lead.party.owner), (ns.b, ns.b))

    @with_transaction()
    def test_deal_customer_readable_by_its_salesperson(self):
        """The salesperson of a deal reads its customer owned by a colleague
        (masked, read only); other salespeople do not"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            customer, = create_customers(['星联科技'], contact_mechanisms=[
                    ('create', [{'type': 'mobile', 'value': '13812345678'}])])
            give([customer], ns.c)
            lead = new_lead(ns, "星联科技", ns.a)
            with as_user(ns, 'sup'):
                Opportunity.qualify_leads(Opportunity.browse([lead.id]),
                    'opportunity', party=Party(customer.id))
            team = new_lead(ns, "团队商机", ns.sup, party=customer.id,
                team=[('add', [ns.users['b'].id])])
            for name in ['a', 'b']:
                with as_user(ns, name):
                    deal = lead if name == 'a' else team
                    row, = Opportunity.read([deal.id],
                        ['party.rec_name', 'party.mobile'])
                    self.assertEqual(row['party.']['rec_name'], "星联科技")
                    self.assertIn('****', row['party.']['mobile'])
                    self.assertNotIn('1234', row['party.']['mobile'])
                    self.assertIn(customer, Party.search([]))
                    rows = Party.export_data([Party(customer.id)],
                        ['name', 'mobile'])
                    self.assertNotIn('1234', repr(rows))
                    with self.assertRaises(AccessError), savepoint():
                        Party.write(Party.browse([customer.id]),
                            {'city': "北京"})
            Opportunity.write([team], {'team': [('remove',
                            [ns.users['b'].id])]})
            with as_user(ns, 'b'):
                self.assertNotIn(customer, Party.search([]))
                with self.assertRaises(AccessError):
                    Party.read([customer.id], ['rec_name'])
                with self.assertRaises(AccessError):
                    Party.export_data([Party(customer.id)], ['name'])
