"""Browser checks: headless Chromium logs into sao as the demo users and
opens their menus: the salesperson's customers, work queues and work queue
overview, the
supervisor's To Do inbox, the office's rooms availability. A screenshot is
saved on failure."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser import BrowserTestCase


class BrowserMenusTestCase(BrowserTestCase):
    "Log into the web client and use the menus like a person"

    def test_salesperson_opens_crm_customers(self):
        "The salesperson logs in, opens CRM and then its customer list"
        session = self.server.login('sales')
        crm, children = self.menu_names(session, 'crm-customer')
        # The first entry of the CRM menu is the salesperson's customer list
        customers = children[0]

        self.login('sales')
        # The CRM root is there; expanding it shows its entries
        entry = self.menu_entry(crm)
        entry.click()
        self.menu_entry(customers).click()
        # Opening the entry opens a tab named after it with a list
        tab = self.wait.until(EC.visibility_of_element_located((By.XPATH,
                    '//ul[@id="tablist"]//*[contains(normalize-space(.), '
                    '"%s")]' % customers)))
        self.assertTrue(tab.is_displayed())
        self.wait.until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, '.tab-content table')))

    def test_supervisor_sees_trip_in_todo_inbox(self):
        "The demo trip submitted by the salesperson waits in the supervisor's To Do"
        session = self.server.login('supervisor')
        office, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', None), ('icon', '=', 'oa-office')], 0, None,
                None, ['name'], {}], session)
        approvals, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', office['id']),
                    ('name', 'in', ['Approvals', '审批'])], 0, None, None,
                ['name'], {}], session)
        todo = self.child_menu(session, approvals['id'])[0]['name']

        self.login('supervisor')
        self.menu_entry(office['name']).click()
        self.menu_entry(approvals['name']).click()
        self.menu_entry(todo).click()
        row = self.wait.until(EC.visibility_of_element_located((By.XPATH,
                    '//div[contains(@class, "tab-content")]//table//tr'
                    '[contains(normalize-space(.), "北京客户拜访")]')))
        self.assertIn("出差申请", row.text)

    def test_salesperson_sees_work_queue_counters(self):
        "My Work Queues shows each tab with the number of its customers"
        session, path, context = self.user_menu('sales', 'My Work Queues')
        expected = []
        for queue in ['today', 'week', 'overdue', 'stale', 'never']:
            count = self.server.rpc('model.party.party.search_count', [
                    [('owner', '=', context['employee']),
                        ('crm_queue', '=', queue)], 0, 1000, context],
                session)
            expected.append(str(count) if count <= 99 else '99+')
        self.assertTrue(any(c != '0' for c in expected), expected)

        self.login('sales')
        self.open_menu(path)

        def counters(driver):
            badges = driver.find_elements(By.CSS_SELECTOR,
                '.tab-content .screen-container .nav-tabs li .badge')
            texts = [b.text.strip() for b in badges if b.is_displayed()]
            return texts if len(texts) == len(expected) else False
        self.assertEqual(self.wait.until(counters), expected)

    def test_salesperson_opens_work_queue_overview(self):
        """Work Queue Overview shows the five counts of one request and the
        button of a queue opens its customers"""
        session, path, context = self.user_menu('sales', 'Work Queue Overview')
        counts = self.server.rpc('model.party.party.crm_queue_counts',
            [context], session)
        queue = max(counts, key=counts.get)
        self.assertTrue(counts[queue], counts)
        label = {'today': "今天要联系", 'week': "本周要联系",
            'overdue': "联系已过期", 'stale': "近期未联系",
            'never': "从未联系"}[queue]

        self.login('sales')
        self.open_menu(path)

        def values(driver):
            found = {q: driver.execute_script(
                    'var e = document.querySelector('
                    '".modal input[type=number][name=" + arguments[0] + "]");'
                    'return e && e.value;', q) for q in counts}
            return found if all(found.values()) else False
        self.assertEqual(self.wait.until(values),
            {q: str(c) for q, c in counts.items()})
        button = self.wait.until(EC.element_to_be_clickable((By.XPATH,
                    '//div[contains(@class, "modal-footer")]'
                    '//button[normalize-space(.)="%s"]' % label)))
        button.click()
        tab = self.wait.until(EC.visibility_of_element_located((By.XPATH,
                    '//*[@id="tabs"]//a[contains(normalize-space(.), '
                    '"%s")]' % label)))
        self.assertIn('我的工作队列', tab.text)

    def test_office_sees_rooms_availability(self):
        "Rooms Availability lists the rooms with their next booking"
        session, path, context = self.user_menu(
            'office', 'Rooms Availability')
        rooms = self.server.rpc('model.oa.meeting.room.search_read', [
                [], 0, None, None, ['name', 'next_summary'], context],
            session)
        booked = [r for r in rooms if r['next_summary']]
        self.assertTrue(booked, rooms)

        self.login('office')
        self.open_menu(path)
        for room in booked:
            row = self.wait.until(EC.visibility_of_element_located((
                        By.XPATH, '//div[contains(@class, "tab-content")]'
                        '//table//tr[contains(normalize-space(.), "%s")]'
                        % room['name'])))
            self.assertIn(room['next_summary'], row.text)

    def test_wrong_password_stays_on_login(self):
        "A wrong password does not open the web client"
        self.login('sales', 'not-the-password')
        self.wait.until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, 'input[type=password]')))
        self.assertFalse(self.driver.find_elements(
                By.XPATH, '//div[@id="menu"]//*[normalize-space(text())="CRM"]'))
