"""Steps of the browser journeys in sao (a mixin of BrowserTestCase)

Elements are found by what Tryton puts in the page: the field's name on its
input, the button's name on the form's buttons, the toolbar's button ids
(new_, save), the labels of the dictionary rows and the text of list rows.
"""
from selenium.common.exceptions import (
    StaleElementReferenceException, WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

ACTIVE_TAB = '//div[@id="tabcontent"]/div[contains(@class, "active")]'


class SaoSteps:
    "Clicks and entries of a person using sao"

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

    def choose(self, name, text):
        """Type text into the relation field name and pick the match the
        completion proposes (as a person does)"""
        entry = self.field(name)
        entry.click()
        entry.send_keys(text)
        match = self.in_tab(
            '//*[@name="%s"]/ancestor::div[contains(@class, "dropdown")][1]'
            '//li[contains(@class, "completion")]'
            '[contains(normalize-space(.), "%s")]/a' % (name, text))
        self.click(match)
        self.wait.until(lambda d: text in (entry.get_attribute('value') or ''))
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

    def open_row(self, text):
        "Open the record of the list row containing text (double click)"
        from selenium.webdriver import ActionChains
        row = self.row(text)
        ActionChains(self.driver).double_click(row).perform()

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
