"""A request that fails leaves nothing behind (guide: the trust boundary).

Over real HTTP JSON-RPC, on the server ./start.sh serves (config/demo.conf),
each role makes requests that write and then fail: a create refused by a
check after its INSERT, a write refused after its UPDATE, a button whose
document hook fails after the approval task was decided, and a wizard whose
transition fails after it created a customer. Each answers a zh_CN error and
the database holds exactly what it held before.

With [cache] clean_timeout = 0 on SQLite (the demo configuration before
this test) every one of these kept its writes: the cache synchronisation
left the transaction's connection in autocommit."""
import re
import unittest

from tests.server import RpcError, get_server

CJK = re.compile('[\u4e00-\u9fff]')


class RollbackTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()
        cls.sessions = {}
        cls.contexts = {}

    def session(self, login):
        if login not in self.sessions:
            session = self.server.login(login)
            self.sessions[login] = session
            self.contexts[login] = self.server.rpc(
                'model.res.user.get_preferences', [True, {}], session)
        return self.sessions[login], self.contexts[login]

    def rpc(self, login, method, *args):
        session, context = self.session(login)
        return self.server.rpc(method, [*args, context], session)

    # What the failed requests could have left: counted as admin
    COUNTED = [
        'party.party', 'party.contact_mechanism', 'sale.opportunity',
        'crm.lock.request', 'crm.ownership.history', 'oa.approval.task',
        'oa.approval.log', 'oa.approval.instance', 'oa.approval.flow',
        'res.group', 'res.notification',
        ]

    def counts(self):
        return {model: self.rpc('admin', f'model.{model}.search_count',
                [('active', 'in', [True, False])]
                if model in {'party.party', 'party.contact_mechanism',
                    'oa.approval.flow'} else [], 0, None)
            for model in self.COUNTED}

    def assertFailsInChinese(self, login, method, *args):
        "The request fails with a zh_CN message; returns the message"
        with self.assertRaises(RpcError) as context:
            self.rpc(login, method, *args)
        error = context.exception.args[0]
        self.assertIsInstance(error, list, error)
        message = error[1][0]
        self.assertRegex(message, CJK, message)
        return message

    def assertNothingLeft(self, before):
        self.assertEqual(self.counts(), before)

    def test_create_refused_after_insert(self):
        "A customer refused by its checks is not created"
        before = self.counts()
        # a 统一社会信用代码 with a wrong check digit
        self.assertFailsInChinese('sales', 'model.party.party.create',
            [{'name': "回滚测试甲有限公司", 'crm_uscc': '91350100M000100Y4X'}])
        # a status that is not one of the options
        self.assertFailsInChinese('sales', 'model.party.party.create',
            [{'name': "回滚测试乙有限公司", 'crm_status': 'bogus'}])
        # a group under a parent that does not exist
        self.assertFailsInChinese('admin', 'model.res.group.create',
            [{'name': "回滚测试组", 'parent': 99999}])
        self.assertNothingLeft(before)
        self.assertEqual(self.rpc('admin', 'model.party.party.search_count',
                [('name', 'like', "回滚测试%")], 0, None), 0)

    def test_flow_with_invalid_condition_refused(self):
        "The consultant's flow with a condition that does not parse is not saved"
        before = self.counts()
        self.assertFailsInChinese('consultant',
            'model.oa.approval.flow.create', [{
                    'name': "回滚测试流程", 'model': 'oa.form',
                    'condition': "[('data.amount' >>> 1)]",
                    }])
        self.assertNothingLeft(before)

    def test_write_refused_after_update(self):
        "A write with one wrong value changes none of the values"
        customer, = self.rpc('sales', 'model.party.party.search_read',
            [('ownership_state', '=', 'locked'), ('owner', '=',
                    self.session('sales')[1]['employee'])],
            0, 1, None, ['name', 'crm_status'])
        before = self.counts()
        self.assertFailsInChinese('sales', 'model.party.party.write',
            [customer['id']], {'name': "回滚测试丙", 'crm_status': 'bogus'})
        self.assertNothingLeft(before)
        after, = self.rpc('sales', 'model.party.party.read',
            [customer['id']], ['name', 'crm_status'])
        self.assertEqual(after, customer)

    def test_button_failing_after_its_writes(self):
        """The supervisor approves a lock request whose customer was
        assigned to another salesperson meanwhile: the approval fails and
        the task, the request and the customer stay as they were"""
        sales_employee = self.session('sales')[1]['employee']
        party, = self.rpc('sales', 'model.party.party.search',
            [('ownership_state', '=', 'open')], 0, 1, [('id', 'DESC')])
        self.run_wizard('sales', 'crm.customer.request_lock', 'party.party',
            [party], 'request', {'start': {'reason': "重点跟进"}})
        request, = self.rpc('sales', 'model.crm.lock.request.search_read',
            [('party', '=', party), ('requester', '=', sales_employee),
                ('state', '=', 'pending')], 0, None, None, ['state'])
        sales2, = self.rpc('manager', 'model.res.user.search_read',
            [('login', '=', 'sales2')], 0, 1, None, ['employee'])
        self.run_wizard('manager', 'crm.customer.assign', 'party.party',
            [party], 'assign', {'start': {
                    'employee': sales2['employee'], 'reason': "调整",
                    'customer_count': 1}})
        task, = self.rpc('supervisor', 'model.oa.approval.task.search_read',
            [('document', '=', f'crm.lock.request,{request["id"]}'),
                ('state', '=', 'pending')], 0, None, None, ['state'])
        before = self.counts()
        self.assertFailsInChinese('supervisor',
            'model.oa.approval.task.approve', [task['id']])
        self.assertNothingLeft(before)
        task_after, = self.rpc('supervisor', 'model.oa.approval.task.read',
            [task['id']], ['state'])
        self.assertEqual(task_after['state'], 'pending')
        request_after, = self.rpc('admin', 'model.crm.lock.request.read',
            [request['id']], ['state'])
        self.assertEqual(request_after['state'], 'pending')
        owner, = self.rpc('admin', 'model.party.party.read', [party],
            ['owner'])
        self.assertEqual(owner['owner'], sales2['employee'])

    def test_wizard_failing_after_its_writes(self):
        """The supervisor qualifies a lead into a new customer named like an
        existing one: the customer created by the wizard is refused as a
        duplicate and the lead stays waiting"""
        existing, = self.rpc('sales', 'model.party.party.search_read',
            [('ownership_state', '=', 'open')], 0, 1, None, ['name'])
        lead, = self.rpc('sales', 'model.sale.opportunity.create', [{
                    'description': "回滚测试线索", 'lead_name': existing['name'],
                    }])
        before = self.counts()
        message = self.run_wizard_fails('supervisor', 'crm.lead.qualify',
            'sale.opportunity', [lead], 'qualify', {'start': {
                    'result': 'prospect', 'customer_name': existing['name'],
                    'reason': "认定",
                    }})
        self.assertIn(existing['name'], message)
        self.assertNothingLeft(before)
        after, = self.rpc('sales', 'model.sale.opportunity.read', [lead],
            ['state', 'lead_result', 'party'])
        self.assertEqual(
            (after['state'], after['lead_result'], after['party']),
            ('lead', None, None))

    def run_wizard(self, login, wizard, model, ids, state, data):
        "Run a wizard as sao does, from its start to the state"
        session, context = self.session(login)
        context = dict(context, active_id=ids[0], active_ids=ids,
            active_model=model)
        wizard_id, start, _ = self.server.rpc(
            f'wizard.{wizard}.create', [context], session)
        view = self.server.rpc(f'wizard.{wizard}.execute',
            [wizard_id, {}, start, context], session)['view']
        # sao sends the record's values, not the names of its relations
        # ('field.': {'rec_name': ...})
        shown = {k: v for k, v in {**view['defaults'], **view['values']}.items()
            if not k.endswith('.')}
        for name, values in data.items():
            data[name] = dict(shown, **values)
        try:
            return self.server.rpc(f'wizard.{wizard}.execute',
                [wizard_id, data, state, context], session)
        finally:
            self.server.rpc(f'wizard.{wizard}.delete', [wizard_id, context],
                session)

    def run_wizard_fails(self, login, *args):
        with self.assertRaises(RpcError) as context:
            self.run_wizard(login, *args)
        error = context.exception.args[0]
        message = error[1][0]
        self.assertRegex(message, CJK, message)
        return message
