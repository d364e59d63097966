"""The server refuses what the web client hides (SPEC CRM-B6, X3)

Over JSON-RPC with a salesperson's own session, as a script would call it:
no key of the request's context unmasks a customer, a document under
approval cannot be changed, a state cannot be set by create or write, the
members of customers the user may not read stay out of reach."""
import os
import unittest

from tests.server import RpcError, get_server, message


class RpcBoundaryTestCase(unittest.TestCase):
    "Refused at the RPC boundary, in zh_CN, nothing written"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()
        cls.sessions = {}

    def call(self, login, method, *params, context=None):
        if login not in self.sessions:
            session = self.server.login(login)
            preferences = self.server.rpc(
                'model.res.user.get_preferences', [True, {}], session)
            self.sessions[login] = session, preferences
        session, preferences = self.sessions[login]
        return self.server.rpc(
            method, [*params, {**preferences, **(context or {})}], session)

    def refused(self, login, method, *params):
        "The call fails with the product's message; return it"
        with self.assertRaises(RpcError) as cm:
            self.call(login, method, *params)
        error = cm.exception.args[0]
        self.assertEqual(error[0], 'UserError', error)
        return error[1][0]

    def test_no_context_key_unmasks(self):
        "Context keys sent by the client change nothing in what is masked"
        admin_rows = self.call('admin', 'model.party.party.search_read',
            [('ownership_state', '=', 'open'),
                ('contact_mechanisms.type', '=', 'mobile'),
                ('crm_type', '=', 'organization')],
            0, 3, [('id', 'ASC')], ['mobile'])
        self.assertTrue(admin_rows)
        ids = [r['id'] for r in admin_rows]
        real = {r['id']: r['mobile'] for r in admin_rows}
        keys = {'crm_unmasked': True, 'crm_all': True,
            '_crm_mask_reads': False, '_check_access': False,
            'crm_employees': list(range(1, 50)), 'crm_shared': ids}
        for context in [{}, keys]:
            with self.subTest(context=context):
                rows = self.call('sales', 'model.party.party.read', ids,
                    ['mobile', 'crm_masked'], context=context)
                for row in rows:
                    self.assertNotEqual(row['mobile'], real[row['id']])
                    self.assertIn('*', row['mobile'])
                    self.assertTrue(row['crm_masked'])
                exported = self.call('sales',
                    'model.party.party.export_data', ids, ['mobile'],
                    context=context)
                for value in real.values():
                    self.assertNotIn(value, repr(exported))
                mechanisms = self.call('sales',
                    'model.party.contact_mechanism.search_read',
                    [('party', 'in', ids), ('type', '=', 'mobile')],
                    0, None, None, ['value'], context=context)
                self.assertTrue(mechanisms)
                for mechanism in mechanisms:
                    self.assertIn('*', mechanism['value'])

    def test_document_under_approval_frozen(self):
        """A points adjustment waiting for approval cannot be changed: the
        approver decides on what was submitted"""
        member, = self.call('sales', 'model.member.member.search_read',
            [('state', '=', 'active')], 0, 1, None, ['id'])
        threshold, = self.call('admin', 'model.member.configuration.read',
            [1], ['adjust_approval_threshold'])
        points = threshold['adjust_approval_threshold'] + 100
        adjustment, = self.call('sales', 'model.member.adjustment.create',
            [{'member': member['id'], 'points': points,
                    'reason': "活动补偿"}])
        self.call('sales', 'model.member.adjustment.request', [adjustment])
        state, = self.call('sales', 'model.member.adjustment.read',
            [adjustment], ['state', 'approval_state'])
        self.assertEqual(
            (state['state'], state['approval_state']),
            ('waiting', 'running'))
        for values in [{'points': 999999}, {'reason': "改"},
                {'member': member['id']}]:
            with self.subTest(values=values):
                text = self.refused('sales',
                    'model.member.adjustment.write', [adjustment], values)
                self.assertEqual(text.split('“')[0], message('oa_workflow',
                        'msg_document_under_approval').split('“')[0])
        text = self.refused('sales', 'model.member.adjustment.delete',
            [adjustment])
        after, = self.call('sales', 'model.member.adjustment.read',
            [adjustment], ['points', 'reason', 'state'])
        self.assertEqual((after['points'], after['reason'], after['state']),
            (points, "活动补偿", 'waiting'))
        # withdrawn, it is the requester's to change again
        self.call('sales', 'model.member.adjustment.withdraw_approval',
            [adjustment])
        self.call('sales', 'model.member.adjustment.write', [adjustment],
            {'points': 5})

    def test_states_not_forged(self):
        """A state is set by the buttons only: not through create, not
        through write"""
        member, = self.call('sales', 'model.member.member.search_read',
            [('state', '=', 'active')], 0, 1, None, ['id'])
        before = self.call('admin', 'model.member.adjustment.search_count',
            [])
        text = self.refused('sales', 'model.member.adjustment.create',
            [{'member': member['id'], 'points': 50, 'reason': "伪造",
                    'state': 'approved'}])
        self.assertIn("按钮", text)
        self.assertEqual(self.call('admin',
                'model.member.adjustment.search_count', []), before)
        adjustment, = self.call('sales', 'model.member.adjustment.create',
            [{'member': member['id'], 'points': 50, 'reason': "草稿"}])
        text = self.refused('sales', 'model.member.adjustment.write',
            [adjustment], {'state': 'approved'})
        self.assertIn("按钮", text)
        party, = self.call('sales', 'model.party.party.search',
            [('ownership_state', '=', 'open')], 0, 1, None)
        requests = self.call('admin', 'model.crm.lock.request.search_count',
            [])
        with self.assertRaises(RpcError):
            self.call('sales', 'model.crm.lock.request.create',
                [{'party': party, 'state': 'approved'}])
        self.assertEqual(self.call('admin',
                'model.crm.lock.request.search_count', []), requests)
        owner, = self.call('admin', 'model.party.party.read', [party],
            ['ownership_state'])
        self.assertEqual(owner['ownership_state'], 'open')

    def test_members_of_unreadable_customers(self):
        """The member of a customer of a salesperson is not found, counted
        nor read by another salesperson; its owner reads it"""
        import time
        token = '%08d' % (time.time_ns() // 10 ** 6 % 10 ** 8)
        party, = self.call('sales', 'model.party.party.create', [{
                    'name': "会员客户%s" % token, 'crm_type': 'individual',
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': '139' + token}])],
                    }])
        member, = self.call('sales', 'model.member.member.create',
            [{'party': party}])
        self.assertIn(member, self.call('sales', 'model.member.member.search',
                [], 0, None, None))
        self.assertNotIn(member, self.call('sales2',
                'model.member.member.search', [], 0, None, None))
        self.assertEqual(self.call('sales2',
                'model.member.member.search_count', [('id', '=', member)]),
            0)
        self.assertEqual(self.call('sales2',
                'model.member.member.search_count',
                [('party.name', 'like', '%' + token)]), 0)
        for method, params in [
                ('model.member.member.read', ([member], ['balance'])),
                ('model.member.member.export_data', ([member], ['code'])),
                ]:
            with self.subTest(method=method):
                with self.assertRaises(RpcError):
                    self.call('sales2', method, *params)

    def test_no_self_sharing(self):
        """A salesperson does not share an open-pool customer with
        themselves (to unmask it, to edit it)"""
        party, = self.call('sales', 'model.party.party.search',
            [('ownership_state', '=', 'open')], 0, 1, None)
        preferences = self.call(
            'sales', 'model.res.user.get_preferences', False)
        before = self.call('admin', 'model.crm.customer.share.search_count',
            [])
        text = self.refused('sales', 'model.crm.customer.share.create',
            [{'party': party, 'employee': preferences['employee'],
                    'mode': 'edit'}])
        self.assertIn("负责人", text)
        self.assertEqual(self.call('admin',
                'model.crm.customer.share.search_count', []), before)
        row, = self.call('sales', 'model.party.party.read', [party],
            ['crm_masked'])
        self.assertTrue(row['crm_masked'])

    def test_wizard_groups_not_bypassed(self):
        """A wizard for supervisors is not opened by a salesperson naming
        an unknown action; a lead is qualified by a qualifier only"""
        party, = self.call('sales', 'model.party.party.search',
            [('ownership_state', '=', 'open')], 0, 1, None)
        for action_id in [999999, None]:
            with self.subTest(action_id=action_id):
                context = {'active_model': 'party.party', 'active_id': party,
                    'active_ids': [party]}
                if action_id:
                    context['action_id'] = action_id
                with self.assertRaises(RpcError):
                    self.call('sales', 'wizard.crm.customer.assign.create',
                        context=context)
        owner, = self.call('admin', 'model.party.party.read', [party],
            ['ownership_state'])
        self.assertEqual(owner['ownership_state'], 'open')

    def test_secrets_not_readable(self):
        "The telephony and SMS secrets are the consultants' only"
        self.call('consultant', 'model.callcenter.configuration.write', [1],
            {'cti_secret': 'pbx-secret-2026', 'sms_api_key': 'sms-key-2026'})
        for login in ['sales', 'agent', 'supervisor']:
            with self.subTest(login=login):
                with self.assertRaises(RpcError):
                    self.call(login, 'model.callcenter.configuration.read',
                        [1], ['cti_secret'])
                with self.assertRaises(RpcError):
                    self.call(login, 'model.callcenter.configuration.read',
                        [1], ['sms_api_key'])
        row, = self.call('consultant', 'model.callcenter.configuration.read',
            [1], ['cti_secret', 'sms_api_key'])
        self.assertEqual(row['cti_secret'], 'pbx-secret-2026')

    def test_preferences_choose_own_employee(self):
        "A user's preferences cannot make them act as another employee"
        own = self.call('sales', 'model.res.user.get_preferences', False)
        other = self.call('sales2', 'model.res.user.get_preferences', False)
        self.assertNotEqual(own['employee'], other['employee'])
        with self.assertRaises(RpcError) as cm:
            self.call('sales', 'model.res.user.set_preferences',
                {'employee': other['employee']})
        self.assertRegex(str(cm.exception), '[\u4e00-\u9fff]')
        after = self.call('sales', 'model.res.user.get_preferences', False)
        self.assertEqual(after['employee'], own['employee'])

    def test_rooms_have_their_own_door_keys(self):
        """The rooms made in one call get one key each, made by the server:
        a client cannot set one"""
        rooms = self.call('office', 'model.oa.meeting.room.create', [
                {'name': "安全测试室%d" % i, 'code': 'SEC-%d-%d' % (
                        os.getpid(), i), 'token': 'chosen'} for i in range(3)])
        tokens = [r['token'] for r in self.call('admin',
                'model.oa.meeting.room.read', rooms, ['token'])]
        self.assertEqual(len(set(tokens)), 3)
        self.assertNotIn('chosen', tokens)
        with self.assertRaises(RpcError):
            self.call('office', 'model.oa.meeting.room.write', rooms[:1],
                {'token': 'weak'})
        demo = [r['token'] for r in self.call('admin',
                'model.oa.meeting.room.search_read',
                [('id', 'not in', rooms)], 0, None, None, ['token'])]
        self.assertEqual(len(set(demo)), len(demo))

    def test_export_by_id(self):
        """Exporting records by id gives nothing the user may not read: a
        colleague's customer, a colleague's customer's member"""
        sales = self.call('sales', 'model.res.user.get_preferences', False)
        hidden = self.call('admin', 'model.party.party.search',
            [('ownership_state', '=', 'locked'),
                ('owner', '=', sales['employee'])], 0, 1, None)
        self.assertTrue(hidden)
        for method, params in [
                ('model.party.party.export_data', (hidden, ['name'])),
                ('model.party.party.export_data', (hidden, ['addresses/city'])),
                ('model.party.contact_mechanism.export_data', (self.call(
                            'admin', 'model.party.contact_mechanism.search',
                            [('party.ownership_state', '=', 'locked'),
                                ('party.owner', '=', sales['employee'])],
                            0, 1, None),
                        ['value', 'party/name'])),
                ]:
            with self.subTest(method=method, fields=params[1]):
                self.assertTrue(params[0])
                with self.assertRaises(RpcError):
                    self.call('sales2', method, *params)

    def test_bad_input_refused_in_chinese(self):
        """A blank or overlong customer name and a negative opportunity
        amount get the product's message, and nothing is written"""
        parties = self.call('admin', 'model.party.party.search_count', [])
        for name, expected in [("   ", message('crm_ext',
                        'msg_party_name_blank')),
                ("长" * 10000, "过长")]:
            with self.subTest(name=name[:5]):
                text = self.refused('sales', 'model.party.party.create',
                    [{'name': name, 'crm_type': 'organization'}])
                self.assertIn(expected, text)
        self.assertEqual(
            self.call('admin', 'model.party.party.search_count', []),
            parties)
        deal, = self.call('sales', 'model.sale.opportunity.search_read',
            [('state', '=', 'opportunity'), ('amount', '>', 0)],
            0, 1, None, ['amount'])
        text = self.refused('sales', 'model.sale.opportunity.write',
            [deal['id']], {'amount': -100})
        self.assertIn("负数", text)
        after, = self.call('sales', 'model.sale.opportunity.read',
            [deal['id']], ['amount'])
        self.assertEqual(after['amount'], deal['amount'])

    def test_password_hash_not_searchable(self):
        """No user searches or sorts by a password hash, directly or
        through a relation; reading it gives nothing"""
        for method, params in [
                ('model.res.user.search',
                    ([('id', '=', 1), ('password_hash', 'like', '$%')],
                        0, None, None)),
                ('model.res.user.search',
                    ([], 0, None, [('password_hash', 'ASC')])),
                ('model.party.party.search',
                    ([('create_uid.password_hash', 'like', '$%')],
                        0, None, None)),
                ]:
            with self.subTest(method=method, params=params):
                text = self.refused('sales', method, *params)
                self.assertEqual(text, message('oa_workflow',
                        'msg_user_password_hash'))
        try:
            row, = self.call('sales', 'model.res.user.read', [1],
                ['password_hash'])
        except RpcError:
            pass
        else:
            self.assertFalse(row['password_hash'])

    def test_request_lock_by_salespeople_only(self):
        """The Request Lock wizard run over RPC by a call-centre agent locks
        nothing: its transition checks the user is a salesperson"""
        party, = self.call('sales', 'model.party.party.search',
            [('ownership_state', '=', 'open')], 0, 1, None)
        context = {'active_model': 'party.party', 'active_id': party,
            'active_ids': [party]}
        with self.assertRaises(RpcError):
            wizard_id, start, _ = self.call('agent',
                'wizard.crm.customer.request_lock.create', context=context)
            self.call('agent', 'wizard.crm.customer.request_lock.execute',
                wizard_id, {'start': {'reason': "越权"}}, 'request',
                context=context)
        owner, = self.call('admin', 'model.party.party.read', [party],
            ['ownership_state'])
        self.assertEqual(owner['ownership_state'], 'open')
