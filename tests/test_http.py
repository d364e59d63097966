"""Log in over HTTP (JSON-RPC, as sao does) as each demo role and check
which top menus of the five modules each role gets, and that every window
of those menus opens for the role as sao opens it."""
import unittest

from trytond.pyson import PYSONDecoder

from tests.server import RpcError, get_server

# The icon of each module's root menu
ROOTS = {
    'crm_ext': 'crm-customer',
    'oa_workflow': 'oa-office',
    'callcenter': 'callcenter-phone',
    'member_points': 'member-card',
    'partner_portal': 'partner-handshake',
    }
ALL = set(ROOTS)
# Which module roots each role sees in the menu (SPEC 0)
EXPECTED = {
    'admin': ALL,
    'consultant': ALL,
    'gm': ALL,
    'manager': ALL,
    'supervisor': ALL,
    'sales': {'crm_ext', 'oa_workflow', 'member_points'},
    'sales2': {'crm_ext', 'oa_workflow', 'member_points'},
    'agent': {'crm_ext', 'oa_workflow', 'callcenter', 'member_points'},
    'office': {'oa_workflow'},
    }


class HttpLoginTestCase(unittest.TestCase):
    "Every role logs in through the web API and gets its menus"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()
        admin = cls.server.login('admin')
        menus = cls.server.rpc('model.ir.ui.menu.search_read', [
                [('parent', '=', None)], 0, None, None, ['icon'], {}], admin)
        modules = {icon: module for module, icon in ROOTS.items()}
        cls.menu_ids = {m['id']: modules[m['icon']] for m in menus
            if m['icon'] in modules}
        assert len(cls.menu_ids) == len(ROOTS), menus

    def visible_roots(self, session):
        ids = self.server.rpc('model.ir.ui.menu.search', [
                [('parent', '=', None)], 0, None, None, {}], session)
        return {self.menu_ids[i] for i in ids if i in self.menu_ids}

    def test_each_role_sees_its_menus(self):
        for login, expected in EXPECTED.items():
            with self.subTest(login=login):
                session = self.login_ok(login)
                self.assertEqual(self.visible_roots(session), expected)

    def login_ok(self, login):
        session = self.server.login(login)
        self.assertIsInstance(session[1], int)
        preferences = self.server.rpc(
            'model.res.user.get_preferences', [False, {}], session)
        self.assertEqual(preferences['language'], 'zh_CN')
        return session

    def test_every_menu_opens_for_each_role(self):
        """Each window of the five modules' menus opens for every role that
        sees it, with the calls sao makes: the action, its first view, the
        defaults of its context form, the tab counters and the first rows
        with the view's fields; where the role may create, "New" opens the
        form with its defaults and on-change calls (each form once, by the
        first role that may create)"""
        opened = 0
        created = set()
        for login in EXPECTED:
            session = self.server.login(login)
            context = self.server.rpc(
                'model.res.user.get_preferences', [True, {}], session)
            roots = [i for i in self.server.rpc('model.ir.ui.menu.search', [
                        [('parent', '=', None)], 0, None, None, context],
                    session) if i in self.menu_ids]
            leaves = self.server.rpc('model.ir.ui.menu.search_read', [
                    [('parent', 'child_of', roots), ('childs', '=', None)],
                    0, None, None, ['complete_name'], context], session)
            for menu in leaves:
                with self.subTest(login=login, menu=menu['complete_name']):
                    window = self.open_window(session, context, menu['id'])
                    if window:
                        opened += 1
                        self.new_record(session, *window, created)
        self.assertGreater(opened, 100)
        self.assertGreater(len(created), 30)

    def open_window(self, session, user_context, menu_id):
        """Open the window of the menu as sao does; the action and its
        context if it is a window"""
        rpc = self.server.rpc
        action, = rpc('model.ir.action.keyword.get_keyword',
            ['tree_open', ['ir.ui.menu', menu_id], user_context], session)
        if action['type'] != 'ir.action.act_window':
            return None
        decoder = PYSONDecoder({**user_context, '_user': session[1]})
        context = {**user_context, **decoder.decode(action['pyson_context'])}
        decoder = PYSONDecoder({**context, '_user': session[1]})
        model = action['res_model']
        if action.get('context_model'):
            form = rpc(f"model.{action['context_model']}.fields_view_get",
                [None, 'form', context], session)
            context.update(rpc(f"model.{action['context_model']}.default_get",
                    [list(form['fields']), False, context], session))
        view_id, view_type = action['views'][0]
        view = rpc(f'model.{model}.fields_view_get',
            [view_id, view_type, context], session)
        domain = decoder.decode(action['pyson_domain'])
        tabs = [(decoder.decode(d), count)
            for _, d, count in action.get('domains') or []]
        for tab, count in tabs:
            if count:
                rpc(f'model.{model}.search_count',
                    [['AND', tab, domain], 0, 1000, context], session)
        if tabs:
            domain = ['AND', tabs[0][0], domain]
        order = decoder.decode(action['pyson_order'] or 'null')
        rpc(f'model.{model}.search_read',
            [domain, 0, 20, order, list(view['fields']), context], session)
        return action, context

    def new_record(self, session, action, context, created):
        """Click "New" as sao does when the role may create: the form view,
        the defaults, then the on_change of each defaulted field and the
        on_change_with of the fields depending on them; the (model, form)
        is added to created"""
        rpc = self.server.rpc
        model = action['res_model']
        form_id = next(
            (v for v, type_ in action['views'] if type_ == 'form'), None)
        if (model, form_id) in created:
            return
        access = rpc('model.ir.model.access.get_access',
            [[model], context], session)[model]
        if not access['create']:
            return
        fields = rpc(f'model.{model}.fields_view_get',
            [form_id, 'form', context], session)['fields']
        values = rpc(f'model.{model}.default_get',
            [list(fields), True, context], session)
        defaulted = [f for f in values if f in fields]

        def args(names):
            "The values sao sends: the record's, empty when not defaulted"
            return {n: values.get(n, [] if fields[n]['type'] in {
                        'one2many', 'many2many'} else None)
                for n in names if n in fields}
        for name in defaulted:
            if fields[name].get('on_change'):
                rpc(f'model.{model}.on_change_{name}',
                    [args(fields[name]['on_change']), context], session)
        for name, field in fields.items():
            depends = field.get('on_change_with') or []
            if set(depends) & set(defaulted):
                rpc(f'model.{model}.on_change_with_{name}',
                    [args(depends + [name]), context], session)
        created.add((model, form_id))

    def test_wrong_password_refused(self):
        with self.assertRaises(RpcError) as context:
            self.server.login('sales', 'not-the-password')
        self.assertEqual(context.exception.args[0], 401)

    def test_roles_have_their_employee_and_department(self):
        "Each demo login is an employee placed in a department"
        admin = self.server.login('admin')
        users = self.server.rpc('model.res.user.search_read', [
                [('login', 'in', list(set(EXPECTED) - {'admin'}))],
                0, None, None,
                ['login', 'employee', 'employee.department.code',
                    'employee.supervisor'], {}], admin)
        by_login = {u['login']: u for u in users}
        self.assertEqual(set(by_login), set(EXPECTED) - {'admin'})
        for login, user in by_login.items():
            self.assertTrue(user['employee'], login)
        self.assertEqual(
            by_login['sales']['employee.']['department.']['code'], 'S1')
        # supervisor chain: sales -> supervisor -> manager -> gm
        self.assertEqual(by_login['sales']['employee.']['supervisor'],
            by_login['supervisor']['employee'])
        self.assertEqual(by_login['supervisor']['employee.']['supervisor'],
            by_login['manager']['employee'])
        self.assertEqual(by_login['manager']['employee.']['supervisor'],
            by_login['gm']['employee'])

    def test_demo_trip_waits_for_the_supervisor(self):
        "The submitted demo trip is in the supervisor's inbox and nobody else's"
        todo = [('state', '=', 'pending'),
            ('document', 'like', 'oa.form,%')]
        for login, expected in [('supervisor', 1), ('sales', 0),
                ('sales2', 0), ('gm', 0)]:
            with self.subTest(login=login):
                session = self.server.login(login)
                tasks = self.server.rpc('model.oa.approval.task.search_read',
                    [todo + [('user', '=', session[1])], 0, None, None,
                        ['document', 'step.name'], {}], session)
                self.assertEqual(len(tasks), expected)
                if expected:
                    self.assertEqual(tasks[0]['step.']['name'], "主管审批")
                    self.assertTrue(
                        tasks[0]['document'].startswith('oa.form,'))

    def test_demo_office_data(self):
        "The office administrator finds rooms booked, vehicles and stock"
        session = self.server.login('office')

        def search_read(model, domain, fields):
            return self.server.rpc(f'model.{model}.search_read',
                [domain, 0, None, None, fields, {}], session)
        rooms = search_read('oa.meeting.room', [], ['name', 'next_booking'])
        self.assertEqual(len(rooms), 3)
        self.assertTrue(all(r['next_booking'] for r in rooms), rooms)
        bookings = search_read('oa.meeting.booking',
            [('state', '=', 'confirmed')], ['subject', 'start'])
        self.assertEqual(len(bookings), 4)
        vehicles = search_read('oa.vehicle', [], ['plate', 'status'])
        self.assertEqual({v['status'] for v in vehicles}, {'available'})
        self.assertEqual(len(vehicles), 2)
        low = search_read('oa.supply.item', [('low_stock', '=', True)],
            ['code', 'quantity'])
        self.assertEqual([(i['code'], i['quantity']) for i in low],
            [('STAPLE', 4)])

    def test_demo_sales_data(self):
        "The salesperson finds opportunities in stages and follow-ups"
        session = self.server.login('sales')
        opportunities = self.server.rpc(
            'model.sale.opportunity.search_read', [
                [('state', '=', 'opportunity')], 0, None, None,
                ['stage', 'amount', 'party.owner'], {}], session)
        self.assertGreaterEqual(len(opportunities), 1)
        self.assertTrue(all(o['stage'] for o in opportunities))
        records = self.server.rpc(
            'model.crm.contact_record.search_read', [
                [], 0, None, None, ['party', 'next_contact_date'], {}],
            session)
        self.assertGreaterEqual(len(records), 1)
        self.assertTrue(all(r['next_contact_date'] for r in records))
        appointments = self.server.rpc('model.crm.event.search_count', [
                [('type', '=', 'appointment'), ('state', '=', 'planned')],
                0, None, {}], session)
        self.assertEqual(appointments, len(records))
        # the work queues have customers to contact today and overdue
        context = self.server.rpc(
            'model.res.user.get_preferences', [True, {}], session)
        counts = self.server.rpc(
            'model.party.party.crm_queue_counts', [context], session)
        self.assertGreaterEqual(counts['today'], 1, counts)
        self.assertGreaterEqual(counts['overdue'], 1, counts)

    def test_demo_lock_request_approved_by_the_supervisor(self):
        "The salesperson's lock request waits for the supervisor (CRM-B2)"
        todo = [('state', '=', 'pending'),
            ('document', 'like', 'crm.lock.request,%')]
        for login in ['sales', 'sales2', 'gm']:
            with self.subTest(login=login):
                session = self.server.login(login)
                self.assertEqual(self.server.rpc(
                        'model.oa.approval.task.search_count',
                        [todo + [('user', '=', session[1])], {}], session), 0)
        sales = self.server.login('sales')
        requests = self.server.rpc('model.crm.lock.request.search_read', [
                [('state', '=', 'pending')], 0, None, None,
                ['party', 'party.name', 'approval_state'], {}], sales)
        self.assertEqual(len(requests), 1)
        request, = requests
        self.assertEqual(request['approval_state'], 'running')
        supervisor = self.server.login('supervisor')
        task, = self.server.rpc('model.oa.approval.task.search_read', [
                todo + [('user', '=', supervisor[1])], 0, None, None,
                ['document', 'step.name'], {}], supervisor)
        self.assertEqual(task['step.']['name'], "主管审批")
        self.server.rpc('model.oa.approval.task.approve',
            [[task['id']], {}], supervisor)
        request, = self.server.rpc('model.crm.lock.request.read', [
                [request['id']], ['state', 'approval_state'], {}], sales)
        self.assertEqual(
            (request['state'], request['approval_state']),
            ('approved', 'approved'))
        party, = self.server.rpc('model.party.party.read', [
                [requests[0]['party']], ['ownership_state', 'owner'], {}],
            sales)
        self.assertEqual(party['ownership_state'], 'locked')
        preferences = self.server.rpc(
            'model.res.user.get_preferences', [True, {}], sales)
        self.assertEqual(party['owner'], preferences['employee'])

    def test_list_views_show_datetimes_with_date_and_time(self):
        "sao has no list column for date-times: lists must split them"
        import re
        session = self.server.login('admin')
        views = self.server.rpc('model.ir.ui.view.search_read', [
                [('type', '=', 'tree'), ('inherit', '=', None),
                    ('module', 'in', list(ROOTS))],
                0, None, None, ['model', 'name'], {}], session)
        self.assertTrue(views)
        for view in views:
            result = self.server.rpc(
                f"model.{view['model']}.fields_view_get",
                [view['id'], 'tree', {}], session)
            for match in re.finditer(
                    r'<field name="(\w+)"([^>]*)>', result['arch']):
                name, attributes = match.groups()
                field = result['fields'].get(name, {})
                if field.get('type') in {'datetime', 'timestamp'}:
                    with self.subTest(view=view['name'], field=name):
                        self.assertIn('widget=', attributes)

    def test_demo_customers_have_contacts(self):
        "The generated customers carry phones, e-mail and an address"
        session = self.server.login('admin')
        count = self.server.rpc('model.party.party.search_count', [
                [('contact_mechanisms.type', '=', 'mobile')], 0, None, {}],
            session)
        self.assertGreaterEqual(count, self.server.customers)
        parties = self.server.rpc('model.party.party.search_read', [
                [('contact_mechanisms.type', '=', 'mobile')], 0, 5, None,
                ['name', 'addresses', 'contact_mechanisms'], {}], session)
        for party in parties:
            self.assertTrue(party['name'].endswith('公司'), party['name'])
            self.assertEqual(len(party['addresses']), 1)
            self.assertEqual(len(party['contact_mechanisms']), 3)
