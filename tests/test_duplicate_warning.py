"""The likely-duplicate warning is confirmed as sao does it (SPEC CRM-A2,
X4): the call raises a UserWarning, the user's "Yes" is sent with its key
(res.user.warning.skip) and the same call is sent again; meanwhile a
colleague saves a customer (it takes the id the first attempt had)."""
import time
import unittest

from tests.server import RpcError, get_server


class DuplicateWarningTestCase(unittest.TestCase):
    "A similar customer is saved after the user confirms the warning"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()

    def session(self, login):
        session = self.server.login(login)
        context = self.server.rpc(
            'model.res.user.get_preferences', [True, {}], session)
        return session, context

    def similar_name(self, session, context):
        """A new name like the one of a customer of the demo: its name and
        two more characters"""
        party, = self.server.rpc('model.party.party.search_read', [
                [('crm_type', '=', 'organization'),
                    ('ownership_state', '=', 'open')],
                0, 1, [('id', 'ASC')], ['crm_name_key'], context], session)
        n = time.time_ns() // 1000
        return '%s%s%s有限公司' % (party['crm_name_key'],
            chr(0x4e00 + n % 20000), chr(0x4e00 + n // 20000 % 20000))

    def colleague_saves_a_customer(self, name):
        session, context = self.session('sales2')
        self.server.rpc('model.party.party.create', [[{'name': name}],
                {**context, 'crm_customer': True}], session)

    def confirm(self, call, session):
        """Send the call, which raises the warning; "Yes" after a colleague
        saved a customer; send it again: its result"""
        with self.assertRaises(RpcError) as cm:
            call()
        kind, (key, message, description) = cm.exception.args[0]
        self.assertEqual(kind, 'UserWarning')
        self.assertIn('与已有客户相似', message + description)
        self.colleague_saves_a_customer(
            '无关贸易%s有限公司' % key[:6])
        self.server.rpc('model.res.user.warning.skip', [key, False, {}],
            session)
        return call()

    def test_customer_saved_after_yes(self):
        "sales saves a customer like an existing one after saying Yes"
        session, context = self.session('sales')
        name = self.similar_name(session, context)
        context = {**context, 'crm_customer': True}

        def create():
            return self.server.rpc('model.party.party.create',
                [[{'name': name}], context], session)
        party_id, = self.confirm(create, session)
        party, = self.server.rpc('model.party.party.read',
            [[party_id], ['name', 'owner'], context], session)
        self.assertEqual(party['name'], name)
        self.assertEqual(party['owner'], context['employee'])

    def test_lead_qualified_after_yes(self):
        """supervisor qualifies a lead of sales whose company looks like an
        existing customer, after saying Yes; the deal and the customer are
        sales'"""
        rpc = self.server.rpc
        sales, sales_context = self.session('sales')
        name = self.similar_name(sales, sales_context)
        lead, = rpc('model.sale.opportunity.create', [[{
                        'lead_name': name, 'description': name,
                        'lead_phone': '13900001234',
                        'employee': sales_context['employee'],
                        }], sales_context], sales)
        session, context = self.session('supervisor')
        context = {**context, 'active_model': 'sale.opportunity',
            'active_id': lead, 'active_ids': [lead]}
        wizard, _, _ = rpc('wizard.crm.lead.qualify.create', [context],
            session)
        view = rpc('wizard.crm.lead.qualify.execute',
            [wizard, {}, 'start', context], session)['view']
        start = {k: v for k, v in view['defaults'].items()
            if not k.endswith('.')}
        self.assertEqual(start['customer_name'], name)
        self.confirm(lambda: rpc('wizard.crm.lead.qualify.execute',
                [wizard, {'start': start}, 'qualify', context], session),
            session)
        deal, = rpc('model.sale.opportunity.read', [[lead],
                ['state', 'employee', 'party.rec_name', 'party.owner'],
                sales_context], sales)
        self.assertEqual(deal['state'], 'opportunity')
        self.assertEqual(deal['employee'], sales_context['employee'])
        self.assertEqual(deal['party.']['rec_name'], name)
        self.assertEqual(deal['party.']['owner'], sales_context['employee'])
