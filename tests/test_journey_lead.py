"""Journey "Lead to pause" in headless Chromium through sao (SPEC CRM-D0,
D2, D3, CRM-B6): a lead of the salesperson is qualified (认定) by the
supervisor into an opportunity that belongs to the salesperson, who opens
it, moves its stage and pauses it (暂缓) with a reason and a reactivation
date. The final state is checked over JSON-RPC."""
import datetime as dt
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser import MODAL, BrowserTestCase


class LeadJourneyTestCase(BrowserTestCase):
    "A qualified lead becomes the salesperson's deal, moved and paused"

    def menu_of(self, session, name):
        "The path of labels to the CRM menu named name (in English)"
        menu, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('name', '=', name), ('parent.icon', '=', 'crm-customer')],
                0, None, None, ['id'], {'language': 'en'}], session)
        menu, = self.server.rpc('model.ir.ui.menu.read', [
                [menu['id']], ['complete_name'], {}], session)
        return menu['complete_name'].split(' / ')

    def test_lead_to_pause(self):
        rpc = self.server.rpc
        sales = self.server.login('sales')
        sales_context = rpc(
            'model.res.user.get_preferences', [True, {}], sales)
        # a company and a phone no customer has (no duplicate warning)
        token = '%08d' % (time.time_ns() // 10 ** 6 % 10 ** 8)
        name = '长风旅程科技%s有限公司' % token
        lead, = rpc('model.sale.opportunity.create', [[{
                        'lead_name': name, 'description': name,
                        'lead_contact': "王经理",
                        'lead_phone': '137' + token,
                        'employee': sales_context['employee'],
                        }], sales_context], sales)
        supervisor = self.server.login('supervisor')
        leads = self.menu_of(supervisor, 'Leads')
        deals = self.menu_of(sales, 'Opportunities')
        stages = {s['name']: s['id'] for s in rpc(
                'model.crm.opportunity.stage.search_read',
                [[], 0, None, [('sequence', 'ASC')], ['name'], {}], sales)}
        first, second = list(stages)[:2]

        # supervisor qualifies the lead from 待认定
        self.login('supervisor')
        self.open_menu(leads)
        self.open_row(name)
        self.labelled("认定").click()
        self.visible(MODAL + '//*[starts-with(normalize-space(text()), "认定线索")]')
        # the new customer's name is proposed from the lead
        customer = self.visible(MODAL + '//input[@name="customer_name"]')
        self.wait.until(lambda d: customer.get_attribute('value') == name)
        self.labelled("认定", MODAL).click()
        self.wait.until(lambda d: self.no_dialog())
        # the form shows the deal it became
        self.wait.until(lambda d: self.selected('state') == "商机")
        self.logout()

        # sales opens the deal, moves its stage and pauses it
        self.login('sales')
        self.open_menu(deals)
        self.open_row(name)
        # the deal opens (its customer is read) in its first stage
        stage = self.in_tab('//input[@name="stage"]')
        self.wait.until(lambda d: stage.get_attribute('value') == first)
        party = self.in_tab('//input[@name="party"]')
        self.wait.until(lambda d: party.get_attribute('value') == name)
        stage.clear()
        stage.send_keys(second)
        stage.send_keys(Keys.TAB)
        # the search window of the stages: choose it
        row = self.visible('%s//table//tr[contains(normalize-space(.), "%s")]'
            % (MODAL, second))
        ActionChains(self.driver).double_click(row).perform()
        self.wait.until(lambda d: stage.get_attribute('value') == second)
        self.labelled("暂缓").click()
        self.visible(MODAL + '//*[starts-with(normalize-space(text()), "暂缓商机")]')
        reason = "客户预算冻结，下季度再议"
        self.visible(MODAL + '//textarea[@name="reason"]').send_keys(reason)
        field = self.visible(MODAL + '//input[@name="reactivation_date"]')
        date = self.wait.until(lambda d: field.get_attribute('value'))
        self.labelled("暂缓", MODAL).click()
        self.wait.until(lambda d: self.no_dialog())
        # the paused deal offers to reactivate it
        self.labelled("重新激活")

        deal, = rpc('model.sale.opportunity.read', [[lead], [
                    'state', 'employee', 'party.owner', 'party.rec_name',
                    'stage', 'paused', 'pause_reason', 'reactivation_date',
                    'qualified_by'], sales_context], sales)
        self.assertEqual(deal['state'], 'opportunity')
        self.assertEqual(deal['qualified_by'], supervisor[1])
        self.assertEqual(deal['employee'], sales_context['employee'])
        self.assertEqual(deal['party.']['rec_name'], name)
        self.assertEqual(deal['party.']['owner'], sales_context['employee'])
        self.assertEqual(deal['stage'], stages[second])
        self.assertTrue(deal['paused'])
        self.assertEqual(deal['pause_reason'], reason)
        reactivation = dt.date(**{k: deal['reactivation_date'][k]
                for k in ['year', 'month', 'day']})
        self.assertEqual(reactivation.isoformat(), date)
        self.assertGreater(reactivation, dt.date.today())
