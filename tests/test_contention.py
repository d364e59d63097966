"""Claims in parallel over JSON-RPC, as sao sends them (SPEC CRM-B3, MP3)

Many people press the same button at the same moment, each in their own
session: 20 lock requests for one open-pool customer, 10 claims of one
salesperson near the quota, 30 redemptions of one member's points. Nobody
gets HTTP 503 or an access error: the winners win, every loser gets the
product's zh_CN message, a customer has one owner, the quota and the
balance hold, and every claim that can succeed succeeds.

On PostgreSQL the claims wait for each other's row locks; on SQLite for
the database's single writer (oa_workflow.row_lock)."""
import re
import threading
import unittest
import uuid


from tests.server import RpcError, get_server, message



class Client:
    "One person in their own session, as sao: login, preferences, calls"

    def __init__(self, server, login):
        self.server = server
        self.login = login
        self.session = server.login(login)
        self.context = server.rpc(
            'model.res.user.get_preferences', [True, {}], self.session)

    def rpc(self, method, *args, context=None):
        return self.server.rpc(method,
            [*args, dict(self.context, **(context or {}))], self.session)

    def click(self, model, button, ids, reason=None):
        """Press the button on the records and go through the wizard it
        opens, if any, with reason and its default button; return the text
        of the wizard's last view"""
        action = self.rpc(f'model.{model}.{button}', ids)
        if not action:
            return None
        if isinstance(action, int):
            action = self.rpc('model.ir.action.get_action_value', action)
        wizard = f"wizard.{action['wiz_name']}"
        session, state, end = self.rpc(f'{wizard}.create')
        context = {'active_model': model, 'active_id': ids[0],
            'active_ids': ids, 'action_id': action['id']}
        data, texts = {}, []
        try:
            while state != end:
                result = self.rpc(
                    f'{wizard}.execute', session, data, state,
                    context=context)
                view = result.get('view')
                if not view:
                    break
                values = dict(view['defaults'], **view['values'])
                texts = [v for v in values.values() if isinstance(v, str)]
                data = {view['state']: {'reason': reason}}
                state = next(
                    b['state'] for b in view['buttons'] if b['default'])
        finally:
            self.rpc(f'{wizard}.delete', session)
        return '\n'.join(texts)


