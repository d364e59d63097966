# This file is part of the oa_workflow module.
"""Office supplies (SPEC OA-G1)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import threading
import time
import unittest
from decimal import Decimal

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, ValidationError)
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, with_transaction)
from trytond.transaction import Transaction, TransactionError

from .tools import create_flow


def setup_supplies(stock=None):
    """A company with two departments, an employee in each (with a user),
    an approver, an office administrator and two items; stock is the
    purchase-in quantities {code: quantity} posted at once"""
    pool = Pool()
    User = pool.get('res.user')
    Department = pool.get('oa.department')
    Item = pool.get('oa.supply.item')
    Move = pool.get('oa.supply.move')
    ModelData = pool.get('ir.model.data')
    company = create_company()
    office_admin = ModelData.get_id('oa_workflow', 'group_office_admin')
    with set_company(company):
        sales, admin_dept = Department.create([
                {'name': "销售部", 'code': 'SALES'},
                {'name': "行政部", 'code': 'ADM'},
                ])
        users = {}
        for login, name, department, groups in [
                ('supply_liu', "小刘", sales, []),
                ('supply_chen', "小陈", admin_dept, []),
                ('supply_wang', "王总", sales, []),
                ('supply_zhou', "周行政", admin_dept, [office_admin]),
                ]:
            employee = create_employee(company, name)
            employee.department = department
            employee.save()
            users[login[len('supply_'):]] = User(
                login=login, name=name, companies=[company],
                company=company, employees=[employee], employee=employee,
                groups=groups)
        User.save(list(users.values()))
        pen, paper = Item.create([{
                    'name': "签字笔", 'code': 'PEN', 'unit': "支",
                    'minimum_stock': 5, 'category': "文具",
                    }, {
                    'name': "A4纸", 'code': 'A4', 'unit': "包",
                    'minimum_stock': 2, 'unit_price': Decimal('25'),
                    }])
        items = {'PEN': pen, 'A4': paper}
        if stock:
            moves = Move.create([{
                        'item': items[code].id, 'type': 'purchase',
                        'quantity': quantity, 'unit_price': Decimal('2.5'),
                        } for code, quantity in stock.items()])
            Move.post(moves)
    return {
        'company': company, 'users': users, 'items': items,
        'sales': sales, 'admin_dept': admin_dept}


def requisition(user, lines, purpose="日常办公"):
    "Create a draft requisition of the user: lines [(item, quantity)]"
    Requisition = Pool().get('oa.supply.requisition')
    with Transaction().set_user(user.id), Transaction().set_context(
            employee=user.employee.id):
        req, = Requisition.create([{
                    'purpose': purpose,
                    'lines': [('create', [{
                                    'item': item.id, 'quantity': quantity,
                                    } for item, quantity in lines])],
                    }])
    return req


def stock_of(item):
    "The stock from the moves (SUM) and the stored one"
    pool = Pool()
    Item = pool.get('oa.supply.item')
    Move = pool.get('oa.supply.move')
    moves = Move.search([('item', '=', item.id), ('state', '=', 'done')])
    return sum(m.delta for m in moves), Item(item.id).quantity


class SuppliesTestCase(unittest.TestCase):
    "Test office supplies"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @with_transaction()
    def test_purchase_in_sets_stock_and_price(self):
        "A posted purchase-in adds to the stock and sets the price"
        data = setup_supplies({'PEN': 20})
        pen = data['items']['PEN']
        self.assertEqual(stock_of(pen), (20, 20))
        self.assertEqual(pen.unit_price, Decimal('2.5'))

    @with_transaction()
    def test_requisition_approved_stock_decreases(self):
        "A requisition is approved through the engine, then issued"
        pool = Pool()
        Task = pool.get('oa.approval.task')
        Requisition = pool.get('oa.supply.requisition')
        data = setup_supplies({'PEN': 20, 'A4': 10})
        users, items = data['users'], data['items']
        with set_company(data['company']):
            create_flow('oa.supply.requisition', "领用审批", users['wang'])
            req = requisition(
                users['liu'], [(items['PEN'], 3), (items['A4'], 2)])
            self.assertEqual(req.department, data['sales'])
            with Transaction().set_user(users['liu'].id):
                Requisition.request([req])
            self.assertEqual(req.state, 'waiting')
            self.assertEqual(req.approval_state, 'running')
            self.assertEqual(stock_of(items['PEN']), (20, 20))

            task, = Task.search([
                    ('user', '=', users['wang'].id),
                    ('state', '=', 'pending')])
            with Transaction().set_user(users['wang'].id):
                Task.approve([task])
            req = Requisition(req.id)
            self.assertEqual(req.state, 'issued')
            self.assertEqual(req.approval_state, 'approved')
            self.assertEqual(stock_of(items['PEN']), (17, 17))
            self.assertEqual(stock_of(items['A4']), (8, 8))
            self.assertEqual(
                sorted((m.type, m.quantity, m.department.code)
                    for m in req.moves),
                [('requisition', 2, 'SALES'), ('requisition', 3, 'SALES')])
            self.assertTrue(req.issued_at)

            # rejected: nothing is issued
            other = requisition(users['liu'], [(items['PEN'], 1)])
            with Transaction().set_user(users['liu'].id):
                Requisition.request([other])
            task, = Task.search([
                    ('user', '=', users['wang'].id),
                    ('state', '=', 'pending')])
            with Transaction().set_user(users['wang'].id):
                Task.reject([task])
            self.assertEqual(Requisition(other.id).state, 'rejected')
            self.assertEqual(stock_of(items['PEN']), (17, 17))

    @with_transaction()
    def test_requisition_approval_outcomes(self):
        "Returned, withdrawn and ended approvals issue nothing"
        pool = Pool()
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        Requisition = pool.get('oa.supply.requisition')
        data = setup_supplies({'PEN': 20})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            create_flow('oa.supply.requisition', "领用审批", users['wang'])
            reqs = [requisition(users['liu'], [(pen, 2)]) for _ in range(3)]
            with Transaction().set_user(users['liu'].id):
                Requisition.request(reqs)
            returned, withdrawn, ended = reqs
            task, = Task.search([
                    ('instance', '=', returned.approval_instance.id),
                    ('state', '=', 'pending')])
            with Transaction().set_user(users['wang'].id):
                Task.send_back([task])
            with Transaction().set_user(users['liu'].id):
                Requisition.withdraw_approval([withdrawn])
            Instance.force_end([ended.approval_instance])
            self.assertEqual(
                [(r.approval_state, r.state)
                    for r in Requisition.browse(reqs)],
                [('returned', 'draft'), ('withdrawn', 'draft'),
                    ('cancelled', 'cancelled')])
            self.assertEqual(stock_of(pen), (20, 20))
            self.assertFalse(any(r.moves for r in Requisition.browse(reqs)))

    @with_transaction()
    def test_requisition_without_flow_issued_at_once(self):
        "Without an approval flow the requisition is issued at once"
        pool = Pool()
        Requisition = pool.get('oa.supply.requisition')
        data = setup_supplies({'PEN': 5})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            req = requisition(users['chen'], [(pen, 5)])
            with Transaction().set_user(users['chen'].id):
                Requisition.request([req])
            self.assertEqual(req.state, 'issued')
            self.assertEqual(stock_of(pen), (0, 0))

    @with_transaction()
    def test_requisition_above_stock_refused(self):
        "A requisition above the stock is refused naming item and stock"
        pool = Pool()
        Requisition = pool.get('oa.supply.requisition')
        data = setup_supplies({'PEN': 2})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            # two lines of the same item count together
            req = requisition(users['liu'], [(pen, 2), (pen, 1)])
            with Transaction().set_user(users['liu'].id):
                with self.assertRaises(UserError) as cm:
                    Requisition.request([req])
            message = cm.exception.message
            self.assertIn("签字笔", message)
            self.assertIn("only 2 支 available", message)
            self.assertIn("3 支 requested", message)
            req = Requisition(req.id)
            self.assertEqual(req.state, 'draft')
            self.assertEqual(req.approval_state, 'none')
            self.assertEqual(stock_of(pen), (2, 2))

    @with_transaction()
    def test_stock_gone_at_approval_refused(self):
        "The stock is checked again when the requisition is issued"
        pool = Pool()
        Task = pool.get('oa.approval.task')
        Requisition = pool.get('oa.supply.requisition')
        data = setup_supplies({'PEN': 4})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            create_flow(
                'oa.supply.requisition', "领用审批", users['wang'], step="审批")
            first = requisition(users['liu'], [(pen, 3)])
            second = requisition(users['chen'], [(pen, 3)])
            for req, user in [(first, 'liu'), (second, 'chen')]:
                with Transaction().set_user(users[user].id):
                    Requisition.request([req])
            tasks = Task.search([
                    ('user', '=', users['wang'].id),
                    ('state', '=', 'pending')], order=[('id', 'ASC')])
            with Transaction().set_user(users['wang'].id):
                Task.approve([tasks[0]])
                with self.assertRaisesRegex(
                        UserError, "签字笔.*only 1 支 available"):
                    Task.approve([tasks[1]])
            self.assertEqual(stock_of(pen), (1, 1))

    @with_transaction()
    def test_stocktaking_posts_difference(self):
        "The differences of a stock-taking are posted as moves"
        pool = Pool()
        StockTaking = pool.get('oa.supply.stocktaking')
        data = setup_supplies({'PEN': 10, 'A4': 6})
        items = data['items']
        with set_company(data['company']):
            taking, = StockTaking.create([{}])
            StockTaking.fill_lines([taking])
            lines = {l.item.code: l for l in taking.lines}
            self.assertEqual(
                {c: l.expected_quantity for c, l in lines.items()},
                {'PEN': 10, 'A4': 6})
            lines['PEN'].counted_quantity = 7
            lines['A4'].counted_quantity = 8
            lines['PEN'].save()
            lines['A4'].save()
            self.assertEqual(lines['PEN'].difference, -3)
            StockTaking.done([taking])
            self.assertEqual(taking.state, 'done')
            self.assertEqual(
                sorted((m.item.code, m.type, m.quantity)
                    for m in taking.moves),
                [('A4', 'gain', 2), ('PEN', 'loss', 3)])
            self.assertEqual(stock_of(items['PEN']), (7, 7))
            self.assertEqual(stock_of(items['A4']), (8, 8))
            # adding again does not duplicate the lines; done is final
            with self.assertRaises(AccessError):
                StockTaking.delete([taking])

    @with_transaction()
    def test_bad_input_refused(self):
        "Bad input gets a clear error and changes nothing"
        pool = Pool()
        Item = pool.get('oa.supply.item')
        Move = pool.get('oa.supply.move')
        Requisition = pool.get('oa.supply.requisition')
        StockTaking = pool.get('oa.supply.stocktaking')
        data = setup_supplies({'PEN': 5})
        users, pen = data['users'], data['items']['PEN']
        with set_company(data['company']):
            for quantity in (-3, 0):
                with self.assertRaisesRegex(
                        ValidationError, "签字笔.*must be positive"):
                    Move.create([{
                                'item': pen.id, 'type': 'purchase',
                                'quantity': quantity}])
            with self.assertRaisesRegex(
                    ValidationError, "签字笔.*must be positive"):
                requisition(users['liu'], [(pen, -1)])
            with self.assertRaisesRegex(UserError, "minimum stock"):
                Item.create([{
                            'name': "订书机", 'unit': "个",
                            'minimum_stock': -1}])
            empty = requisition(users['liu'], [])
            with self.assertRaisesRegex(UserError, "at least one item"):
                Requisition.request([empty])
            # the stock is changed only by moves
            with Transaction().set_user(users['zhou'].id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaisesRegex(UserError, "posted moves"):
                    Item.write([pen], {'quantity': 100})
            # a posted move is final
            move, = Move.search([('item', '=', pen.id)])
            with self.assertRaisesRegex(UserError, "is posted"):
                Move.write([move], {'quantity': 50})
            with self.assertRaisesRegex(UserError, "is posted"):
                Move.delete([move])
            # a return above what was issued
            req = requisition(users['liu'], [(pen, 2)])
            Requisition.request([req])
            back, = Move.create([{
                        'item': pen.id, 'type': 'return', 'quantity': 3,
                        'requisition': req.id}])
            with self.assertRaisesRegex(UserError, "at most 2 支"):
                Move.post([back])
            # a negative count
            taking, = StockTaking.create([{}])
            with self.assertRaisesRegex(
                    ValidationError, "签字笔.*cannot be negative"):
                StockTaking.write([taking], {'lines': [('create', [{
                                    'item': pen.id,
                                    'counted_quantity': -2}])]})
            self.assertEqual(stock_of(pen), (3, 3))
            self.assertEqual(Item.search([('name', '=', "订书机")]), [])

    @with_transaction()
    def test_return_and_usage_per_department(self):
        "Usage per department: issued less returned in the period"
        pool = Pool()
        Move = pool.get('oa.supply.move')
        Requisition = pool.get('oa.supply.requisition')
        Usage = pool.get('oa.supply.usage')
        Date = pool.get('ir.date')
        data = setup_supplies({'PEN': 30, 'A4': 10})
        users, items = data['users'], data['items']
        with set_company(data['company']):
            reqs = [
                requisition(users['liu'], [(items['PEN'], 5)]),
                requisition(users['liu'], [(items['PEN'], 2),
                        (items['A4'], 3)]),
                requisition(users['chen'], [(items['A4'], 1)]),
                ]
            Requisition.request(reqs)
            back, = Move.create([{
                        'item': items['PEN'].id, 'type': 'return',
                        'quantity': 1, 'requisition': reqs[0].id,
                        'department': data['sales'].id}])
            Move.post([back])
            self.assertEqual(stock_of(items['PEN']), (24, 24))
            today = Date.today()
            with Transaction().set_context(
                    company=data['company'].id,
                    from_date=today, to_date=today):
                rows = Usage.search([])
                found = {(r.department.code, r.item.code):
                    (r.quantity, r.requisitions, r.amount) for r in rows}
            self.assertEqual(found, {
                    ('SALES', 'PEN'): (6, 2, Decimal('15.00')),
                    ('SALES', 'A4'): (3, 1, Decimal('7.50')),
                    ('ADM', 'A4'): (1, 1, Decimal('2.50')),
                    })
            with Transaction().set_context(
                    company=data['company'].id,
                    from_date=today, to_date=today,
                    department=data['admin_dept'].id):
                self.assertEqual(
                    [r.quantity for r in Usage.search([])], [1])
            with Transaction().set_context(
                    company=data['company'].id,
                    from_date=today.replace(year=today.year - 1),
                    to_date=today.replace(year=today.year - 1)):
                self.assertEqual(Usage.search([]), [])

    @with_transaction()
    def test_low_stock_filter_and_notification(self):
        "Items below the minimum are listed and the admins notified once"
        pool = Pool()
        Item = pool.get('oa.supply.item')
        Move = pool.get('oa.supply.move')
        data = setup_supplies({'PEN': 3, 'A4': 5})
        users, items = data['users'], data['items']
        with set_company(data['company']):
            self.assertEqual(
                [i.code for i in Item.search([('low_stock', '=', True)])],
                ['PEN'])
            self.assertEqual(
                [i.code for i in Item.search([('low_stock', '=', False)])],
                ['A4'])
            transaction = Transaction()
            transaction.user_notifications.clear()
            warned = Item.cron_low_stock()
            self.assertEqual([i.code for i in warned], ['PEN'])
            notified = [n.user.id for n in transaction.user_notifications]
            self.assertIn(users['zhou'].id, notified)
            self.assertNotIn(users['liu'].id, notified)
            description = transaction.user_notifications[0].description
            self.assertIn("签字笔", description)
            self.assertIn("3 支", description)

            # once only, until restocked
            transaction.user_notifications.clear()
            self.assertEqual(Item.cron_low_stock(), [])
            self.assertEqual(transaction.user_notifications, [])
            move, = Move.create([{
                        'item': items['PEN'].id, 'type': 'purchase',
                        'quantity': 10}])
            Move.post([move])
            Item.cron_low_stock()
            self.assertFalse(Item(items['PEN'].id).low_stock_warned)

    def test_zz_concurrent_requisitions(self):
        "Parallel requisitions of the last units: the stock never goes below 0"
        if backend.name != 'postgresql':
            self.skipTest("parallel connections and row locks need "
                "PostgreSQL (SQLite serializes writers)")
        with Transaction().start(DB_NAME, 0) as transaction:
            data = setup_supplies({'PEN': 3})
            pen_id = data['items']['PEN'].id
            company_id = data['company'].id
            user = data['users']['liu']
            user_id, employee_id = user.id, user.employee.id
            transaction.commit()

        count = 10
        barrier = threading.Barrier(count)
        results = []

        def run(i):
            # the dispatcher re-runs a transaction that hit a serialization
            # failure or asked to be run again (a lock that found its rows
            # changed); do the same here
            context = {'company': company_id, 'employee': employee_id}
            waited = False
            for attempt in range(20):
                try:
                    with Transaction().start(
                            DB_NAME, user_id,
                            context=context) as transaction:
                        pool = Pool()
                        Requisition = pool.get('oa.supply.requisition')
                        Item = pool.get('oa.supply.item')
                        req, = Requisition.create([{
                                    'purpose': "并发%s" % i,
                                    'lines': [('create', [{
                                                    'item': pen_id,
                                                    'quantity': 1}])],
                                    }])
                        if not waited:
                            waited = True
                            barrier.wait(timeout=60)
                        try:
                            Requisition.request([req])
                            transaction.commit()
                            results.append(('ok', req.id))
                        except UserError as e:
                            transaction.rollback()
                            results.append(('refused', e.message))
                        return
                except TransactionError:
                    continue
                except backend.DatabaseOperationalError:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                except Exception as e:  # pragma: no cover - reported below
                    results.append(('error', repr(e)))
                    return
            results.append(('error', 'too many retries'))

        threads = [threading.Thread(target=run, args=(i,))
            for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        self.assertEqual(len(results), count, results)
        self.assertEqual(
            [r for r in results if r[0] == 'error'], [], results)
        self.assertEqual(
            len([r for r in results if r[0] == 'ok']), 3, results)
        refused = [m for k, m in results if k == 'refused']
        self.assertTrue(
            all("签字笔" in m and "only 0" in m for m in refused), refused)
        with Transaction().start(DB_NAME, 0):
            Item = Pool().get('oa.supply.item')
            self.assertEqual(stock_of(Item(pen_id)), (0, 0))
            # the database refuses a negative stock by itself too
            table = Item.__table__()
            cursor = Transaction().connection.cursor()
            with self.assertRaises(backend.DatabaseIntegrityError):
                cursor.execute(*table.update(
                        [table.quantity], [table.quantity - 1],
                        where=table.id == pen_id))
