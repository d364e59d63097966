# This file is part of the crm_ext module.
"""Vendor deal registration (SPEC CRM-D4, 商机报备)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module. The emails go through a real SMTP server on loopback
(aiosmtpd) and Tryton's email settings ([email] uri)."""
import datetime as dt
import json
import unittest
from decimal import Decimal

from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.sendmail import SMTPDataManager
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from oa_workflow.tests.tools import (
    email_uri, free_port, parse_mail, smtp_server)

from .tools import as_user, create_customers, savepoint, setup_organization

BODY = """尊敬的渠道经理:
最终客户: {{ customer }}
项目: {{ project }}
产品:
{% for line in lines %}- {{ line.product }} x {{ line.quantity }}
{% endfor %}金额: {{ amount }}
预计签约: {{ expected_close }}
我方销售: {{ salesperson }} {{ salesperson_email }}
"""


def commit_mail():
    """Deliver the queued registration emails as the commit does (the test
    transaction is rolled back, never committed); return the number of
    messages. Other emails (e.g. the approval engine's) are dropped."""
    from crm_ext.registration import RegistrationMailer
    abort_mail(others_than=RegistrationMailer)
    transaction = Transaction()
    managers = [dm for dm in transaction._datamanagers
        if isinstance(dm, RegistrationMailer)]
    count = 0
    for manager in managers:
        count += len(manager.queue)
        try:
            manager.tpc_vote(transaction)
            manager.tpc_finish(transaction)
        finally:
            transaction._datamanagers.remove(manager)
    return count


def abort_mail(others_than=()):
    "Drop the queued emails as a rollback does"
    transaction = Transaction()
    for manager in [dm for dm in transaction._datamanagers
            if isinstance(dm, SMTPDataManager)
            and not isinstance(dm, others_than)]:
        manager.tpc_abort(transaction)
        transaction._datamanagers.remove(manager)


