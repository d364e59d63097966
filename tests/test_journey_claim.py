"""Journey: claim a customer (SPEC CRM-B2, CRM-B3, OA-A3), in headless
Chromium through sao

`sales` opens a customer of the open pool, chooses 申请锁定, gives the
reason and is told at once that the request waits for the supervisor's
approval. `supervisor` opens the task from 办公 ▸ 审批 ▸ 待办 (double-click)
and decides there (同意, with a comment): the task form has the decision
buttons and the document's summary; the requester's withdrawal is neither
shown nor allowed to the approver. `sales` then finds the customer under
我负责的 and has a notification in the bell. The outcome is checked in the
database over JSON-RPC."""
import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser import MODAL, BrowserTestCase
from tests.server import RpcError, message


class ClaimJourneyTestCase(BrowserTestCase):
    "One browser session: the salesperson, the supervisor, the salesperson"

    def rpc(self, session, method, *args):
        return self.server.rpc(method, [*args, {}], session)

    def open_pool_customer(self, admin, sales):
        """A customer of the open pool that needs approval to lock, with no
        pending request, that sales did not release recently"""
        requested = [r['party'] for r in self.rpc(admin,
                'model.crm.lock.request.search_read',
                [('state', '=', 'pending')], 0, None, None, ['party'])]
        released = [h['party'] for h in self.rpc(admin,
                'model.crm.ownership.history.search_read',
                [('action', 'in', ['release', 'auto_release'])],
                0, None, None, ['party'])]
        customer, = self.rpc(admin, 'model.party.party.search_read', [
                ('ownership_state', '=', 'open'),
                ('crm_type', '=', 'organization'),
                ('id', 'not in', requested + released),
                ['OR', ('pool', '=', None),
                    ('pool.policy.needs_approval', '=', True)],
                ], 0, 1, [('id', 'ASC')], ['name'])
        return customer

    def test_claim_customer(self):
        admin = self.server.login('admin')
        sales = self.server.login('sales')
        supervisor = self.server.login('supervisor')
        sales_context = self.rpc(sales, 'model.res.user.get_preferences',
            True)
        approver = self.rpc(supervisor, 'model.res.user.get_preferences',
            False)['name']
        customer = self.open_pool_customer(admin, sales)
        name = customer['name']
        reason = f"老客户转介绍，{dt.date.today():%m-%d} 上门拜访"

        # sales applies from the open pool and is told what happens next
        self.login('sales')
        self.open_menu(self.menu_path(sales, 'Customers'))
        self.domain_tab("开放客户")
        self.search(name)
        self.open_row(name)
        self.wait.until(lambda d: self.in_tab('//input[@name="name"]'
                ).get_attribute('value') == name)
        self.labelled("申请锁定").click()
        field = self.wait.until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, '.modal textarea[name=reason]')))
        field.send_keys(reason)
        self.labelled("申请锁定", MODAL).click()
        self.assertEqual(self.modal_value('result'), message(
                'crm_ext', 'msg_lock_requested', party=name,
                approvers=approver))
        self.labelled("确定", MODAL).click()
        request, = self.rpc(admin, 'model.crm.lock.request.search_read', [
                ('party', '=', customer['id']), ('state', '=', 'pending')],
            0, None, None, ['reason', 'approval_instance'])
        self.assertEqual(request['reason'], reason)

        # the approver may not withdraw the request nor cancel it
        for method in ['cancel', 'withdraw_approval']:
            with self.subTest(method=method), self.assertRaises(RpcError):
                self.rpc(supervisor, f'model.crm.lock.request.{method}',
                    [request['id']])

        # supervisor decides where the task opens from To Do
        self.login('supervisor')
        self.open_menu(self.menu_path(supervisor, 'To Do'))
        self.open_row(name)  # click 1: the task opens with its buttons
        summary = self.in_tab('//textarea[@name="document_summary"]')
        self.wait.until(lambda d: reason in summary.get_attribute('value'))
        buttons = self.visible_buttons()
        self.assertTrue({"同意", "驳回"} <= buttons, buttons)
        self.assertFalse({"撤回", "取消"} & buttons, buttons)
        # the document, opened from the task, shows no requester's control
        self.labelled("打开").click()
        self.in_tab('//input[@name="reason"]')
        buttons = self.visible_buttons()
        self.assertFalse({"撤回", "取消"} & buttons, buttons)
        self.driver.find_element(By.XPATH, '//ul[@id="tablist"]'
            '//a[contains(normalize-space(.), "待办")]').click()
        self.in_tab('//textarea[@name="comment"]').send_keys("同意，尽快拜访")
        self.labelled("同意").click()  # click 2
        self.wait.until(lambda d: "同意" not in self.visible_buttons())

        # sales has a notification and finds the customer among their own
        self.login('sales')
        self.wait.until(EC.element_to_be_clickable(
                (By.CSS_SELECTOR, '#user-preferences > a'))).click()
        self.wait.until(EC.visibility_of_element_located((By.XPATH,
                    '//ul[contains(@class, "notification-menu")]'
                    '//*[contains(normalize-space(.), "%s")]' % name)))
        self.driver.find_element(
            By.CSS_SELECTOR, '#user-preferences > a').click()
        self.open_menu(self.menu_path(sales, 'Customers'))
        self.domain_tab("我负责的")
        self.search(name)
        self.row(name)

        # the outcome in the database
        request, = self.rpc(admin, 'model.crm.lock.request.read',
            [request['id']], ['state', 'approval_state', 'comment'])
        self.assertEqual(
            (request['state'], request['approval_state'], request['comment']),
            ('approved', 'approved', "同意，尽快拜访"))
        party, = self.rpc(admin, 'model.party.party.read', [customer['id']],
            ['ownership_state', 'owner'])
        self.assertEqual(party['ownership_state'], 'locked')
        self.assertEqual(party['owner'], sales_context['employee'])
        history = self.rpc(admin, 'model.crm.ownership.history.search_read',
            [('party', '=', customer['id'])], 0, None, None,
            ['action', 'reason', 'to_employee'])
        self.assertIn(
            {'action': 'lock', 'reason': reason,
                'to_employee': sales_context['employee']},
            [{k: h[k] for k in ['action', 'reason', 'to_employee']}
                for h in history])
        notifications = self.rpc(sales, 'model.res.notification.search_read',
            [('user', '=', sales[1])], 0, None, None, ['label', 'records'])
        self.assertTrue(any(name in (n['label'] or '')
                for n in notifications), notifications)

