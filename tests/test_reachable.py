"""Everything a user reaches from their own lists opens without a
record-rule error (SPEC CRM-B6, X3).

Over JSON-RPC, as sao does it, each demo role opens every window of the
menus it sees (the five modules' and the upstream ones) and reads the first
rows of its tabs with the fields of its first view and of the form a row
opens in, with the names (rec_name) of their relations: what sao shows when
the list is opened and a row is opened."""
import unittest

from trytond.pyson import PYSONDecoder

from tests.server import RpcError, get_server

ROLES = ['admin', 'gm', 'manager', 'supervisor', 'sales', 'sales2',
    'office', 'agent', 'consultant']
ROWS = 5
RELATIONS = {'many2one', 'one2one', 'reference', 'one2many', 'many2many'}
WINDOW = 'ir.action.act_window,'


def read_names(fields):
    """The names sao reads to show the fields: each field, the rec_name of
    its relations and the record's own rec_name"""
    names = set()
    for name, field in fields.items():
        names.add(name)
        if field['type'] in RELATIONS:
            names.add(name + '.rec_name')
    return names | {'rec_name', '_timestamp', '_write', '_delete'}


class ReachableTestCase(unittest.TestCase):
    "No access error on what a role reaches from its lists"

    @classmethod
    def setUpClass(cls):
        cls.server = get_server()

    def test_every_list_and_its_relations_read_for_each_role(self):
        rpc = self.server.rpc
        opened = 0
        problems = []
        for login in ROLES:
            session = self.server.login(login)
            context = rpc(
                'model.res.user.get_preferences', [True, {}], session)
            roots = rpc('model.ir.ui.menu.search', [
                    [('parent', '=', None)], 0, None, None, context],
                session)
            leaves = rpc('model.ir.ui.menu.search_read', [
                    [('parent', 'child_of', roots), ('childs', '=', None)],
                    0, None, None, ['complete_name', 'action'], context],
                session)
            menus = {}
            for menu in leaves:
                if (menu['action'] or '').startswith(WINDOW):
                    menus.setdefault(int(menu['action'][len(WINDOW):]),
                        menu['complete_name'])
            actions = rpc('model.ir.action.act_window.read', [list(menus),
                    ['res_model', 'pyson_domain', 'pyson_context',
                        'pyson_order', 'views', 'domains', 'context_model'],
                    context], session)
            views = {}
            for action in actions:
                try:
                    self.open_window(session, context, action, views)
                    opened += 1
                except RpcError as error:
                    problems.append(
                        f"{login}: {menus[action['id']]}: {error}")
        self.assertFalse(problems, '\n'.join(problems))
        self.assertGreater(opened, 500)

    def open_window(self, session, user_context, action, views):
        """Read the first rows of the window's tabs as its first view and
        the form show them; views caches the names to read per view"""
        rpc = self.server.rpc
        decoder = PYSONDecoder({**user_context, '_user': session[1]})
        context = {**user_context, **decoder.decode(action['pyson_context'])}
        decoder = PYSONDecoder({**context, '_user': session[1]})
        model = action['res_model']
        if action['context_model']:
            form = rpc(f"model.{action['context_model']}.fields_view_get",
                [None, 'form', context], session)
            context.update(rpc(
                    f"model.{action['context_model']}.default_get",
                    [list(form['fields']), False, context], session))
        domain = decoder.decode(action['pyson_domain'])
        tabs = [decoder.decode(d) for _, d, _ in action['domains'] or []]
        if tabs:
            domain = ['AND', domain, ['OR'] + tabs]
        # the first view (list, calendar, graph...) and the form of a row
        first = action['views'][0] if action['views'] else [None, 'form']
        form = next((v for v in action['views'] if v[1] == 'form'),
            [None, 'form'])
        names = set()
        for view_id, view_type in [first, form]:
            if view_type == 'board':
                continue
            key = (model, view_id, view_type)
            if key not in views:
                views[key] = read_names(rpc(
                        f'model.{model}.fields_view_get',
                        [view_id, view_type, context], session)['fields'])
            names |= views[key]
        order = decoder.decode(action['pyson_order'] or 'null')
        rpc(f'model.{model}.search_read',
            [domain, 0, ROWS, order, sorted(names), context], session)