class RegistrationTestCase(unittest.TestCase):
    "Test vendor deal registration"

    @classmethod
    def setUpClass(cls):
        activate_module('crm_ext')
        super().setUpClass()

    # Fixtures
    def _setup(self, threshold=Decimal('100000'), flow=True, **program):
        """Organization of tools.setup_organization, a vendor (华为) with
        a program, a product of its category, a customer of A and an
        opportunity of A of 500 000"""
        pool = Pool()
        Party = pool.get('party.party')
        Program = pool.get('crm.registration.program')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Flow = pool.get('oa.approval.flow')
        ns = setup_organization()
        with set_company(ns.company):
            ns.users['a'].email = 'xiaoli@example.com'
            ns.users['a'].save()
            ns.vendor = Party(name="华为技术有限公司")
            ns.vendor.save()
            ns.category, = Category.create([{'name': "华为产品"}])
            ns.sub_category, = Category.create([{
                        'name': "交换机", 'parent': ns.category.id}])
            unit, = Uom.search([('symbol', '=', 'u')])
            template, = Template.create([{
                        'name': "S5735 交换机", 'default_uom': unit.id,
                        'type': 'goods', 'salable': True, 'sale_uom': unit.id,
                        'list_price': Decimal('1000'),
                        'categories': [('add', [ns.sub_category.id])],
                        'products': [('create', [{}])],
                        }])
            ns.product, = template.products
            ns.unit = unit
            ns.customer, = create_customers(["北京某某科技有限公司"])
            if flow:
                ns.flow, = Flow.create([{
                            'name': "报备审批", 'model': 'crm.registration',
                            'steps': [('create', [{
                                            'sequence': 10,
                                            'name': "主管审批",
                                            'approver_type': 'supervisor',
                                            'levels': 1,
                                            }])],
                            }])
            values = {
                'name': "华为渠道报备",
                'company': ns.company.id,
                'vendor': ns.vendor.id,
                'currency': ns.company.currency.id,
                'recipients': "channel@huawei.example, "
                "\"渠道经理\" <manager@huawei.example>",
                'subject': "商机报备: {{ customer }} / {{ project }}",
                'body': BODY,
                'approval_threshold': threshold,
                'validity_days': 90,
                'reminder_days': 14,
                'categories': [('add', [ns.category.id])],
                }
            values.update(program)
            ns.program, = Program.create([values])
            ns.opportunity = self._opportunity(ns, ns.customer, ns.a)
        return ns

    def _opportunity(self, ns, customer, employee, amount=Decimal('500000')):
        Opportunity = Pool().get('sale.opportunity')
        opportunity, = Opportunity.create([{
                    'party': customer.id, 'company': ns.company.id,
                    'employee': employee.id, 'amount': amount,
                    'description': "数据中心网络改造",
                    'end_date': dt.date.today() + dt.timedelta(days=60),
                    'lines': [('create', [{
                                    'product': ns.product.id,
                                    'quantity': 20, 'unit': ns.unit.id,
                                    }])],
                    }])
        Opportunity.opportunity([opportunity])
        return opportunity

    def _registration(self, ns, opportunity=None, employee='a'):
        "A registration created from the opportunity as in the client"
        Registration = Pool().get('crm.registration')
        opportunity = opportunity or ns.opportunity
        registration = Registration(
            company=ns.company, program=ns.program, opportunity=opportunity)
        registration.on_change_opportunity()
        registration.customer_contact = "王工 13800000000"
        registration.save()
        return registration

    def _todo(self, user):
        Task = Pool().get('oa.approval.task')
        return Task.search([
                ('user', '=', user.id), ('state', '=', 'pending')])

    # Tests
    @with_transaction()
    def test_registration_flow_with_approval_and_email(self):
        "Above threshold: approved, sent by SMTP, registered, reminded, expired"
        pool = Pool()
        Registration = pool.get('crm.registration')
        Task = pool.get('oa.approval.task')
        Notification = pool.get('res.notification')
        Date = pool.get('ir.date')
        ns = self._setup()
        today = Date.today()
        with set_company(ns.company):
            with as_user(ns, 'a'):
                registration = self._registration(ns)
                self.assertEqual(registration.customer, ns.customer)
                self.assertEqual(registration.employee, ns.a)
                self.assertEqual(registration.vendor, ns.vendor)
                self.assertEqual(registration.amount, Decimal('500000'))
                self.assertIn("S5735", registration.products)
                self.assertTrue(registration.needs_approval)
                Registration.submit([registration])
            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'approval')
            self.assertEqual(registration.approval_state, 'running')
            # the supervisor decides in the approval engine
            task, = self._todo(ns.users['sup'])
            with as_user(ns, 'sup'):
                Task.approve([task])
            registration = Registration(registration.id)
            self.assertEqual(registration.approval_state, 'approved')
            self.assertEqual(registration.state, 'to_send')
            # stored at commit: the salesperson is told to send it
            notified = [n for n in Transaction().user_notifications
                if n.model == 'crm.registration']
            self.assertEqual(len(notified), 1)
            self.assertEqual(notified[0].user, ns.users['a'])
            self.assertIn("approved", notified[0].label)

            with smtp_server() as received:
                with as_user(ns, 'a'):
                    Registration.send([registration])
                self.assertEqual(commit_mail(), 1)
            envelope, = received
            self.assertEqual(sorted(envelope.rcpt_tos), [
                    'channel@huawei.example', 'manager@huawei.example',
                    'xiaoli@example.com'])
            message = parse_mail(envelope)
            self.assertEqual(str(message['Subject']),
                "商机报备: 北京某某科技有限公司 / 数据中心网络改造")
            self.assertEqual(message['Reply-To'].addresses[0].addr_spec,
                'xiaoli@example.com')
            content = message.get_content()
            self.assertIn("最终客户: 北京某某科技有限公司", content)
            self.assertIn("- S5735 交换机 x 20\r\n", content)
            self.assertIn("500,000.00", content)
            self.assertIn("我方销售: A xiaoli@example.com", content)
            expected = (today + dt.timedelta(days=60))
            self.assertIn(expected.strftime('%m/%d/%Y'), content)

            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'sent')
            self.assertEqual(
                registration.email_body, content.replace('\r\n', '\n'))
            self.assertEqual(registration.message_id, message['Message-ID'])
            self.assertEqual(registration.sent_by, ns.users['a'])

            # the vendor answers with its number; expiry from validity days
            with as_user(ns, 'a'):
                with self.assertRaises(UserError) as cm:
                    Registration.register([registration])
                self.assertIn("registration number", cm.exception.message)
                registration.vendor_number = 'HW-2026-0001'
                registration.save()
                Registration.register([registration])
            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'registered')
            self.assertEqual(registration.registered_date, today)
            self.assertEqual(
                registration.expiry_date, today + dt.timedelta(days=90))
            self.assertEqual(ns.opportunity.registration_state, 'registered')

            # reminder: not yet (90 days > 14), then within the window, once
            self.assertEqual(Registration.remind_expiring(), [])
            reminded = Registration.remind_expiring(
                today + dt.timedelta(days=80))
            self.assertEqual(reminded, [registration.id])
            notification, = Notification.search([
                    ('user', '=', ns.users['a'].id),
                    ('icon', '=', 'tryton-warning')])
            self.assertIn('HW-2026-0001', notification.label)
            self.assertIn('10', notification.label)
            self.assertEqual(json.loads(notification.records),
                [registration.id])
            self.assertEqual(Registration.remind_expiring(
                    today + dt.timedelta(days=81)), [])
            # the vendor extends the registration: reminded again later
            registration = Registration(registration.id)
            registration.expiry_date = today + dt.timedelta(days=120)
            registration.save()
            self.assertIsNone(Registration(registration.id).reminded_on)

            # expiry job
            self.assertEqual(Registration.expire(
                    today + dt.timedelta(days=120)), [])
            self.assertEqual(Registration.expire(
                    today + dt.timedelta(days=121)), [registration.id])
            self.assertEqual(Registration(registration.id).state, 'expired')

    @with_transaction()
    def test_below_threshold_needs_no_approval(self):
        "Below the threshold the registration is ready to send at once"
        Registration = Pool().get('crm.registration')
        ns = self._setup(threshold=Decimal('1000000'))
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
            self.assertFalse(registration.needs_approval)
            Registration.submit([registration])
            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'to_send')
            self.assertEqual(registration.approval_state, 'none')
            self.assertEqual(self._todo(ns.users['sup']), [])

    @with_transaction()
    def test_approval_rejected_back_to_draft(self):
        "A refused approval sends the registration back to draft"
        pool = Pool()
        Registration = pool.get('crm.registration')
        Task = pool.get('oa.approval.task')
        ns = self._setup()
        with set_company(ns.company):
            with as_user(ns, 'a'):
                registration = self._registration(ns)
                Registration.submit([registration])
            task, = self._todo(ns.users['sup'])
            with as_user(ns, 'sup'):
                Task.reject([task])
            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'draft')
            self.assertEqual(registration.approval_state, 'rejected')
            # corrected and submitted again
            with as_user(ns, 'a'):
                Registration.submit([registration])
            self.assertEqual(Registration(registration.id).state, 'approval')

    @with_transaction()
    def test_conflict_flagged(self):
        "A second opportunity of the same customer and vendor is flagged"
        pool = Pool()
        Registration = pool.get('crm.registration')
        Opportunity = pool.get('sale.opportunity')
        ns = self._setup(threshold=None)
        with set_company(ns.company):
            with as_user(ns, 'a'):
                first = self._registration(ns)
                Registration.submit([first])
            other = self._opportunity(ns, ns.customer, ns.b)
            with as_user(ns, 'b'):
                second = self._registration(ns, opportunity=other)
                # a draft sees the conflict, the pending one not yet
                self.assertTrue(Registration(second.id).conflict)
                self.assertEqual(
                    Registration(second.id).conflicts, (Registration(first.id),))
                # submitting warns with the colleague's opportunity
                with Transaction().set_context(_skip_warnings=False):
                    with self.assertRaises(UserWarning) as cm:
                        Registration.submit([second])
                self.assertIn(ns.opportunity.rec_name, cm.exception.message)
                self.assertIn("A", cm.exception.message)
            self.assertFalse(Registration(first.id).conflict)
            with as_user(ns, 'b'), Transaction().set_context(
                    _skip_warnings=True):
                Registration.submit([second])
            self.assertTrue(Registration(first.id).conflict)
            self.assertEqual(
                Registration.search([('conflict', '=', True)],
                    order=[('id', 'ASC')]),
                [first, second])
            self.assertEqual(
                Opportunity.search([('registration_conflict', '=', True)],
                    order=[('id', 'ASC')]),
                [ns.opportunity, other])
            # another customer, or a cancelled one, is no conflict
            Registration.cancel([Registration(second.id)])
            self.assertEqual(
                Registration.search([('conflict', '=', True)]), [])
            self.assertFalse(Opportunity(other.id).registration_conflict)

    @with_transaction()
    def test_opportunities_to_register(self):
        "Open opportunities above the threshold without a registration"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Registration = pool.get('crm.registration')
        ns = self._setup()
        with set_company(ns.company):
            small = self._opportunity(
                ns, ns.customer, ns.a, amount=Decimal('50000'))
            other_vendor, = Opportunity.create([{
                        'party': ns.customer.id, 'company': ns.company.id,
                        'employee': ns.a.id, 'amount': Decimal('900000'),
                        }])
            Opportunity.opportunity([other_vendor])
            missing = Opportunity.search([('registration_missing', '=', True)])
            self.assertEqual(missing, [ns.opportunity])
            self.assertIn(ns.opportunity, Opportunity.search(
                    [('registration_missing', '=', True)]))
            self.assertNotIn(small, missing)
            self.assertEqual(
                ns.opportunity.registration_vendors, "华为技术有限公司")
            self.assertTrue(ns.opportunity.registration_missing)
            self.assertFalse(other_vendor.registration_missing)
            # the button creates the draft; a draft does not count
            with as_user(ns, 'a'):
                action = Opportunity.create_registrations([ns.opportunity])
            registration, = Registration.search([])
            self.assertEqual(registration.state, 'draft')
            self.assertEqual(registration.employee, ns.a)
            self.assertEqual(
                Opportunity.search([('registration_missing', '=', True)]),
                [ns.opportunity])
            with as_user(ns, 'a'):
                Registration.submit([registration])
            self.assertEqual(
                Opportunity.search([('registration_missing', '=', True)]), [])
            self.assertEqual(
                Opportunity.search([('registration_missing', '=', False)],
                    order=[('id', 'ASC')])[-2:], [small, other_vendor])
            with self.assertRaises(UserError):
                Opportunity.create_registrations([Opportunity(
                            ns.opportunity.id)])

    @with_transaction()
    def test_required_field_named(self):
        "A missing required field is named in the message; nothing changes"
        pool = Pool()
        Registration = pool.get('crm.registration')
        Field = pool.get('ir.model.field')
        Program = pool.get('crm.registration.program')
        ns = self._setup(threshold=None)
        contact, = Field.search([
                ('model', '=', 'crm.registration'),
                ('name', '=', 'customer_contact')])
        reference, = Field.search([
                ('model', '=', 'sale.opportunity'),
                ('name', '=', 'reference')])
        Program.write([ns.program], {
                'required_fields': [('add', [contact.id, reference.id])]})
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
            registration.customer_contact = None
            registration.save()
            with self.assertRaises(ValidationError) as cm:
                Registration.submit([registration])
            self.assertIn('"Customer Contact"', cm.exception.message)
            self.assertIn("华为渠道报备", cm.exception.message)
            self.assertEqual(Registration(registration.id).state, 'draft')
            registration.customer_contact = "王工"
            registration.save()
            with self.assertRaises(ValidationError) as cm:
                Registration.submit([registration])
            self.assertIn('"Reference"', cm.exception.message)
            ns.opportunity.reference = 'RFQ-88'
            ns.opportunity.save()
            Registration.submit([registration])
            self.assertEqual(Registration(registration.id).state, 'to_send')

    @with_transaction()
    def test_send_when_smtp_down(self):
        "SMTP down: clear error, stays to send, nothing lost, retry works"
        Registration = Pool().get('crm.registration')
        ns = self._setup(threshold=None)
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
            Registration.submit([registration])
            port = free_port()
            # nobody listens on the port
            with email_uri('smtp://127.0.0.1:%s' % port):
                with self.assertRaises(UserError) as cm, savepoint():
                    Registration.send([Registration(registration.id)])
            self.assertIn('127.0.0.1:%s' % port, cm.exception.message)
            self.assertIn('To Send', cm.exception.message)
            abort_mail()
            registration = Registration(registration.id)
            self.assertEqual(registration.state, 'to_send')
            self.assertIsNone(registration.sent_at)
            self.assertEqual(registration.customer_contact, "王工 13800000000")
            # the server is back: retry
            with smtp_server(port) as received:
                Registration.send([registration])
                commit_mail()
            self.assertEqual(len(received), 1)
            self.assertEqual(Registration(registration.id).state, 'sent')

    @with_transaction()
    def test_delivery_refused_rolls_back(self):
        "Recipients refused at delivery (commit): clear error, not sent"
        Registration = Pool().get('crm.registration')
        ns = self._setup(threshold=None)
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
            Registration.submit([registration])
            with smtp_server(refuse=True) as received:
                Registration.send([registration])
                with self.assertRaises(UserError) as cm:
                    commit_mail()
            self.assertEqual(received, [])
            self.assertIn('To Send', cm.exception.message)
            self.assertIn(str(registration.email_subject), cm.exception.message)

    @with_transaction()
    def test_program_validation(self):
        "Bad addresses and unknown placeholders are refused when saving"
        Program = Pool().get('crm.registration.program')
        ns = self._setup(threshold=None)
        with self.assertRaises(ValidationError) as cm, savepoint():
            Program.write([ns.program], {'recipients': "channel@, x@y.com"})
        self.assertIn('"channel@"', cm.exception.message)
        with self.assertRaises(ValidationError) as cm, savepoint():
            Program.write([ns.program], {'body': "{{ custmer }}"})
        self.assertIn('"custmer"', cm.exception.message)
        self.assertIn("customer_contact", cm.exception.message)
        with self.assertRaises(ValidationError) as cm, savepoint():
            Program.write([ns.program], {'subject': "{% if %}"})
        self.assertIn("line 1", cm.exception.message)
        with self.assertRaises(ValidationError), savepoint():
            Program.write([ns.program], {'validity_days': 0})
        # sandbox: no access to the internals of the values
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
        Program.write([ns.program], {
                'body': "{{ customer.__class__.__mro__ }}"})
        with self.assertRaises(UserError) as cm:
            Registration = Pool().get('crm.registration')
            Registration(registration.id).email_message()
        self.assertIn("华为渠道报备", cm.exception.message)
        # one program per vendor and company
        with self.assertRaises(SQLConstraintError):
            Program.copy([ns.program])

    @with_transaction()
    def test_default_template_renders(self):
        "The default template of a new program fills every placeholder"
        Program = Pool().get('crm.registration.program')
        ns = self._setup(threshold=None)
        Program.write([ns.program], {
                'subject': Program.default_subject(),
                'body': Program.default_body(),
                })
        with set_company(ns.company), as_user(ns, 'a'):
            registration = self._registration(ns)
            message, recipients = registration.email_message()
        self.assertIn("北京某某科技有限公司", str(message['Subject']))
        body = message.get_content()
        self.assertIn("王工 13800000000", body)
        self.assertIn("S5735", body)
        self.assertNotIn("{{", body)
        self.assertIn('xiaoli@example.com', recipients)

    @with_transaction()
    def test_sender_with_a_name(self):
        """[email] from may be "Name <address>", with Chinese in the name:
        the message goes from the company's name at that address"""
        from email.utils import parseaddr

        from trytond.config import config
        ns = self._setup(threshold=None)
        old = config.get('email', 'from')
        config.set('email', 'from', "CRM 演示 <crm@demo.example.cn>")
        try:
            with set_company(ns.company), as_user(ns, 'a'):
                registration = self._registration(ns)
                message, _ = registration.email_message()
        finally:
            config.set('email', 'from', old)
        self.assertEqual(parseaddr(str(message['From'])),
            (ns.company.rec_name, 'crm@demo.example.cn'))
        # and it can be written on the wire
        self.assertIn(b'crm@demo.example.cn', message.as_bytes())

    @with_transaction()
    def test_access(self):
        "Salespeople see their own registrations; programs by consultants"
        pool = Pool()
        Registration = pool.get('crm.registration')
        Program = pool.get('crm.registration.program')
        ns = self._setup(threshold=None)
        with set_company(ns.company):
            with as_user(ns, 'a'):
                registration = self._registration(ns)
                with self.assertRaises(AccessError):
                    Program.write([Program(ns.program.id)], {'name': "x"})
                self.assertEqual(len(Program.search([])), 1)
            with as_user(ns, 'c'):
                self.assertEqual(Registration.search([]), [])
            with as_user(ns, 'sup'):
                self.assertEqual(Registration.search([]), [registration])
            with as_user(ns, 'a'):
                Registration.submit([registration])
                with self.assertRaises(AccessError):
                    Registration.delete([registration])
                # submitted: the content and the vendor's answer are frozen
                with self.assertRaises(AccessError) as cm:
                    Registration.write([registration], {'amount': Decimal(1)})
                self.assertIn("To Send", cm.exception.message)
                with self.assertRaises(AccessError):
                    Registration.write(
                        [registration], {'vendor_number': 'X-1'})
