# This file is part of the callcenter module.
"""SMS notifications through the provider's HTTP API (SPEC CC8 sending,
X2, CRM-C5): a real HTTP server on loopback plays the provider."""
import json
import threading
import unittest
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from oa_workflow.tests.tools import free_port
from crm_ext.tests.tools import (
    as_user, create_customers, give, setup_organization, setup_policy)

from ..exceptions import SMSError


@contextmanager
def sms_provider(port=None, status=200):
    """An SMS provider on loopback: yields the list of requests received
    as (headers, payload); answers status with the message's id"""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers['Content-Length'])
            payload = json.loads(self.rfile.read(length).decode('utf-8'))
            received.append((dict(self.headers), payload))
            body = json.dumps({'id': 'SM%s' % len(received)}).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', port or free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


class SMSTestCase(unittest.TestCase):
    "Test SMS notifications"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('callcenter')

    def _setup(self, port):
        pool = Pool()
        Configuration = pool.get('callcenter.configuration')
        ns = setup_organization()
        setup_policy(ns, quota=None)
        Configuration.write([Configuration(1)], {
                'sms_url': 'http://127.0.0.1:%s/sms' % port,
                'sms_api_key': 'k-123',
                'sms_signature': '【星联科技】',
                })
        ns.a.party.mobile = '138 0013 8000'
        ns.a.party.save()
        ns.users['a'].sms_notify = True
        ns.users['a'].save()
        return ns

    def _comment(self, ns, text="下次带上技术同事", customer="短信客户"):
        "Salesperson a records a visit, supervisor sup comments on it"
        pool = Pool()
        Record = pool.get('crm.contact_record')
        Comment = pool.get('crm.contact_record.comment')
        with set_company(ns.company):
            customer, = create_customers([customer])
            give([customer], ns.a)
            with as_user(ns, 'a'):
                record = Record(party=customer.id, type='visit',
                    employee=ns.a.id, subject="首次拜访", content="介绍产品")
                record.save()
            with as_user(ns, 'sup'):
                Comment.create([{'record': record.id, 'text': text}])
        return record

    @with_transaction()
    def test_comment_notifies_author_by_sms(self):
        "A supervisor's comment reaches the author's mobile through the provider"
        pool = Pool()
        SMS = pool.get('callcenter.sms')
        with sms_provider() as (port, received):
            ns = self._setup(port)
            self._comment(ns)
            sms, = SMS.search([])
            self.assertEqual(sms.state, 'queued')
            self.assertEqual(sms.number, '+8613800138000')
            self.assertEqual(sms.user, ns.users['a'])
            self.assertIn("首次拜访", sms.text)
            self.assertIn("下次带上技术同事", sms.text)
            SMS.send_queued()  # the job (the queue task sends at commit)
        (headers, payload), = received
        self.assertEqual(headers['Authorization'], 'Bearer k-123')
        self.assertEqual(payload['to'], '+8613800138000')
        self.assertTrue(payload['text'].startswith('【星联科技】'))
        self.assertIn("下次带上技术同事", payload['text'])
        self.assertEqual(payload['reference'], str(sms.id))
        sms = SMS(sms.id)
        self.assertEqual(sms.state, 'sent')
        self.assertEqual(sms.provider_reference, 'SM1')
        self.assertEqual(sms.attempts, 1)
        self.assertTrue(sms.sent_at)

    @with_transaction()
    def test_only_users_who_asked(self):
        "Without the preference, a mobile or a provider no SMS is queued"
        pool = Pool()
        SMS = pool.get('callcenter.sms')
        Configuration = pool.get('callcenter.configuration')
        ns = self._setup(free_port())
        ns.users['a'].sms_notify = False
        ns.users['a'].save()
        self._comment(ns)
        self.assertEqual(SMS.search_count([]), 0)
        ns.users['a'].sms_notify = True
        ns.users['a'].save()
        Configuration.write([Configuration(1)], {'sms_url': None})
        self._comment(ns, customer="另一个客户")
        self.assertEqual(SMS.search_count([]), 0)
        # the in-app notification is there all the same
        notified = [n for n in Transaction().user_notifications
            if n.user is not None and int(n.user) == ns.users['a'].id]
        self.assertEqual(len(notified), 2)

    @with_transaction()
    def test_provider_down_keeps_message_for_retry(self):
        "A provider that cannot be reached fails the message, kept for retry"
        pool = Pool()
        SMS = pool.get('callcenter.sms')
        port = free_port()
        ns = self._setup(port)
        self._comment(ns)
        SMS.send_queued()  # nobody listens on the port
        sms, = SMS.search([])
        self.assertEqual(sms.state, 'failed')
        self.assertTrue(sms.error)
        self.assertEqual(sms.attempts, 1)
        with sms_provider(port, status=500) as (_, received):
            SMS.send_queued()  # the provider refuses it
        self.assertEqual(len(received), 1)
        sms = SMS(sms.id)
        self.assertEqual((sms.state, sms.attempts), ('failed', 2))
        self.assertIn("500", sms.error)
        with sms_provider(port) as (_, received):
            SMS.retry([sms])
        sms = SMS(sms.id)
        self.assertEqual((sms.state, sms.attempts), ('sent', 3))
        self.assertIsNone(sms.error)
        with sms_provider(port) as (_, received):
            SMS.send_queued()  # nothing left to send
        self.assertEqual(received, [])

    @with_transaction()
    def test_job_gives_up_after_attempts(self):
        "The job stops retrying a message after its attempts"
        pool = Pool()
        SMS = pool.get('callcenter.sms')
        ns = self._setup(free_port())
        self._comment(ns)
        for _ in range(5):
            SMS.send_queued()
        sms, = SMS.search([])
        self.assertEqual((sms.state, sms.attempts), ('failed', 3))

    @with_transaction()
    def test_bad_input(self):
        "An invalid number and a missing provider give clear errors"
        pool = Pool()
        SMS = pool.get('callcenter.sms')
        Configuration = pool.get('callcenter.configuration')
        setup_organization()
        with self.assertRaises(SMSError) as cm:
            SMS.queue([('12345', "测试", None)])
        self.assertIn('12345', cm.exception.message)
        self.assertEqual(SMS.search_count([]), 0)
        sms, = SMS.queue([('13800138000', "测试", None)])
        Configuration.write([Configuration(1)], {'sms_url': None})
        with self.assertRaises(SMSError):
            SMS.retry([sms])
        self.assertEqual(SMS(sms.id).state, 'queued')
