"""Journey "Lead to pause" in headless Chromium through sao (SPEC CRM-D0,
D2, D3, CRM-B6): a lead of the salesperson is qualified (认定) by the
supervisor into an opportunity that belongs to the salesperson, who opens
it, moves its stage and pauses it (暂缓) with a reason and a reactivation
date. The final state is checked over JSON-RPC."""
import datetime as dt
import time
import unittest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.test_browser import BrowserTestCase


def load_tests(loader, tests, pattern):
    "This file's journey only: test_browser runs those of BrowserTestCase"
    return unittest.TestSuite([LeadJourneyTestCase('test_lead_to_pause')])


TAB = '//div[contains(@class, "tab-content")]'
MODAL = '//div[contains(@class, "modal-dialog")]'


class LeadJourneyTestCase(BrowserTestCase):
    "A qualified lead becomes the salesperson's deal, moved and paused"

    def xpath(self, xpath, clickable=False):
        condition = (EC.element_to_be_clickable if clickable
            else EC.visibility_of_element_located)
        return self.wait.until(condition((By.XPATH, xpath)))

    def button(self, label, within=TAB):
        "The visible button named label"
        return self.xpath('%s//button[normalize-space(.)="%s"]'
            % (within, label), clickable=True)

    def menu_of(self, session, name):
        "The path of labels to the CRM menu named name (in English)"
        menu, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('name', '=', name), ('parent.icon', '=', 'crm-customer')],
                0, None, None, ['id'], {'language': 'en'}], session)
        menu, = self.server.rpc('model.ir.ui.menu.read', [
                [menu['id']], ['complete_name'], {}], session)
        return menu['complete_name'].split(' / ')

    def open_row(self, text):
        "Open the row of the list containing text in its form"
        row = self.xpath('%s//table//tr[contains(normalize-space(.), "%s")]'
            % (TAB, text))
        ActionChains(self.driver).double_click(row).perform()

    def selected(self, name):
        "The label shown by the selection field name of the form"
        select = Select(self.xpath('%s//select[@name="%s"]' % (TAB, name)))
        return select.first_selected_option.text

    def logout(self):
        self.xpath('//*[@id="user-preferences"]/a', clickable=True).click()
        self.xpath('//*[@id="user-preferences"]//a[normalize-space(.)="注销"]',
            clickable=True).click()
        # "The following action requires to close all tabs"
        self.button("确定", within=MODAL).click()
        self.wait.until(EC.visibility_of_element_located((By.ID, 'login')))

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
        self.button("认定").click()
        self.xpath(MODAL + '//*[starts-with(normalize-space(text()), "认定线索")]')
        # the new customer's name is proposed from the lead
        customer = self.xpath(MODAL + '//input[@name="customer_name"]')
        self.wait.until(lambda d: customer.get_attribute('value') == name)
        self.button("认定", within=MODAL).click()
        self.wait.until(EC.invisibility_of_element_located(
                (By.XPATH, MODAL)))
        # the form shows the deal it became
        self.wait.until(lambda d: self.selected('state') == "商机")
        self.logout()

        # sales opens the deal, moves its stage and pauses it
        self.login('sales')
        self.open_menu(deals)
        self.open_row(name)
        # the deal opens (its customer is read) in its first stage
        stage = self.xpath(TAB + '//input[@name="stage"]')
        self.wait.until(lambda d: stage.get_attribute('value') == first)
        party = self.xpath(TAB + '//input[@name="party"]')
        self.wait.until(lambda d: party.get_attribute('value') == name)
        stage.clear()
        stage.send_keys(second)
        stage.send_keys(Keys.TAB)
        # the search window of the stages: choose it
        row = self.xpath('%s//table//tr[contains(normalize-space(.), "%s")]'
            % (MODAL, second))
        ActionChains(self.driver).double_click(row).perform()
        self.wait.until(lambda d: stage.get_attribute('value') == second)
        self.button("暂缓").click()
        self.xpath(MODAL + '//*[starts-with(normalize-space(text()), "暂缓商机")]')
        reason = "客户预算冻结，下季度再议"
        self.xpath(MODAL + '//textarea[@name="reason"]').send_keys(reason)
        field = self.xpath(MODAL + '//input[@name="reactivation_date"]')
        date = self.wait.until(lambda d: field.get_attribute('value'))
        self.button("暂缓", within=MODAL).click()
        self.wait.until(EC.invisibility_of_element_located(
                (By.XPATH, MODAL)))
        # the paused deal offers to reactivate it
        self.button("重新激活")

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
