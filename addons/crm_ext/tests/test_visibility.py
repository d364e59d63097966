# This file is part of the crm_ext module.
"""What a user reaches from the records they may read opens without a
record-rule error, and shows nothing they may not see (SPEC CRM-B6, X3)"""
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import (
    approval_tasks, as_user, claim, create_customers, give,
    setup_organization, setup_policy)


class VisibilityTestCase(unittest.TestCase):
    "Test the relations a user reaches from their lists"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_ext')

    @with_transaction()
    def test_possible_duplicates_only_readable(self):
        """The possible duplicates listed in a customer's form are those the
        user may open (the warning at saving names the others)"""
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            open_, others = create_customers(
                ['星联科技有限公司', '星联科技发展有限公司'])
            give([others], ns.c)
            for name, expected in [
                    ('b', []), ('c', [others.id]), ('gm', [others.id])]:
                with as_user(ns, name):
                    row, = Party.read([open_.id],
                        ['crm_duplicates', 'crm_duplicates.rec_name'])
                    self.assertEqual(list(row['crm_duplicates']), expected,
                        name)

    def submitted_request(self, ns):
        "A lock request of a waiting for the supervisor"
        setup_policy(ns, quota=None, needs_approval=True)
        customer, = create_customers(['长江物流'])
        with as_user(ns, 'a'):
            request = claim(customer)
        task, = approval_tasks([request])
        return request, task

    @with_transaction()
    def test_monitor_reads_document_names(self):
        """A flow monitor (the office administrator) sees the name of the
        document of an approval, and still may not open the document"""
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        Request = pool.get('crm.lock.request')
        ns = setup_organization()
        with set_company(ns.company):
            request, task = self.submitted_request(ns)
            instance = request.approval_instance
            with as_user(ns, 'e'):
                row, = Instance.read([instance.id],
                    ['name', 'document', 'document.rec_name', 'tasks',
                        'tasks.rec_name'])
                self.assertEqual(row['document'], str(request))
                self.assertEqual(row['document.'],
                    {'id': request.id, 'rec_name': instance.name})
                row, = Task.read([task.id], ['document.rec_name'])
                self.assertEqual(row['document.']['rec_name'], instance.name)
                with self.assertRaises(AccessError):
                    Request.read([request.id], ['rec_name'])

    @with_transaction()
    def test_team_reads_approval_of_its_requests(self):
        """The managers who read a lock request of their team read its
        approval and tasks; a salesperson of another team reads neither"""
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        Request = pool.get('crm.lock.request')
        ns = setup_organization()
        with set_company(ns.company):
            request, task = self.submitted_request(ns)
            instance = request.approval_instance
            with as_user(ns, 'dm'):
                row, = Request.read([request.id],
                    ['approval_instance.rec_name'])
                self.assertEqual(
                    row['approval_instance.']['rec_name'], instance.name)
                row, = Instance.read([instance.id],
                    ['tasks.rec_name', 'logs.rec_name', 'steps.rec_name'])
                self.assertEqual([t['id'] for t in row['tasks.']],
                    [task.id])
                self.assertEqual(
                    len(Instance.export_data([instance], ['name'])), 1)
            with as_user(ns, 'c'):
                with self.assertRaises(AccessError):
                    Instance.read([instance.id], ['rec_name'])
                with self.assertRaises(AccessError):
                    Task.read([task.id], ['rec_name'])
                with self.assertRaises(AccessError):
                    Task.export_data([Task(task.id)], ['name'])

    @with_transaction()
    def test_contact_persons_follow_their_organization(self):
        """A contact person is read, written and masked as the organization
        it works for, whatever its own pool state: its numbers are the
        organization owner's, the pool's for the others to see masked"""
        pool = Pool()
        Party = pool.get('party.party')
        ns = setup_organization()
        with set_company(ns.company):
            setup_policy(ns, quota=None)
            organization, = create_customers(['恒信电子'])
            # created open (as imported), then its organization locked
            contact, = create_customers(['陈立峰'], crm_type='contact',
                crm_employer=organization.id,
                contact_mechanisms=[('create', [
                                {'type': 'mobile', 'value': '13812345678'}])])
            self.assertEqual(contact.ownership_state, 'open')
            give([organization], ns.c)
            with as_user(ns, 'c'):
                row, = Party.read([contact.id], ['mobile', 'crm_readable'])
                self.assertIn('5678', row['mobile'])
                self.assertNotIn('*', row['mobile'])
                self.assertTrue(row['crm_readable'])
                Party.write([Party(contact.id)], {'crm_job_title': "经理"})
            with as_user(ns, 'a'):
                self.assertNotIn(contact, Party.search([]))
                self.assertEqual(
                    Party.search([('crm_readable', '=', True),
                            ('id', '=', contact.id)]), [])
                with self.assertRaises(AccessError):
                    Party.read([contact.id], ['rec_name'])
            # back in the pool: everyone reads it, masked, none writes it
            Party._crm_set_owner([organization], None)
            with as_user(ns, 'a'):
                row, = Party.read([contact.id], ['mobile'])
                self.assertIn('****', row['mobile'])
                with self.assertRaises(AccessError):
                    Party.write([Party(contact.id)], {'crm_job_title': "总监"})
