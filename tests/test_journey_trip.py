"""Journey: a business trip through its two-level approval (OA-A, OA-B2)

In the web client, `sales` fills a 出差申请 of 5 000 or more, sees the flow it
will take and submits it; `supervisor` approves it from 办公 ▸ 审批 ▸ 待办,
then `gm`; the form ends approved (read over JSON-RPC). One browser session;
a screenshot is saved on failure."""
import time
import unittest

from tests.browser import BrowserTestCase



class TripJourneyTestCase(BrowserTestCase):
    "Business trip: sales submits, supervisor then gm approve"

    def form_values(self, session, subject, names):
        forms = self.server.rpc('model.oa.form.search_read', [
                [('subject', '=', subject)], 0, None, None, names, {}],
            session)
        return forms[0] if len(forms) == 1 else None

    def task_of(self, session, subject):
        "The user's pending task of the form named subject"
        tasks = self.server.rpc('model.oa.approval.task.search_read', [
                [('user', '=', session[1]), ('state', '=', 'pending'),
                    ('name', 'like', '%' + subject + '%')],
                0, None, None, ['state', 'step'], {}], session)
        return tasks[0] if tasks else None

    def approve_from_todo(self, login, subject):
        "login opens the task from 待办 and presses 同意 where it opens"
        self.login(login)
        session = self.open_menu_named(login, 'To Do')
        task = self.task_of(session, subject)
        self.assertTrue(task, "no pending task of %s for %s" % (login, subject))
        self.open_row(subject)
        self.button('approve')
        self.wait.until(lambda d: self.server.rpc(
                'model.oa.approval.task.read',
                [[task['id']], ['state'], {}], session)[0]['state']
            == 'approved')
        self.logout()

    def test_business_trip(self):
        subject = "杭州展会出差 %s" % int(time.time())
        self.use_timezone('Asia/Shanghai')

        # sales fills the form; its fields appear with the form type
        self.login('sales')
        sales = self.open_menu_named('sales', 'My Forms')
        self.new_record('requester')
        self.choose('form_type', "出差申请")
        self.dict_entry("目的地")
        self.fill('subject', subject)
        self.fill_dict("目的地", "杭州")
        self.fill_dict("金额", "6800")
        self.fill_dict("天数", "3")
        self.fill_dict("事由", "参加行业展会并拜访客户")
        # before submitting, the form tells the flow it will take
        flow = self.field('approval_preview_flow')
        self.wait.until(lambda d: flow.get_attribute('value') == "出差审批")
        route = self.field('approval_preview')
        self.wait.until(lambda d: "总经理审批" in (
                route.get_attribute('value') or ''))
        self.button('submit_approval')
        self.wait.until(lambda d: (self.form_values(
                    sales, subject, ['approval_state']) or {}).get(
                'approval_state') == 'running')
        self.assertTrue(self.no_dialog())
        self.logout()

        # the supervisor, then a general manager, approve from their To Do
        self.approve_from_todo('supervisor', subject)
        self.approve_from_todo('gm', subject)

        form = self.form_values(sales, subject,
            ['approval_state', 'approval_instance', 'data'])
        self.assertEqual(form['approval_state'], 'approved')
        self.assertEqual(form['data']['destination'], "杭州")
        instance, = self.server.rpc('model.oa.approval.instance.read', [
                [form['approval_instance']], ['state', 'flow.name'], {}],
            sales)
        self.assertEqual(instance['state'], 'approved')
        self.assertEqual(instance['flow.']['name'], "出差审批")


if __name__ == '__main__':
    unittest.main()
