"""The browser of the journeys: headless Chromium logged into sao as the
demo users, with the gestures a person makes (menus, toolbar, fields,
completion, form buttons, dialogs). Each test class opens one browser per
test; a screenshot of a failing test is saved to var/screenshots/."""
import os
import shutil
import tempfile
import unittest
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    ElementNotInteractableException, StaleElementReferenceException,
    WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.server import PASSWORD, ROOT, get_server

SCREENSHOTS = ROOT / 'var' / 'screenshots'


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
        self.wait = WebDriverWait(self.driver, 30)

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


    # Gestures in the active tab
    def visible(self, css):
        "The first visible element of the active tab matching css"
        return self.wait.until(lambda d: next((e for e in d.find_elements(
                        By.CSS_SELECTOR, '.tab-pane.active ' + css)
                    if e.is_displayed()), False))

    def type_into(self, css, text):
        """Type text into the visible field of the active tab matching css
        (sao re-renders a form while it loads: retry until it takes keys)"""
        def typed(driver):
            try:
                self.visible(css).send_keys(text)
                return True
            except (ElementNotInteractableException,
                    StaleElementReferenceException):
                return False
        self.wait.until(typed)
        return self.visible(css)

    def choose(self, css, text, pick=None):
        """Type text into the many2one matching css and click the entry of
        its completion that contains pick (default: text)"""
        self.type_into(css, text)
        pick = pick or text
        entry = self.wait.until(lambda d: next((a for a in d.find_elements(
                        By.CSS_SELECTOR, '.dropdown-menu li a')
                    if a.is_displayed() and pick in a.text), False))
        entry.click()

    def form_button(self, label):
        "The visible, enabled button of the form whose label contains label"
        return self.wait.until(lambda d: next((b for b in d.find_elements(
                        By.CSS_SELECTOR, '.tab-pane.active .form button')
                    if b.is_displayed() and label in b.text
                    and b.is_enabled()), False))

    def dialog_button(self, label):
        "The button of the open dialog whose label is label"
        return self.wait.until(EC.element_to_be_clickable((By.XPATH,
                    '//div[contains(@class, "modal-footer")]'
                    '//button[normalize-space(.)="%s"]' % label)))
