"""Journey: a salesperson registers a deal with a vendor (SPEC CRM-D4).

In sao, `sales` opens 客户关系 ▸ 商机报备, creates a registration, picks one
of their opportunities by typing part of its description (the vendor's
program is proposed from the deal), gives the customer's contact, saves,
submits and sends it to the vendor. The registration ends sent, and the
e-mail is in the demo's mail sink (var/mail/ of ./start.sh), addressed to
the vendor with the salesperson in copy."""
from decimal import Decimal

from tests.browser import BrowserTestCase

CONTACT = "王经理 13800138000"


class RegistrationJourneyTestCase(BrowserTestCase):

    def test_salesperson_registers_a_deal_with_the_vendor(self):
        server = self.server
        session, path, context = self.user_menu('sales', 'Deal Registrations')
        program, = server.rpc('model.crm.registration.program.search_read',
            [[], 0, None, None, ['name', 'recipients', 'approval_threshold'],
                context], session)
        registered = {r['opportunity'] for r in server.rpc(
                'model.crm.registration.search_read',
                [[], 0, None, None, ['opportunity'], context], session)}
        # one of the salesperson's deals below the approval threshold
        deal = next(o for o in server.rpc(
                'model.sale.opportunity.search_read', [
                    [('state', '=', 'opportunity'),
                        ('employee', '=', context['employee']),
                        ('party.owner', '=', context['employee']),
                        ('amount', '>', 0)],
                    0, None, [('id', 'ASC')],
                    ['description', 'rec_name', 'amount', 'party.name'],
                    context],
                session)
            if o['id'] not in registered and Decimal(o['amount']['decimal'])
            < Decimal(program['approval_threshold']['decimal']))
        mails_before = len(server.mails())

        self.login('sales')
        self.open_menu(path)
        self.new_record('employee')
        # the one with its number: a lead may carry the same description
        self.choose('opportunity', deal['description'], deal['rec_name'])
        # the vendor's program is proposed from the deal
        self.wait.until(lambda d: self.field('program').get_attribute(
                'value') == program['name'])
        # and its amount
        self.wait.until(lambda d: self.field('amount').get_attribute('value'))
        self.fill('customer_contact', CONTACT)
        self.toolbar('save')
        self.saved()
        self.button('submit')
        self.button('send')
        # sao asks before sending
        self.assertIn("发送", self.dialog_text())
        self.close_dialog()

        def sent(driver):
            registrations = server.rpc(
                'model.crm.registration.search_read', [
                    [('opportunity', '=', deal['id'])], 0, None, None,
                    ['state', 'email_to', 'email_subject', 'message_id',
                        'customer_contact'], context], session)
            return (registrations if registrations
                and registrations[0]['state'] == 'sent' else False)
        registration, = self.wait.until(sent)
        self.assertEqual(registration['customer_contact'], CONTACT)
        self.assertTrue(registration['message_id'])
        mails = server.mails()[mails_before:]
        sent = [m for m in mails
            if m['Subject'] == registration['email_subject']]
        self.assertEqual(len(sent), 1, [m['Subject'] for m in mails])
        mail, = sent
        self.assertEqual(mail['Subject'],
            f"商机报备：{deal['party.']['name']} / {deal['description']}")
        self.assertIn(program['recipients'], mail['To'])
        self.assertIn('sales@example.com', mail['Cc'])
        self.assertIn(CONTACT, mail.get_body(('plain',)).get_content())
