"""The demo data a sales team recognises (SPEC X5), read over HTTP (JSON-RPC,
as sao does) by the roles who work with it: leads waiting, customers with
their value class, industry and province, the ownership history of every
locked customer, members with tiers and points, vehicles with due dates,
open vehicle requests and requisitions, lock quotas with room left; and
admin's first login opens the menu, not the configuration wizard."""
import datetime as dt
import unittest
from collections import defaultdict

from tests.server import get_server

SALESPEOPLE = ['sales', 'sales2', 'supervisor']


class DemoDataTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()

    def call(self, session, model, method, *args):
        return self.server.rpc(
            f'model.{model}.{method}', [*args, {}], session)

    def search_read(self, session, model, domain, fields, order=None):
        return self.call(
            session, model, 'search_read', domain, 0, None, order, fields)

    def test_admin_first_login_opens_the_menu(self):
        """The module configuration wizard is done: sao runs no action after
        admin's login (get_preferences' actions) and shows the menu"""
        admin = self.server.login('admin')
        preferences = self.call(admin, 'res.user', 'get_preferences', False)
        wizard, = self.search_read(admin, 'ir.action.wizard',
            [('wiz_name', '=', 'ir.module.config_wizard')], ['action'])
        self.assertNotIn(wizard['action'], preferences['actions'])
        self.assertEqual(self.call(admin, 'ir.module.config_wizard.item',
                'search_count', [('state', '=', 'open')]), 0)
        self.assertTrue(self.call(admin, 'ir.ui.menu', 'search',
                [('parent', '=', None)], 0, None, None))

    def test_leads_wait_for_qualification(self):
        """The salespeople's leads of several sources wait in 待认定; the
        supervisor, who qualifies them, sees those of the team"""
        waiting = [('capture', '!=', None), ('state', '=', 'lead'),
            ('lead_result', '=', None)]
        fields = ['employee', 'lead_source', 'capture', 'lead_name']
        sales = self.server.login('sales')
        mine = self.search_read(sales, 'sale.opportunity', waiting, fields)
        employee = self.call(
            sales, 'res.user', 'get_preferences', True)['employee']
        own = [l for l in mine if l['employee'] == employee]
        self.assertGreaterEqual(len(own), 2, mine)
        self.assertEqual({l['capture'] for l in own}, {'web_form', 'manual'})
        supervisor = self.server.login('supervisor')
        team = self.search_read(
            supervisor, 'sale.opportunity', waiting, fields)
        # and the lead of the website form nobody was assigned yet
        self.assertGreaterEqual(len(team), len(own) + 1)
        self.assertTrue(any(not l['employee'] for l in team))
        # the sales manager sees those of both teams, of various sources
        manager = self.server.login('manager')
        department = self.search_read(
            manager, 'sale.opportunity', waiting, fields)
        self.assertGreater(len(department), len(team))
        self.assertGreaterEqual(len({l['lead_source']
                    for l in department if l['lead_source']}), 4)
        self.assertTrue(all(l['lead_name'] for l in department))
        # one lead was discarded with its reason
        discarded = self.search_read(supervisor, 'sale.opportunity',
            [('lead_result', '=', 'discarded')], ['discard_reason'])
        self.assertTrue(discarded and discarded[0]['discard_reason'])

    def test_customers_have_value_class_industry_province(self):
        "Every organization customer has its value class, industry, province"
        gm = self.server.login('gm')
        organizations = [('crm_type', '=', 'organization')]
        total = self.call(gm, 'party.party', 'search_count', organizations)
        self.assertGreaterEqual(total, self.server.customers)
        for field in ['value_class', 'industry', 'subdivision', 'source',
                'city']:
            with self.subTest(field=field):
                self.assertEqual(self.call(gm, 'party.party', 'search_count',
                        organizations + [(field, '=', None)]), 0)
        customers = self.search_read(gm, 'party.party', organizations,
            ['value_class', 'industry', 'subdivision'])
        for field in ['value_class', 'industry', 'subdivision']:
            with self.subTest(field=field):
                self.assertGreater(len({c[field] for c in customers}), 1)

    def test_every_locked_customer_has_its_history(self):
        "Each locked customer's history hands it to its owner"
        gm = self.server.login('gm')
        locked = self.search_read(gm, 'party.party',
            [('ownership_state', '=', 'locked')], ['owner'])
        self.assertGreater(len(locked), 3)
        owners = {p['id']: p['owner'] for p in locked}
        history = self.search_read(gm, 'crm.ownership.history',
            [('party', 'in', list(owners))], ['party', 'to_employee'])
        handed = defaultdict(set)
        for line in history:
            handed[line['party']].add(line['to_employee'])
        for party, owner in owners.items():
            with self.subTest(party=party):
                self.assertIn(owner, handed[party])

    def test_salespeople_have_room_in_their_quota(self):
        """No salesperson's locked customers and pending requests reach the
        lock quota: each can still claim and create customers"""
        consultant = self.server.login('consultant')
        policy, = self.search_read(consultant, 'crm.ownership.policy', [],
            ['default_quota', 'quotas'])
        self.assertFalse(policy['quotas'])
        quota = policy['default_quota']
        gm = self.server.login('gm')
        users = self.search_read(gm, 'res.user',
            [('login', 'in', SALESPEOPLE)], ['login', 'employee'])
        self.assertEqual(len(users), len(SALESPEOPLE))
        for user in users:
            with self.subTest(login=user['login']):
                locked = self.call(gm, 'party.party', 'search_count', [
                        ('owner', '=', user['employee']),
                        ('ownership_state', '=', 'locked')])
                pending = self.call(gm, 'crm.lock.request', 'search_count', [
                        ('requester', '=', user['employee']),
                        ('state', '=', 'pending')])
                self.assertGreater(locked, 0)
                self.assertLessEqual(locked + pending, quota - 5)

    def test_members_tiers_points_and_redemption(self):
        """The call centre finds members (individuals and contact persons)
        in several tiers, their ledger adding up to their balance, and a
        redemption"""
        agent = self.server.login('agent')
        members = self.search_read(agent, 'member.member', [],
            ['tier', 'balance', 'party.crm_type', 'organization'])
        self.assertGreaterEqual(len(members), 3)
        self.assertGreaterEqual(len({m['tier'] for m in members}), 2)
        self.assertEqual({m['party.']['crm_type'] for m in members},
            {'individual', 'contact'})
        self.assertTrue(any(m['organization'] for m in members))
        lines = self.search_read(agent, 'member.points.line', [],
            ['member', 'type', 'points'])
        self.assertEqual({l['type'] for l in lines}, {'earn', 'redeem'})
        totals = defaultdict(int)
        for line in lines:
            totals[line['member']] += line['points']
        for member in members:
            with self.subTest(member=member['id']):
                self.assertEqual(member['balance'], totals[member['id']])
        tiers = self.search_read(agent, 'member.tier', [], ['name'])
        self.assertGreaterEqual(len(tiers), 3)
        redemptions = self.search_read(agent, 'member.redemption', [],
            ['state', 'points'])
        self.assertTrue(any(r['state'] == 'requested' and r['points'] > 0
                for r in redemptions), redemptions)

    def test_vehicles_documents_and_reminders(self):
        """Every vehicle has its insurance and inspection dates, some expire
        soon, and the office administrator was reminded of those"""
        office = self.server.login('office')
        vehicles = self.search_read(office, 'oa.vehicle', [],
            ['plate', 'insurance_expiry', 'inspection_expiry'])
        self.assertTrue(vehicles)
        for vehicle in vehicles:
            with self.subTest(plate=vehicle['plate']):
                self.assertTrue(vehicle['insurance_expiry'])
                self.assertTrue(vehicle['inspection_expiry'])
        expiring = []
        for model in ['oa.vehicle.insurance', 'oa.vehicle.inspection']:
            documents = self.search_read(office, model, [],
                ['expiry_state', 'reminded'])
            expiring += [d for d in documents
                if d['expiry_state'] == 'expiring']
            self.assertTrue(any(d['expiry_state'] == 'valid'
                    for d in documents), documents)
        self.assertTrue(expiring)
        self.assertTrue(all(d['reminded'] for d in expiring), expiring)
        notifications = self.search_read(office, 'res.notification',
            [('model', 'in', ['oa.vehicle.insurance',
                        'oa.vehicle.inspection'])], ['label'])
        self.assertGreaterEqual(len(notifications), len(expiring))

    def test_open_vehicle_requests_and_requisitions(self):
        """The office administrator has vehicle requests to dispatch (and a
        trip planned) and requisitions waiting for approval in To Do"""
        office = self.server.login('office')
        today = dt.date.today()
        requests = self.search_read(office, 'oa.vehicle.request',
            [('state', 'in', ['approved', 'dispatched'])],
            ['state', 'start', 'vehicle'])
        self.assertEqual({r['state'] for r in requests},
            {'approved', 'dispatched'})
        for request in requests:
            # JSON-RPC's datetime, in UTC: the company's tomorrow or later
            start = request['start']
            self.assertGreaterEqual(
                dt.date(start['year'], start['month'], start['day']), today)
        trips = self.call(office, 'oa.vehicle.trip', 'search_count',
            [('state', '=', 'planned')])
        self.assertGreaterEqual(trips, 1)
        waiting = self.search_read(office, 'oa.supply.requisition',
            [('state', '=', 'waiting')], ['lines'])
        self.assertGreaterEqual(len(waiting), 2)
        tasks = self.call(office, 'oa.approval.task', 'search_count', [
                ('user', '=', office[1]), ('state', '=', 'pending'),
                ('document', 'like', 'oa.supply.requisition,%')])
        self.assertEqual(tasks, len(waiting))
        issued = self.call(office, 'oa.supply.requisition', 'search_count',
            [('state', '=', 'issued')])
        self.assertGreaterEqual(issued, 1)
