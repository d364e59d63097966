# This file is part of the crm_ext module.
"""Erasure of a person's data on request (SPEC X3, China's PIPL art. 47)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import (
    as_user, claim, create_customers, give, savepoint, setup_organization,
    setup_policy)

MOBILE = '13812345678'


def erase(party):
    "Erase party with Tryton's Erase wizard, as the client runs it"
    Erase = Pool().get('party.erase', type='wizard')
    session_id, _, _ = Erase.create()
    try:
        Erase.execute(session_id, {'ask': {'party': party.id}}, 'erase')
    finally:
        Erase.delete(session_id)


def deactivate(parties):
    Party = Pool().get('party.party')
    Party.write(list(parties), {'active': False})


def reload(record):
    "Read record again from the database (the erasure updates the tables)"
    transaction = Transaction()
    for cache in transaction.cache.values():
        cache.clear()
    with transaction.set_context(active_test=False):
        return record.__class__(record.id)


class PartyEraseTestCase(unittest.TestCase):
    "Test the erasure of customers and contact persons"

    @classmethod
    def setUpClass(cls):
        activate_module('crm_ext')
        super().setUpClass()

    def _setup(self):
        ns = setup_organization()
        setup_policy(ns, quota=3)
        return ns

    def _customer(self, name, **values):
        customer, = create_customers([name], crm_type='individual',
            contact_mechanisms=[('create', [{
                            'type': 'mobile', 'value': MOBILE}])],
            **values)
        return customer

    @with_transaction()
    def test_erase_customer(self):
        """Erasing a customer erases what the CRM knows of them, frees the
        owner's quota and lets a new customer of the same name and phone in"""
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('crm.ownership.history')
        Record = pool.get('crm.contact_record')
        Opportunity = pool.get('sale.opportunity')
        ns = self._setup()
        with set_company(ns.company):
            customer = self._customer("张三", birthday=dt.date(1980, 5, 4),
                city="杭州")
            give([customer], ns.a)
            History.record([customer], 'lock', ns.a,
                reason="张三要求回电 " + MOBILE)
            record, = Record.create([{
                        'party': customer.id,
                        'employee': ns.a.id,
                        'type': 'visit',
                        'date': dt.datetime.now(),
                        'subject': "拜访张三",
                        'content': "张三家住西湖区",
                        'result': "张三下周回复",
                        }])
            lead, = Opportunity.create([{
                        'party': customer.id,
                        'company': ns.company.id,
                        'currency': ns.company.currency.id,
                        'employee': ns.a.id,
                        'description': "张三装修",
                        'lead_name': "张三",
                        'lead_contact': "张三",
                        'lead_phone': MOBILE,
                        'lead_email': 'zhangsan@example.com',
                        }])
            Opportunity.lost([lead])
            used = Party._crm_used_quota(ns.a)

            deactivate([customer])
            erase(customer)

            customer = reload(customer)
            self.assertIsNone(customer.name)
            self.assertIsNone(customer.crm_name_key)
            self.assertIsNone(customer.crm_initials)
            self.assertIsNone(customer.birthday)
            self.assertIsNone(customer.city)
            mechanism, = customer.contact_mechanisms
            self.assertEqual(mechanism.value, '****')
            self.assertIsNone(mechanism.value_compact)
            record = reload(record)
            self.assertEqual(
                (record.subject, record.content, record.result),
                ('****', '****', None))
            lead = reload(lead)
            self.assertEqual(
                [getattr(lead, f) for f in ['description', 'lead_name',
                        'lead_contact', 'lead_phone', 'lead_email']],
                [None] * 5)
            self.assertEqual(lead.state, 'lost')

            # out of the quota and of the pool, the erasure in the history
            self.assertIsNone(customer.owner)
            self.assertIsNone(customer.ownership_state)
            self.assertIsNone(customer.pool)
            self.assertEqual(Party._crm_used_quota(ns.a), used - 1)
            last, *earlier = History.search([('party', '=', customer.id)])
            self.assertEqual(
                (last.action, last.from_employee), ('erase', ns.a))
            self.assertEqual([h.reason for h in earlier], [None, None])

            # the same person comes back: not a duplicate of the erased
            create_customers(["张三"], warnings=True, crm_type='individual',
                contact_mechanisms=[('create', [{
                                'type': 'mobile', 'value': MOBILE}])])

    @with_transaction()
    def test_erase_contact_person(self):
        "A contact person erased leaves the organization, which keeps its data"
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ns = self._setup()
        with set_company(ns.company):
            organization, = create_customers(["杭州西湖科技有限公司"])
            with Transaction().set_context(_skip_warnings=True):
                contact, = Party.create([{
                            'name': "李四",
                            'crm_type': 'contact',
                            'crm_employer': organization.id,
                            'crm_job_title': "采购经理",
                            'contact_mechanisms': [('create', [{
                                            'type': 'email',
                                            'value': 'lisi@example.com'}])],
                            }])
            address, = Address.create([{
                        'party': contact.id, 'street': "文三路 1 号",
                        'city': "杭州"}])

            deactivate([contact])
            erase(contact)

            contact = reload(contact)
            self.assertIsNone(contact.name)
            self.assertIsNone(contact.crm_employer)
            self.assertIsNone(contact.crm_job_title)
            self.assertEqual(
                [m.value for m in contact.contact_mechanisms], ['****'])
            address = reload(address)
            self.assertIsNone(address.street)
            self.assertIsNone(address.city)
            organization = reload(organization)
            self.assertEqual(organization.name, "杭州西湖科技有限公司")
            self.assertEqual(organization.crm_type, 'organization')

    @with_transaction()
    def test_erase_refused(self):
        """Erasure is refused, with the reason, while the customer has open
        business or records the law requires to keep"""
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Request = pool.get('crm.lock.request')
        Sale = pool.get('sale.sale')
        Address = pool.get('party.address')
        Configuration = pool.get('crm.configuration')
        Date = pool.get('ir.date')
        ns = self._setup()
        with set_company(ns.company):
            customer = self._customer("王五")
            address, = Address.create([{'party': customer.id}])

            # an open opportunity
            opportunity, = Opportunity.create([{
                        'party': customer.id,
                        'company': ns.company.id,
                        'currency': ns.company.currency.id,
                        'employee': ns.a.id,
                        'description': "王五的订单",
                        }])
            deactivate([customer])
            with self.assertRaisesRegex(EraseError,
                    r"opportunities \(%s\)" % opportunity.rec_name):
                erase(customer)
            Opportunity.cancel([opportunity])

            # a lock request not decided
            Party.write([customer], {'active': True})
            with as_user(ns, 'b'):
                request = claim(customer)
            self.assertEqual(request.state, 'pending')
            deactivate([customer])
            with self.assertRaisesRegex(EraseError, "锁定申请|lock request"):
                erase(customer)
            Request.cancel([request])

            # a sale order: a contract kept 30 years after its fiscal year
            sale = Sale(party=customer, invoice_address=address,
                shipment_address=address,
                lines=[{'type': 'comment', 'description': "服务"}])
            sale.save()
            Sale.quote([sale])
            Sale.confirm([sale])
            Sale.process([sale])
            self.assertEqual(sale.state, 'done')
            until = dt.date(Date.today().year + 31, 1, 1)
            with self.assertRaisesRegex(EraseError, str(until)):
                with savepoint():
                    erase(customer)
            self.assertEqual(reload(customer).name, "王五")

            # without retention period (a consultant's choice)
            config = Configuration(1)
            config.erase_retention_years = 0
            config.save()
            erase(customer)
            self.assertIsNone(reload(customer).name)
            self.assertEqual(reload(sale).state, 'done')
            # the approval copied the request's name: customer - requester
            request = reload(request)
            self.assertIsNone(request.reason)
            self.assertEqual(request.approval_instance.name, '****')

    @with_transaction()
    def test_erase_access(self):
        """Only the party administrators erase, also when the request names
        another action (the wizard keeps its own groups)"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ns = self._setup()
        with set_company(ns.company):
            customer = self._customer("赵六")
            give([customer], ns.a)
            deactivate([customer])
            other_action = ModelData.get_id('party', 'act_party_form')
            with as_user(ns, 'a'), Transaction().set_context(
                    action_id=other_action, active_model='party.party',
                    active_id=customer.id, active_ids=[customer.id]):
                with self.assertRaises(AccessError):
                    erase(customer)
            self.assertEqual(reload(customer).name, "赵六")