def race(calls):
    """Run the calls at once, one thread each; return for each call
    ('ok', result) or ('error', the product's message or the HTTP error)"""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            outcomes[i] = ('ok', call())
        except RpcError as error:
            if isinstance(error.args[0], int):
                outcomes[i] = ('error', 'HTTP %s %s' % error.args)
            else:
                # ['UserError', [message, description, ...]]
                outcomes[i] = ('error', error.args[0][1][0])
    threads = [threading.Thread(target=run, args=(i, c))
        for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


class ContentionTestCase(unittest.TestCase):
    "Parallel claims give one winner and the product's messages"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()
        cls.admin = Client(cls.server, 'admin')

    def employee_name(self, client):
        return client.context['employee.rec_name']

    def customer(self, pool_id, name=None):
        "A new open customer of the pool, named uniquely"
        name = name or f"并发测试{uuid.uuid4().hex[:10]}科技有限公司"
        party_id, = self.admin.rpc('model.party.party.create',
            [{'name': name, 'crm_type': 'organization', 'pool': pool_id}],
            context={'crm_customer': True})
        return party_id, name

    def open_pool(self, quota=None):
        "A pool of which the salespeople lock customers without approval"
        policy_id, = self.admin.rpc('model.crm.ownership.policy.create', [{
                    'name': f"并发测试策略{uuid.uuid4().hex[:6]}",
                    'creation_mode': 'open', 'needs_approval': False,
                    'default_quota': quota, 'cooldown_days': 0,
                    'warning_days': 0,
                    }])
        pool_id, = self.admin.rpc('model.crm.customer.pool.create', [{
                    'name': f"并发测试客户池{uuid.uuid4().hex[:6]}",
                    'policy': policy_id,
                    }])
        return policy_id, pool_id

    def release(self, owner, party_ids):
        "The owner gives the customers back (the test leaves no trace)"
        if party_ids:
            owner.click('party.party', 'release', party_ids,
                reason="并发测试结束")

    def assertNoServerError(self, outcomes):
        for kind, value in outcomes:
            self.assertNotRegex(str(value), r'^HTTP ', outcomes)

    def test_lock_requests_for_one_customer(self):
        """20 salespeople's sessions apply for the same open customer of the
        demo pool (approval needed): one request waits for approval, the
        others are told who applied first"""
        requested = [r['party'] for r in self.admin.rpc(
                'model.crm.lock.request.search_read',
                [('state', '=', 'pending')], 0, None, None, ['party'])]
        party_id, = self.admin.rpc('model.party.party.search', [
                ('ownership_state', '=', 'open'),
                ('crm_type', '=', 'organization'),
                ('id', 'not in', requested),
                ['OR', ('pool', '=', None),
                    ('pool.policy.needs_approval', '=', True)],
                ], 0, 1, [('id', 'DESC')])
        party, = self.admin.rpc('model.party.party.read', [party_id],
            ['rec_name'])
        clients = [Client(self.server, ['sales', 'sales2', 'supervisor'][
                    i % 3]) for i in range(20)]
        outcomes = race([
                (lambda c=c: c.click('party.party', 'request_lock',
                        [party_id], reason="并发申请"))
                for c in clients])
        self.assertNoServerError(outcomes)
        requests = self.admin.rpc('model.crm.lock.request.search_read', [
                ('party', '=', party_id), ('state', '=', 'pending')],
            0, None, None, ['requester', 'requester.rec_name'])
        self.assertEqual(len(requests), 1, outcomes)
        request, = requests
        winner = request['requester.']['rec_name']
        won = [c for c, (kind, _) in zip(clients, outcomes) if kind == 'ok']
        self.assertEqual(len(won), 1, outcomes)
        self.assertEqual(self.employee_name(won[0]), winner)
        for client, (kind, text) in zip(clients, outcomes):
            if kind == 'ok':
                continue
            if self.employee_name(client) == winner:
                expected = message('crm_ext', 'msg_already_requested',
                    party=party['rec_name'])
            else:
                expected = message('crm_ext', 'msg_requested_by_other',
                    party=party['rec_name'], employee=winner)
            self.assertEqual(text, expected)
        # the winner withdraws: the demo's requests stay as they were
        won[0].click('crm.lock.request', 'cancel', [request['id']])

    def test_claims_for_one_customer(self):
        """20 sessions claim the same customer of a pool without approval:
        it has one owner, the others are told who owns it"""
        _, pool_id = self.open_pool()
        party_id, name = self.customer(pool_id)
        clients = [Client(self.server, ['sales', 'sales2', 'supervisor'][
                    i % 3]) for i in range(20)]
        outcomes = race([
                (lambda c=c: c.click('party.party', 'request_lock',
                        [party_id], reason="并发认领"))
                for c in clients])
        self.assertNoServerError(outcomes)
        party, = self.admin.rpc('model.party.party.read', [party_id],
            ['ownership_state', 'owner', 'owner.rec_name'])
        self.assertEqual(party['ownership_state'], 'locked')
        owner = party['owner.']['rec_name']
        won = [c for c, (kind, _) in zip(clients, outcomes) if kind == 'ok']
        self.assertEqual(len(won), 1, outcomes)
        self.addCleanup(self.release, won[0], [party_id])
        self.assertEqual(won[0].context['employee'], party['owner'])
        self.assertEqual(self.admin.rpc(
                'model.crm.ownership.history.search_count',
                [('party', '=', party_id), ('action', '=', 'lock')]), 1)
        # the winner is told at once that the customer is theirs
        self.assertEqual([t for k, t in outcomes if k == 'ok'],
            [message('crm_ext', 'msg_lock_granted', party=name)])
        expected = message('crm_ext', 'msg_not_open', party=name, owner=owner)
        self.assertEqual(
            [t for k, t in outcomes if k != 'ok'], [expected] * 19)

    def test_claims_near_the_quota(self):
        """One salesperson claims 10 customers at once with room for 3:
        3 are locked, the others get the quota message"""
        clients = [Client(self.server, 'sales2') for _ in range(10)]
        employee = clients[0].context['employee']
        used = (self.admin.rpc('model.party.party.search_count', [
                    ('owner', '=', employee),
                    ('ownership_state', '=', 'locked')])
            + self.admin.rpc('model.crm.lock.request.search_count', [
                    ('requester', '=', employee),
                    ('state', '=', 'pending')]))
        quota = used + 3
        _, pool_id = self.open_pool(quota=quota)
        party_ids = [self.customer(pool_id)[0] for _ in clients]
        outcomes = race([
                (lambda c=c, p=p: c.click('party.party', 'request_lock',
                        [p], reason="配额内认领"))
                for c, p in zip(clients, party_ids)])
        self.assertNoServerError(outcomes)
        locked = self.admin.rpc('model.party.party.search', [
                ('id', 'in', party_ids), ('owner', '=', employee),
                ('ownership_state', '=', 'locked')])
        self.addCleanup(self.release, clients[0], locked)
        self.assertEqual(len(locked), 3, outcomes)
        self.assertEqual(
            len([k for k, _ in outcomes if k == 'ok']), 3, outcomes)
        template = message('crm_ext', 'msg_quota_reached')
        pattern = re.escape(template % {
                'employee': self.employee_name(clients[0]),
                'quota': quota, 'used': quota,
                'suggestion': '\0'}).replace('\0', '.+')
        for kind, text in outcomes:
            if kind != 'ok':
                self.assertRegex(text, f'^{pattern}$')

    def test_redemptions_of_one_member(self):
        """30 redemptions of 100 points each, at once, of a member with 1000
        points: the 10 affordable ones succeed, the others are told the
        balance is short, and it is never negative"""
        party_id, = self.admin.rpc('model.party.party.create', [{
                    'name': f"会员{uuid.uuid4().hex[:8]}",
                    'crm_type': 'individual'}],
            context={'crm_customer': True})
        member_id, = self.admin.rpc('model.member.member.create', [{
                    'party': party_id}])
        member, = self.admin.rpc('model.member.member.read', [member_id],
            ['rec_name'])
        gift_id, = self.admin.rpc('model.member.gift.create', [{
                    'name': "并发测试服务", 'type': 'service',
                    'points_price': 100}])
        # 1000 points, in adjustments that need no approval
        config, = self.admin.rpc('model.member.configuration.read', [1],
            ['adjust_approval_threshold'])
        step = min(config['adjust_approval_threshold'], 1000)
        self.assertGreaterEqual(step, 100)
        adjustment_ids = self.admin.rpc('model.member.adjustment.create', [{
                    'member': member_id, 'points': min(step, 1000 - i),
                    'reason': "并发测试积分"} for i in range(0, 1000, step)])
        self.admin.rpc('model.member.adjustment.request', adjustment_ids)
        redemption_ids = self.admin.rpc('model.member.redemption.create', [
                {'member': member_id, 'gift': gift_id, 'quantity': 1}
                for _ in range(30)])
        clients = [Client(self.server, ['sales', 'sales2', 'agent'][i % 3])
            for i in range(30)]
        outcomes = race([
                (lambda c=c, r=r: c.rpc(
                        'model.member.redemption.redeem', [r]))
                for c, r in zip(clients, redemption_ids)])
        self.assertNoServerError(outcomes)
        member, = self.admin.rpc('model.member.member.read', [member_id],
            ['rec_name', 'balance'])
        self.assertEqual(member['balance'], 0)
        requested = self.admin.rpc('model.member.redemption.search_count', [
                ('id', 'in', redemption_ids), ('state', '=', 'requested')])
        self.assertEqual(requested, 10, outcomes)
        self.assertEqual(
            len([k for k, _ in outcomes if k == 'ok']), 10, outcomes)
        expected = message('member_points', 'msg_insufficient_points',
            member=member['rec_name'], balance=0, points=100)
        self.assertEqual(
            [t for k, t in outcomes if k != 'ok'], [expected] * 20)
