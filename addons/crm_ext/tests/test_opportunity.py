# This file is part of the crm_ext module.
"""Leads and opportunities (SPEC CRM-D0 .. D3)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime as dt
import json
import unittest

from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, RouteTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from crm_ext.exceptions import LeadError, OpportunityError

from .tools import (
    as_user, create_customers, give, new_sale, savepoint, setup_organization,
    setup_policy)

DAY = dt.timedelta(days=1)


def stages():
    "The four default stages, by name"
    Stage = Pool().get('crm.opportunity.stage')
    return {s.name: s for s in Stage.search([])}


def new_opportunity(ns, party, employee, state='opportunity', **values):
    Opportunity = Pool().get('sale.opportunity')
    opportunity, = Opportunity.create([dict({
                    'party': party.id if party else None,
                    'employee': employee.id if employee else None,
                    'company': ns.company.id,
                    'currency': ns.company.currency.id,
                    'state': state,
                    'description': "Deal",
                    'amount': 1000,
                    }, **values)])
    return opportunity


def backdate(opportunity, days):
    "Pretend the opportunity entered its stage days ago"
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    History = pool.get('crm.opportunity.stage.history')
    start = dt.datetime.now() - days * DAY
    Opportunity.write([opportunity], {'stage_date': start})
    rows = History.search([
            ('opportunity', '=', opportunity.id), ('end', '=', None)])
    History.write(rows, {'start': start})


def new_lead(ns, name, employee=None, **values):
    Opportunity = Pool().get('sale.opportunity')
    lead, = Opportunity.create([dict({
                    'company': ns.company.id,
                    'currency': ns.company.currency.id,
                    'employee': employee.id if employee else None,
                    'lead_name': name,
                    'description': name,
                    'lead_phone': '13812345678',
                    }, **values)])
    return lead


class OpportunityTestCase(unittest.TestCase):
    "Test leads and opportunities"

    @classmethod
    def setUpClass(cls):
        activate_module('crm_ext')
        super().setUpClass()

    @with_transaction()
    def test_stage_history_and_durations(self):
        "Moving through stages keeps one history row per stage with its days"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        History = pool.get('crm.opportunity.stage.history')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            s = stages()
            opportunity = new_opportunity(ns, party, ns.a)
            self.assertEqual(opportunity.stage, s["Initial Contact"])
            self.assertEqual(opportunity.conversion_probability, 0.1)
            self.assertEqual(opportunity.department, ns.east)
            backdate(opportunity, 3)

            opportunity.stage = s["Needs Analysis"]
            opportunity.save()
            self.assertEqual(opportunity.conversion_probability, 0.25)
            first, second = History.search([
                    ('opportunity', '=', opportunity.id)],
                order=[('start', 'ASC')])
            self.assertEqual(first.stage, s["Initial Contact"])
            self.assertAlmostEqual(first.days, 3, places=1)
            self.assertIsNotNone(first.end)
            self.assertEqual(second.stage, s["Needs Analysis"])
            self.assertIsNone(second.end)
            self.assertEqual(second.employee, ns.a)
            self.assertEqual(opportunity.days_in_stage, 0)

            # saving without a stage change adds no row
            opportunity.description = "Deal 2"
            opportunity.save()
            self.assertEqual(len(opportunity.stage_history), 2)

            backdate(opportunity, 5)
            Opportunity.lost([opportunity])
            self.assertEqual(opportunity.state, 'lost')
            rows = History.search([
                    ('opportunity', '=', opportunity.id), ('end', '=', None)])
            self.assertEqual(rows, [])
            second = History(second.id)
            self.assertAlmostEqual(second.days, 5, places=1)

            # report: one line per stage
            Duration = pool.get('crm.opportunity.stage.duration')
            lines = {l.stage.name: l for l in Duration.search([])}
            self.assertEqual(lines["Needs Analysis"].entries, 1)
            self.assertEqual(lines["Needs Analysis"].current, 0)
            self.assertAlmostEqual(
                lines["Initial Contact"].average_days, 3, places=1)
            self.assertEqual(lines["Negotiation"].entries, 0)
            self.assertEqual(
                [l.stage for l in Duration.search([])],
                sorted(s.values(), key=lambda s: s.sequence))
            with Transaction().set_context(salesperson=ns.b.id):
                self.assertEqual(
                    {l.entries for l in Duration.search([])}, {0})

    @with_transaction()
    def test_lead_to_opportunity_gets_first_stage(self):
        "The lead -> opportunity transition starts the first stage"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            lead = new_opportunity(ns, party, ns.a, state='lead')
            self.assertIsNone(lead.stage)
            self.assertEqual(lead.stage_history, ())
            Opportunity.opportunity([lead])
            self.assertEqual(lead.stage, stages()["Initial Contact"])
            self.assertEqual(len(lead.stage_history), 1)
            # back to lead closes the row
            Opportunity.lead([lead])
            self.assertIsNotNone(lead.stage_history[0].end)

    @with_transaction()
    def test_deal_reachable_from_opportunity(self):
        "Contact records, events and sales of a deal are on it (CRM-D1)"
        pool = Pool()
        Record = pool.get('crm.contact_record')
        Event = pool.get('crm.event')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            give([party], ns.a)
            opportunity = new_opportunity(ns, party, ns.a)
            # created from the opportunity's relate menu: the context of
            # the action fills the opportunity and its customer
            with as_user(ns, 'a'), Transaction().set_context(
                    crm_opportunity=opportunity.id):
                defaults = Record.default_get(['opportunity', 'party'])
                self.assertEqual(defaults['opportunity'], opportunity.id)
                self.assertEqual(defaults['party'], party.id)
                record, = Record.create([{
                            'subject': "需求沟通", 'content': "报价范围",
                            'type': 'visit'}])
                self.assertEqual(record.opportunity, opportunity)
                defaults = Event.default_get(['opportunity', 'party'])
                self.assertEqual(defaults['opportunity'], opportunity.id)
                self.assertEqual(defaults['party'], party.id)
                start = dt.datetime.now() + DAY
                event, = Event.create([{
                            'name': "方案演示", 'start': start,
                            'end': start + dt.timedelta(hours=1),
                            'type': 'meeting'}])
            sale = new_sale(ns, party, origin=str(opportunity))
            opportunity = type(opportunity)(opportunity.id)
            self.assertEqual(opportunity.contact_records, (record,))
            self.assertEqual(opportunity.events, (event,))
            self.assertEqual(opportunity.sales, (sale,))

    @with_transaction()
    def test_stuck_flag_and_search(self):
        "Deals longer than the stage limit are stuck, unless paused"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            old = new_opportunity(ns, party, ns.a)  # limit 14 days
            fresh = new_opportunity(ns, party, ns.a)
            no_limit = new_opportunity(ns, party, ns.a)
            backdate(old, 15)
            backdate(fresh, 13)
            stage = stages()["Initial Contact"]
            limitless = stages()["Negotiation"]
            limitless.max_days = None
            limitless.save()
            no_limit.stage = limitless
            no_limit.save()
            backdate(no_limit, 300)

            self.assertTrue(old.stuck)
            self.assertFalse(fresh.stuck)
            self.assertFalse(no_limit.stuck)
            self.assertEqual(old.days_in_stage, 15)
            self.assertEqual(
                Opportunity.search([('stuck', '=', True)]), [old])
            self.assertEqual(
                set(Opportunity.search([('stuck', '=', False)])),
                {fresh, no_limit})

            # a stricter stage makes the fresh one stuck as well
            stage.max_days = 10
            stage.save()
            self.assertEqual(
                set(Opportunity.search([('stuck', '=', True)])),
                {old, fresh})

            # paused deals are never stuck
            Opportunity.pause_deals(
                [old], "客户预算冻结", dt.date.today() + 10 * DAY)
            self.assertFalse(Opportunity(old.id).stuck)
            self.assertEqual(
                Opportunity.search([('stuck', '=', True)]), [fresh])

    @with_transaction()
    def test_pause_errors_change_nothing(self):
        "Bad pause requests are refused with a clear message"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            deal = new_opportunity(ns, party, ns.a)
            won = new_opportunity(ns, party, ns.a)
            Opportunity.lost([won])
            today = dt.date.today()

            with self.assertRaises(OpportunityError) as cm, savepoint():
                Opportunity.pause_deals([deal], "等预算", today)
            self.assertIn(str(today), cm.exception.message)
            with self.assertRaises(OpportunityError), savepoint():
                Opportunity.pause_deals([deal], "  ", today + DAY)
            with self.assertRaises(OpportunityError) as cm, savepoint():
                Opportunity.pause_deals([deal, won], "等预算", today + DAY)
            self.assertIn(won.rec_name, cm.exception.message)
            deal = Opportunity(deal.id)
            self.assertFalse(deal.paused)
            self.assertIsNone(deal.reactivation_date)

            Opportunity.pause_deals([deal], "等预算", today + DAY)
            with self.assertRaises(OpportunityError), savepoint():
                Opportunity.pause_deals([deal], "再次", today + 2 * DAY)
            self.assertEqual(Opportunity(deal.id).reactivation_date,
                today + DAY)

    @with_transaction()
    def test_reactivation_job_notifies_owner(self):
        "The job reactivates due deals, restarts their clock, notifies"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            due1 = new_opportunity(ns, party, ns.a)
            due2 = new_opportunity(ns, party, ns.a)
            later = new_opportunity(ns, party, ns.b)
            for deal in [due1, due2, later]:
                backdate(deal, 40)
            today = dt.date.today()
            Opportunity.pause_deals([due1, due2], "春节后再谈", today + DAY)
            Opportunity.pause_deals([later], "明年", today + 30 * DAY)
            self.assertEqual(Opportunity.search([('stuck', '=', True)]), [])

            reactivated = Opportunity.crm_reactivate_due(today + DAY)
            self.assertEqual(set(reactivated), {due1, due2})
            for deal in [due1, due2]:
                deal = Opportunity(deal.id)
                self.assertFalse(deal.paused)
                self.assertEqual(deal.days_in_stage, 0)
                self.assertFalse(deal.stuck)
                # the pause stays documented
                self.assertEqual(deal.pause_reason, "春节后再谈")
            self.assertTrue(Opportunity(later.id).paused)

            # sent at commit: one for a with both deals, none for b
            notes = [n for n in Transaction().user_notifications
                if n.model == 'sale.opportunity']
            self.assertEqual([n.user for n in notes], [ns.users['a']])
            self.assertIn("2", notes[0].label)
            self.assertEqual(
                set(json.loads(notes[0].records)), {due1.id, due2.id})
            # nothing due any more
            self.assertEqual(Opportunity.crm_reactivate_due(today + DAY), [])

    @with_transaction()
    def test_qualify_into_opportunity_prospect_discarded(self):
        "Qualifiers turn leads into opportunities, prospects or discard them"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None, creation_mode='creator')
            lead1 = new_lead(ns, "云帆网络", ns.a, lead_email='li@yunfan.cn')
            lead2 = new_lead(ns, "长江物流", lead_phone='13900001111')
            lead3 = new_lead(ns, "测试公司", lead_phone='13700002222')
            self.assertEqual(lead1.capture, 'manual')

            # a plain salesperson may not qualify
            with as_user(ns, 'a'):
                with self.assertRaises(LeadError), savepoint():
                    Opportunity.qualify_leads(
                        Opportunity.browse([lead1.id]), 'opportunity')
            self.assertIsNone(Opportunity(lead1.id).lead_result)

            with as_user(ns, 'sup'):
                Opportunity.qualify_leads(
                    Opportunity.browse([lead1.id]), 'opportunity')
                # discarding needs a reason
                with self.assertRaises(LeadError), savepoint():
                    Opportunity.qualify_leads(
                        Opportunity.browse([lead3.id]), 'discarded')
                Opportunity.qualify_leads(
                    Opportunity.browse([lead2.id]), 'prospect')
                Opportunity.qualify_leads(
                    Opportunity.browse([lead3.id]), 'discarded',
                    reason="重复提交")
                # only once
                with self.assertRaises(LeadError), savepoint():
                    Opportunity.qualify_leads(
                        Opportunity.browse([lead3.id]), 'prospect')

            lead1 = Opportunity(lead1.id)
            self.assertEqual(lead1.state, 'opportunity')
            self.assertEqual(lead1.lead_result, 'opportunity')
            self.assertEqual(lead1.stage, stages()["Initial Contact"])
            self.assertEqual(lead1.party.name, "云帆网络")
            self.assertEqual(lead1.party.crm_status, 'prospect')
            self.assertEqual(lead1.qualified_by, ns.users['sup'])
            self.assertEqual(lead1.employee, ns.a)
            # the lead's salesperson owns the new customer, not the qualifier
            self.assertEqual(lead1.party.owner, ns.a)
            self.assertEqual(
                {m.type for m in lead1.party.contact_mechanisms},
                {'phone', 'email'})
            self.assertIn('li@yunfan.cn',
                [m.value for m in lead1.party.contact_mechanisms])

            lead2 = Opportunity(lead2.id)
            self.assertEqual(lead2.state, 'cancelled')
            self.assertEqual(lead2.lead_result, 'prospect')
            self.assertEqual(lead2.party.name, "长江物流")
            self.assertEqual(lead2.party.ownership_state, 'locked')

            lead3 = Opportunity(lead3.id)
            self.assertEqual(lead3.state, 'cancelled')
            self.assertEqual(lead3.lead_result, 'discarded')
            self.assertEqual(lead3.discard_reason, "重复提交")
            self.assertIsNone(lead3.party)

    @with_transaction()
    def test_prospect_in_open_pool(self):
        "With creation mode 'open' the prospect goes to the open pool"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None, creation_mode='open')
            lead = new_lead(ns, "开放客户")
            with self.assertRaises(LeadError), savepoint():
                # an opportunity needs a salesperson
                Opportunity.qualify_leads([lead], 'opportunity')
            Opportunity.qualify_leads([lead], 'prospect')
            lead = Opportunity(lead.id)
            self.assertEqual(lead.party.ownership_state, 'open')
            self.assertIsNone(lead.party.owner)

    @with_transaction()
    def test_lead_bad_input(self):
        "Leads with a bad email or phone are refused"
        ns = setup_organization()
        with set_company(ns.company):
            with self.assertRaises(LeadError) as cm, savepoint():
                new_lead(ns, "X", lead_email='not-an-email')
            self.assertIn('not-an-email', cm.exception.message)
            with self.assertRaises(LeadError), savepoint():
                new_lead(ns, "X", lead_phone='call me')

    @with_transaction()
    def test_import_marks_capture(self):
        "Leads imported from CSV are marked as imported"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            count = Opportunity.import_data(
                ['lead_name', 'description', 'lead_phone', 'company',
                    'currency'],
                [["导入客户", "导入客户", "010-12345678", ns.company.rec_name,
                        ns.company.currency.code]])
            self.assertEqual(count, 1)
            lead, = Opportunity.search([('lead_name', '=', "导入客户")])
            self.assertEqual(lead.capture, 'import')
            self.assertEqual(lead.state, 'lead')

    @with_transaction()
    def test_lead_summary(self):
        "The lead summary counts per department and period"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Summary = pool.get('crm.lead.summary')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            leads = [new_lead(ns, "L%s" % i, ns.a) for i in range(3)]
            other = new_lead(ns, "O1", ns.c)
            Opportunity.qualify_leads(leads[:1], 'opportunity')
            Opportunity.qualify_leads(leads[1:2], 'discarded', reason="无效")
            # an opportunity created directly is not a lead
            party, = create_customers(["直接客户"])
            new_opportunity(ns, party, ns.a)
            with Transaction().set_context(
                    company=ns.company.id, period='month'):
                lines = {l.department: l for l in Summary.search([])}
            self.assertEqual(set(lines), {ns.east, ns.other})
            east = lines[ns.east]
            self.assertEqual(
                (east.leads, east.pending, east.opportunities,
                    east.discarded, east.prospects), (3, 1, 1, 1, 0))
            self.assertAlmostEqual(east.qualification_rate, 0.3333)
            self.assertEqual(east.date, dt.date.today().replace(day=1))
            self.assertEqual(lines[ns.other].leads, 1)
            self.assertEqual(other.department, ns.other)
            with Transaction().set_context(
                    company=ns.company.id, department=ns.other.id,
                    from_date=dt.date.today() + DAY):
                self.assertEqual(Summary.search([]), [])

    @with_transaction()
    def test_record_rules(self):
        "Salespeople see their own and their team's deals, not others'"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            party, = create_customers(["星联科技"])
            mine = new_opportunity(ns, party, ns.a)
            others = new_opportunity(ns, party, ns.c)
            shared = new_opportunity(ns, party, ns.c,
                team=[('add', [ns.users['a'].id])])
            unassigned = new_lead(ns, "网站线索")
            with as_user(ns, 'a'):
                found = set(Opportunity.search([]))
            self.assertEqual(found, {mine, shared, unassigned})
            self.assertNotIn(others, found)
            with as_user(ns, 'sup'):
                self.assertIn(mine, Opportunity.search([]))
                self.assertNotIn(others, Opportunity.search([]))
            with as_user(ns, 'gm'):
                self.assertIn(others, Opportunity.search([]))


class LeadRouteTestCase(RouteTestCase):
    "Test the web form route of the leads"
    module = 'crm_ext'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        WebForm = pool.get('crm.lead.web_form')
        Source = pool.get('crm.source')
        ns = setup_organization(prefix='route_')
        source, = Source.create([{'name': "官网"}])
        form, = WebForm.create([{
                    'name': "官网咨询表单",
                    'company': ns.company.id,
                    'source': source.id,
                    'employee': ns.a.id,
                    'max_per_address': 2,
                    }])
        cls.key = form.key
        cls.form_id = form.id

    def leads(self):
        with Transaction().start(DB_NAME, 0):
            Opportunity = Pool().get('sale.opportunity')
            return [(o.lead_name, o.capture, o.lead_email, o.employee.rec_name,
                    o.lead_source.name, o.state, o.department.name,
                    o.web_form.id)
                for o in Opportunity.search([('web_form', '!=', None)],
                    order=[('id', 'ASC')])]

    def test_web_form(self):
        "A valid post creates a lead; bad key or input creates nothing"
        client = self.client()
        url = '/%s/crm/lead' % self.db_name

        response = client.post(url, data={'key': 'wrong', 'name': "甲"})
        self.assertEqual(response.status_code, 403)
        response = client.post(url, data={
                'key': self.key, 'name': '', 'phone': '13800000000'})
        self.assertEqual(response.status_code, 400)
        self.assertIn('name', response.json['error'])
        response = client.post(url, query_string={'l': 'en'}, data={
                'key': self.key, 'name': "乙公司"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("phone number or an email", response.json['error'])
        response = client.post(url, data={
                'key': self.key, 'name': "乙公司", 'email': 'bad@'})
        self.assertEqual(response.status_code, 400)
        self.assertIn('bad@', response.json['error'])
        response = client.post(url, data={
                'key': self.key, 'name': "乙" * 201, 'email': 'a@b.cn'})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.leads(), [])

        response = client.post(url, json={
                'key': self.key, 'name': "星河软件", 'contact': "王经理",
                'email': 'wang@xinghe.cn', 'message': "想了解价格"})
        self.assertEqual(response.status_code, 201, response.json)
        self.assertTrue(response.json['number'])
        self.assertEqual(self.leads(), [
                ("星河软件", 'web_form', 'wang@xinghe.cn', 'route_A',
                    "官网", 'lead', 'route_Sales East', self.form_id)])

        # two per sender and hour
        response = client.post(url, data={
                'key': self.key, 'name': "第二家", 'phone': '021-55556666'})
        self.assertEqual(response.status_code, 201)
        response = client.post(url, data={
                'key': self.key, 'name': "第三家", 'phone': '021-55556667'})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(len(self.leads()), 2)
