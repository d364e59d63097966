"""The browser of the journeys: headless Chromium logged into sao as the
demo users, with the gestures a person makes (menus, toolbar, fields,
completion, list rows and tabs, form buttons, dialogs). Elements are found
by what Tryton puts in the page: the field's name on its input, the
button's name on the form's buttons, the toolbar's button ids (new_, save),
the labels of the dictionary rows and the text of list rows.

BrowserTestCase has no tests of its own: a journey file subclasses it and
opens one browser per test; a failing test saves a screenshot to
var/screenshots/."""
import shutil
import tempfile
import time
import unittest

from selenium import webdriver
from selenium.common.exceptions import (
    InvalidElementStateException, StaleElementReferenceException,
    WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.server import PASSWORD, ROOT, get_server

SCREENSHOTS = ROOT / 'var' / 'screenshots'
# The tab shown (its own domain tabs are tab panes too)
ACTIVE_TAB = '//div[@id="tabcontent"]/div[contains(@class, "active")]'
# The dialog shown
MODAL = '//div[contains(@class, "modal") and contains(@class, "in")]'


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
    profile = tempfile.mkdtemp(prefix='chromium-')
    for argument in [
            '--headless=new', '--no-sandbox', '--disable-gpu',
            '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--disable-dev-shm-usage',
            '--window-size=1400,900', f'--user-data-dir={profile}']:
        options.add_argument(argument)
    service = Service(shutil.which('chromedriver') or '/usr/bin/chromedriver')
    driver = webdriver.Chrome(service=service, options=options)
    driver.profile = profile
    return driver


class BrowserTestCase(unittest.TestCase):
    "Log into the web client and use it like a person (no tests here)"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()

    def setUp(self):
        self.driver = chromium()
        # sao redraws a form as its values arrive: an element found a
        # moment ago may be gone, the condition is tried again
        self.wait = WebDriverWait(self.driver, 30,
            ignored_exceptions=(StaleElementReferenceException,))

    def tearDown(self):
        failed = any(error for _, error in (
                self._outcome.result.errors + self._outcome.result.failures)
            if _ is self)
        if failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f'{self._testMethodName}.png'
            try:
                self.driver.save_screenshot(str(path))
                print(f"screenshot saved to {path}")
            except WebDriverException:
                pass
        self.driver.quit()
        shutil.rmtree(self.driver.profile, ignore_errors=True)

    def login(self, login, password=PASSWORD):
        driver, wait = self.driver, self.wait
        driver.get(self.server.url)
        # sao has a select (database list) and an input; one is shown once
        # the list of databases has been asked (it may empty the fields)
        database = wait.until(lambda d: next((e for e in d.find_elements(
                        By.ID, 'database') if e.is_displayed()), False))
        if database.tag_name == 'select':
            Select(database).select_by_visible_text(self.server.database)
        elif database.get_attribute('value') != self.server.database:
            driver.execute_script(
                "arguments[0].removeAttribute('readonly')", database)
            database.clear()
            database.send_keys(self.server.database)
        field = wait.until(EC.visibility_of_element_located((By.ID, 'login')))
        field.clear()
        field.send_keys(login)
        wait.until(lambda d: d.find_element(By.ID, 'login').get_attribute(
                'value') == login)
        driver.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        field = wait.until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, 'input[type=password]')))
        field.send_keys(password)
        buttons = [b for b in driver.find_elements(
                By.CSS_SELECTOR, '.modal-footer button.btn-primary')
            if b.is_displayed()]
        buttons[-1].click()

    def menu_entry(self, text):
        "The visible menu row whose label is exactly `text`"
        xpath = ('//div[@id="menu"]//*[normalize-space(text())="%s"]' % text)
        return self.wait.until(
            EC.visibility_of_element_located((By.XPATH, xpath)))

    def menu_names(self, session, xml_icon):
        "Labels of the root menu with that icon and of its children"
        root, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', None), ('icon', '=', xml_icon)], 0, None,
                None, ['name'], {}], session)
        children = self.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', root['id'])], 0, None, None, ['name'], {}],
            session)
        return root['name'], [c['name'] for c in children]

    def child_menu(self, session, parent_id):
        return self.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', parent_id)], 0, None, None, ['name'], {}],
            session)

    def menu_path(self, session, name):
        """Labels from the root to the menu named `name` in English, as the
        user sees them"""
        menu, = self.server.rpc('model.ir.ui.menu.search_read', [
                [('name', '=', name)], 0, None, None, ['id'],
                {'language': 'en'}], session)
        menu, = self.server.rpc('model.ir.ui.menu.read', [
                [menu['id']], ['complete_name'], {}], session)
        return menu['complete_name'].split(' / ')

    def open_menu(self, path):
        for name in path:
            self.menu_entry(name).click()

    def user_menu(self, login, menu):
        "The user's session, the path to the menu and the user's context"
        session = self.server.login(login)
        context = self.server.rpc(
            'model.res.user.get_preferences', [True, {}], session)
        return session, self.menu_path(session, menu), context

    # Gestures


    def use_timezone(self, timezone):
        "The browser's timezone (sao shows date-times in it)"
        self.driver.execute_cdp_cmd(
            'Emulation.setTimezoneOverride', {'timezoneId': timezone})

    def logout(self):
        "Log out (the next login starts from the login form)"
        self.driver.execute_script('Sao.logout()')

        def logged_out(driver):
            # sao asks to close the tabs first
            for button in driver.find_elements(By.XPATH,
                    '//div[contains(@class, "modal") and '
                    'contains(@class, "in")]//*[contains(@class, '
                    '"modal-footer")]//button[contains(@class, '
                    '"btn-primary")]'):
                try:
                    if button.is_displayed():
                        button.click()
                except WebDriverException:
                    pass
            return any(e.is_displayed()
                for e in driver.find_elements(By.ID, 'login'))
        self.wait.until(logged_out)

    def open_menu_named(self, login, english_name):
        "Open the menu entry named english_name (in English) as login sees it"
        session = self.server.login(login)
        self.open_menu(self.menu_path(session, english_name))
        return session

    def visible(self, xpath):
        "The first visible element of xpath"
        def find(driver):
            for element in driver.find_elements(By.XPATH, xpath):
                try:
                    if element.is_displayed():
                        return element
                except StaleElementReferenceException:
                    pass
            return False
        return self.wait.until(find)

    def in_tab(self, xpath):
        "The first visible element of xpath inside the active tab"
        return self.visible(ACTIVE_TAB + xpath)

    def click(self, element):
        try:
            element.click()
        except WebDriverException:
            # covered (e.g. by a fading dialog): click as the script would
            self.driver.execute_script('arguments[0].click()', element)

    def toolbar(self, button_id):
        "Press a toolbar button of the active tab (new_, save, ...)"
        self.click(self.in_tab('//button[@id="%s"]' % button_id))

    def new_record(self, defaulted):
        """Press New and wait for the defaults (the field defaulted is
        filled), before typing anything"""
        self.toolbar('new_')
        entry = self.field(defaulted)
        self.wait.until(lambda d: entry.get_attribute('value'))

    def field(self, name):
        "The input of the field name in the active tab's form"
        return self.in_tab(
            '//*[@name="%s"][self::input or self::textarea or self::select]'
            % name)

    def fill(self, name, value, tab=True):
        "Type value into the field name (and leave it, as a person does)"
        return self.type_into(self.field(name), value, tab=tab)

    def choose(self, name, text, pick=None):
        """Type text into the relation field name and pick the match the
        completion proposes whose text contains pick (text by default), as
        a person does"""
        pick = pick or text
        entry = self.field(name)
        entry.click()
        entry.send_keys(text)
        match = self.in_tab(
            '//*[@name="%s"]/ancestor::div[contains(@class, "dropdown")][1]'
            '//li[contains(@class, "completion")]'
            '[contains(normalize-space(.), "%s")]/a' % (name, pick))
        self.click(match)
        self.wait.until(lambda d: pick in (entry.get_attribute('value') or ''))
        return entry

    def dict_entry(self, label):
        "The input of the dictionary row labelled label"
        return self.in_tab(
            '//div[contains(@class, "dict-row")]'
            '[.//label[contains(normalize-space(.), "%s")]]'
            '//input[contains(@class, "form-control")]' % label)

    def fill_dict(self, label, value):
        self.type_into(self.dict_entry(label), value)

    def type_into(self, entry, value, tab=True):
        """Click entry and type value where the focus goes (a number's text
        entry gives the focus to its number input)"""
        entry.click()
        focused = self.driver.switch_to.active_element
        focused.send_keys(Keys.CONTROL, 'a')
        focused.send_keys(value)
        if tab:
            focused.send_keys(Keys.TAB)
        return focused

    def button(self, name):
        "Press the form's button name (Tryton's button name, not its label)"
        button = self.in_tab('//button[@name="%s"]' % name)
        self.wait.until(lambda d: button.is_enabled())
        self.click(button)

    def row(self, text):
        "The visible list row containing text in the active tab"
        return self.in_tab(
            '//table//tr[contains(normalize-space(.), "%s")]' % text)

    def saved(self):
        """Wait until the record of the current tab is saved: a button
        pressed before would send sao's pending values (pre-validation)"""
        self.wait.until(lambda d: d.execute_script(
                'var tab = Sao.Tab.tabs.get_current();'
                'var record = tab && tab.screen && tab.screen.current_record;'
                'return record && record.id >= 0'
                ' && jQuery.isEmptyObject(record.modified_fields);'))

    def settle(self):
        """Wait until the address shows the current tab: sao opens a new tab
        for an address of no tab, which a change of view made before sao
        saw the previous address change would be"""
        self.wait.until(lambda d: d.execute_script(
                'var tab = Sao.Tab.tabs.get_current();'
                'var url = "#" + Sao.Session.current_session.database;'
                'if (tab && tab.get_url()) {url += "/" + tab.get_url();}'
                'return tab && decodeURIComponent(window.location.hash)'
                ' == decodeURIComponent(url);'))

    def open_row(self, text):
        """Open the record of the list row showing text: select a cell of
        the row that is not a link to another record (a click on a
        relation's link opens that record), wait for the address to
        follow, double-click it"""
        row = '//table//tr[contains(normalize-space(.), "%s")]' % text

        def opened(driver):
            try:
                self.in_tab(row)
                cells = [c for c in driver.find_elements(By.XPATH,
                        ACTIVE_TAB + row + '/td[not(.//a)]')
                    if c.is_displayed() and c.size['width'] > 0]
                cell = cells[-1] if cells else self.in_tab(row)
                cell.click()
                self.settle()
                time.sleep(0.3)
                ActionChains(driver).double_click(cell).perform()
            except StaleElementReferenceException:
                return False
            return True
        self.wait.until(opened)

    def domain_tab(self, label):
        "Show the tab of the list named label (我负责的, 开放客户...)"
        tab = self.in_tab('//ul[contains(@class, "nav-tabs")]'
            '//a[contains(normalize-space(.), "%s")]' % label)
        tab.click()
        self.wait.until(lambda d: 'active' in tab.find_element(
                By.XPATH, '..').get_attribute('class'))

    def search(self, text):
        """Search the list for text and wait for the rows it finds (the
        list may still be loading another search: then search again)"""
        typed = []

        def found(driver):
            try:
                field = driver.find_element(By.XPATH, ACTIVE_TAB
                    + '//*[contains(@class, "filter-box")]'
                    '//input[contains(@class, "form-control")]')
                rows = [r.text for r in driver.find_elements(
                        By.XPATH, ACTIVE_TAB + '//table/tbody/tr')
                    if r.is_displayed()]
                if rows and all(text in r for r in rows):
                    return True
                if not typed or time.monotonic() - typed[-1] > 3:
                    field.clear()
                    field.send_keys(text, Keys.ENTER)
                    typed.append(time.monotonic())
            except (StaleElementReferenceException,
                    InvalidElementStateException):
                pass
            return False
        self.wait.until(found)
        # the list may draw its rows again: let it settle
        time.sleep(1)
        self.wait.until(found)

    def labelled(self, label, within=ACTIVE_TAB):
        "The clickable button showing label, in the active tab or within"
        return self.wait.until(EC.element_to_be_clickable((By.XPATH,
                    within + '//button[normalize-space(.)="%s"]' % label)))

    def visible_buttons(self):
        "The labels of the buttons shown in the active tab"
        return {b.text.strip() for b in self.driver.find_elements(
                By.XPATH, ACTIVE_TAB + '//button') if b.is_displayed()}

    def selected(self, name):
        "The label shown by the selection field name of the active tab"
        return Select(self.field(name)).first_selected_option.text

    def modal_value(self, name):
        "The value of the field name of the dialog, once it has one"
        return self.wait.until(lambda d: d.execute_script(
                'var e = document.querySelector('
                '".modal [name=" + arguments[0] + "]");'
                'return e && e.value;', name))

    def dialog_text(self):
        "The text of the dialog shown (message, warning or error)"
        dialog = self.visible(
            '//div[contains(@class, "modal") and contains(@class, "in")]'
            '//*[contains(@class, "modal-content")]')
        self.wait.until(lambda d: dialog.text.strip())
        return dialog.text

    def close_dialog(self):
        "Press the main button of the dialog shown"
        button = self.visible(
            '//div[contains(@class, "modal") and contains(@class, "in")]'
            '//*[contains(@class, "modal-footer")]'
            '//button[contains(@class, "btn-primary")]')
        self.click(button)
        self.wait.until(lambda d: not [e for e in d.find_elements(
                    By.CSS_SELECTOR, '.modal.in') if e.is_displayed()])

    def no_dialog(self):
        return not [e for e in self.driver.find_elements(
                By.CSS_SELECTOR, '.modal.in') if e.is_displayed()]
