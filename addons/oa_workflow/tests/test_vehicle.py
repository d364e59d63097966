# This file is part of the oa_workflow module.
"""Vehicles (SPEC OA-F1 .. F3)

A plain TestCase: the generic checks of ModuleTestCase run once, in
test_module."""
import datetime as dt
import threading
import unittest
from decimal import Decimal

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from .tools import create_flow

HOUR = dt.timedelta(hours=1)


def _tomorrow(hour, days=1):
    "Tomorrow (or in days) at the hour (UTC, as stored)"
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour))


def setup_fleet():
    """A company, users with employees, two drivers and two vehicles;
    return them in a dict"""
    pool = Pool()
    User = pool.get('res.user')
    Vehicle = pool.get('oa.vehicle')
    Driver = pool.get('oa.vehicle.driver')
    company = create_company()
    with set_company(company):
        users, employees = {}, {}
        for login, name in [
                ('wang', "王经理"), ('li', "李主管"), ('zhao', "赵助理"),
                ('lao_zhang', "老张"), ('lao_chen', "老陈")]:
            employees[login] = create_employee(company, name)
            users[login] = User(
                login=login, name=name, companies=[company], company=company,
                employees=[employees[login]], employee=employees[login])
        User.save(list(users.values()))
        van, sedan = Vehicle.create([{
                    'plate': "沪A·12345", 'vehicle_model': "别克 GL8",
                    'seats': 7, 'initial_odometer': 10000,
                    'maintenance_km': 5000, 'maintenance_months': 6,
                    }, {
                    'plate': "沪B·67890", 'vehicle_model': "大众 帕萨特",
                    'seats': 5, 'initial_odometer': 30000,
                    }])
        zhang, chen = Driver.create([{
                    'employee': employees['lao_zhang'].id,
                    'license_class': 'B2', 'phone': '13800000001',
                    }, {
                    'employee': employees['lao_chen'].id,
                    'license_class': 'C1',
                    }])
    return {
        'company': company, 'users': users, 'employees': employees,
        'van': van, 'sedan': sedan, 'zhang': zhang, 'chen': chen}


def request(user, destination, start, end, passengers=2, **values):
    "Create a vehicle request as user; return it"
    Request = Pool().get('oa.vehicle.request')
    with Transaction().set_user(user.id):
        record, = Request.create([{
                    'destination': destination, 'start': start, 'end': end,
                    'passengers': passengers,
                    'purpose': "拜访客户", **values}])
    return record


def approved(user, destination, start, end, **values):
    "A request submitted without approval flow: approved at once"
    Request = Pool().get('oa.vehicle.request')
    record = request(user, destination, start, end, **values)
    with Transaction().set_user(user.id):
        Request.submit([record])
    return record


def dispatch(record, vehicle, driver):
    "Dispatch the request with the vehicle and the driver"
    Request = Pool().get('oa.vehicle.request')
    Request.write([record], {'vehicle': vehicle.id, 'driver': driver.id})
    Request.dispatch([record])
    trip, = Pool().get('oa.vehicle.trip').search([
            ('request', '=', record.id)], order=[('id', 'DESC')], limit=1)
    return trip


class VehicleTestCase(unittest.TestCase):
    "Test vehicles"

    @classmethod
    def setUpClass(cls):
        activate_module('oa_workflow')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # test_zz_concurrent_dispatch commits its data
        drop_db()

    @with_transaction()
    def test_request_approved_and_dispatched(self):
        "A request goes through approval, is dispatched, departs, returns"
        pool = Pool()
        Request = pool.get('oa.vehicle.request')
        Task = pool.get('oa.approval.task')
        Vehicle = pool.get('oa.vehicle')
        Trip = pool.get('oa.vehicle.trip')
        data = setup_fleet()
        users, van = data['users'], data['van']
        with set_company(data['company']):
            create_flow('oa.vehicle.request', "用车审批", users['li'])
            record = request(users['wang'], "浦东机场",
                _tomorrow(1), _tomorrow(5), passengers=3)
            self.assertEqual(record.requester, users['wang'])
            self.assertEqual(record.employee, data['employees']['wang'])
            with Transaction().set_user(users['wang'].id):
                Request.submit([record])
            self.assertEqual(record.state, 'waiting')
            self.assertEqual(record.approval_state, 'running')

            task, = Task.search([
                    ('user', '=', users['li'].id), ('state', '=', 'pending')])
            with Transaction().set_user(users['li'].id):
                Task.approve([task])
            self.assertEqual(record.state, 'approved')

            Transaction().user_notifications.clear()
            trip = dispatch(record, van, data['zhang'])
            self.assertEqual(record.state, 'dispatched')
            self.assertEqual(trip.state, 'planned')
            self.assertEqual(trip.vehicle, van)
            self.assertEqual(trip.driver, data['zhang'])
            self.assertEqual((trip.start, trip.end),
                (record.start, record.end))
            self.assertEqual(trip.requester, users['wang'])
            self.assertTrue(any(
                    n.user.id == users['wang'].id and "沪A·12345" in n.label
                    for n in Transaction().user_notifications))

            Trip.depart([trip])
            self.assertEqual(trip.state, 'ongoing')
            self.assertEqual(trip.odometer_out, 10000)
            self.assertEqual(Vehicle(van.id).status, 'in_use')

            trip.odometer_in = 10135
            trip.save()
            Trip.arrive([trip])
            self.assertEqual(trip.state, 'done')
            self.assertEqual(trip.distance, 135)
            self.assertIsNotNone(trip.returned_at)
            self.assertEqual(record.state, 'done')
            van = Vehicle(van.id)
            self.assertEqual(van.status, 'available')
            self.assertEqual(van.odometer, 10135)

    @with_transaction()
    def test_request_approval_outcomes(self):
        "Rejected, returned, withdrawn and ended approvals move the request"
        pool = Pool()
        Request = pool.get('oa.vehicle.request')
        Instance = pool.get('oa.approval.instance')
        Task = pool.get('oa.approval.task')
        data = setup_fleet()
        wang, li = data['users']['wang'], data['users']['li']
        with set_company(data['company']):
            create_flow('oa.vehicle.request', "用车审批", li)
            records = []
            for hour, destination in enumerate(["虹桥", "浦东", "松江", "嘉定"]):
                records.append(request(wang, destination,
                        _tomorrow(2 * hour + 1), _tomorrow(2 * hour + 2)))
            with Transaction().set_user(wang.id):
                Request.submit(records)
            rejected, returned, withdrawn, ended = records
            self.assertEqual({r.state for r in records}, {'waiting'})

            def task(record):
                task, = Task.search([
                        ('instance', '=', record.approval_instance.id),
                        ('state', '=', 'pending')])
                return task
            with Transaction().set_user(li.id):
                Task.reject([task(rejected)])
                Task.send_back([task(returned)])
            with Transaction().set_user(wang.id):
                Request.withdraw_approval([withdrawn])
            Instance.force_end([ended.approval_instance])
            self.assertEqual(
                [(r.approval_state, r.state) for r in Request.browse(records)],
                [('rejected', 'rejected'), ('returned', 'draft'),
                    ('withdrawn', 'draft'), ('cancelled', 'cancelled')])

    @with_transaction()
    def test_employees_see_their_own_requests(self):
        "Employees create requests and see their own only; no trips"
        pool = Pool()
        Request = pool.get('oa.vehicle.request')
        Trip = pool.get('oa.vehicle.trip')
        Vehicle = pool.get('oa.vehicle')
        data = setup_fleet()
        users, company = data['users'], data['company']
        with set_company(company):
            mine = request(users['wang'], "虹桥站", _tomorrow(2), _tomorrow(3))
            other = request(users['zhao'], "外滩", _tomorrow(2), _tomorrow(3))
            dispatch(approved(users['zhao'], "陆家嘴", _tomorrow(6),
                    _tomorrow(7)), data['sedan'], data['chen'])
            context = {'_check_access': True, 'company': company.id,
                'companies': [company.id]}
            with Transaction().set_user(users['wang'].id), \
                    Transaction().set_context(**context):
                self.assertEqual(Request.search([]), [mine])
                self.assertEqual(len(Vehicle.search([])), 2)
                with self.assertRaises(AccessError):
                    Trip.search([])
                with self.assertRaises(AccessError):
                    Request.write([other], {'destination': "改"})
                with self.assertRaises(AccessError):
                    Vehicle.write([data['van']], {'seats': 9})
                new, = Request.create([{
                            'destination': "张江", 'start': _tomorrow(9),
                            'end': _tomorrow(10), 'purpose': "送样品"}])
                self.assertEqual(new.requester, users['wang'])
                # the web client's views open; the trips (not readable)
                # are left out of the vehicle form
                for Model in [Request, Vehicle, pool.get('oa.vehicle.driver')]:
                    for view_type in ['tree', 'form']:
                        view = Model.fields_view_get(view_type=view_type)
                        self.assertIn('<', view['arch'])
                form = Vehicle.fields_view_get(view_type='form')
                self.assertIn('plate', form['fields'])
                self.assertNotIn('trips', form['fields'])

    @with_transaction()
    def test_dispatch_conflict_names_the_trip(self):
        "A vehicle or a driver is never dispatched twice at the same time"
        pool = Pool()
        Request = pool.get('oa.vehicle.request')
        Trip = pool.get('oa.vehicle.trip')
        data = setup_fleet()
        users, van, sedan = data['users'], data['van'], data['sedan']
        zhang, chen = data['zhang'], data['chen']
        with set_company(data['company']):
            first = approved(users['wang'], "浦东机场",
                _tomorrow(1), _tomorrow(4))
            first_trip = dispatch(first, van, zhang)

            second = approved(users['zhao'], "苏州工业园",
                _tomorrow(3), _tomorrow(6))
            with self.assertRaises(ValidationError) as cm:
                dispatch(second, van, chen)
            message = cm.exception.message
            self.assertIn("沪A·12345", message)
            self.assertIn("浦东机场", message)
            self.assertIn("王经理", message)
            self.assertEqual(Trip.search([('request', '=', second.id)]), [])

            # the driver is busy as well
            with self.assertRaises(ValidationError) as cm:
                dispatch(second, sedan, zhang)
            self.assertIn("老张", cm.exception.message)
            self.assertIn("浦东机场", cm.exception.message)

            # another vehicle and driver, or back to back, is fine
            trip = dispatch(second, sedan, chen)
            self.assertEqual(trip.state, 'planned')
            third = approved(users['li'], "虹桥站", _tomorrow(4),
                _tomorrow(5))
            self.assertEqual(dispatch(third, van, zhang).state, 'planned')

            # cancelling a dispatch frees the vehicle; the request waits
            # for another dispatch
            Trip.cancel([first_trip])
            self.assertEqual(first.state, 'approved')
            fourth = approved(users['li'], "松江", _tomorrow(2),
                _tomorrow(3))
            self.assertEqual(dispatch(fourth, van, zhang).state, 'planned')
            with self.assertRaisesRegex(UserError, "dispatch the request"):
                Trip.plan([first_trip])
            # cancelling a request cancels its trip
            Request.cancel([fourth])
            self.assertEqual(fourth.state, 'cancelled')
            self.assertEqual(
                [t.state for t in Trip.search([('request', '=', fourth.id)])],
                ['cancelled'])

    @with_transaction()
    def test_overlap_in_one_call(self):
        "Two overlapping trips created at once are refused"
        pool = Pool()
        Trip = pool.get('oa.vehicle.trip')
        data = setup_fleet()
        with set_company(data['company']):
            values = {'vehicle': data['van'].id, 'driver': data['zhang'].id,
                'start': _tomorrow(1), 'end': _tomorrow(3),
                'destination': "A"}
            with self.assertRaisesRegex(ValidationError, "沪A·12345"):
                Trip.create([values, dict(values, destination="B",
                            driver=data['chen'].id, start=_tomorrow(2))])

    @with_transaction()
    def test_vehicle_in_maintenance_not_dispatched(self):
        "A vehicle in maintenance cannot be dispatched nor leave"
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        Maintenance = pool.get('oa.vehicle.maintenance')
        Trip = pool.get('oa.vehicle.trip')
        data = setup_fleet()
        users, van = data['users'], data['van']
        with set_company(data['company']):
            record = approved(users['wang'], "嘉定", _tomorrow(1),
                _tomorrow(2))
            Request = pool.get('oa.vehicle.request')
            Request.write([record], {
                    'vehicle': van.id, 'driver': data['zhang'].id})
            service, = Maintenance.create([{
                        'vehicle': van.id, 'kind': 'service',
                        'odometer': 10500, 'cost': Decimal('680'),
                        'garage': "4S 店"}])
            Maintenance.start([service])
            self.assertEqual(Vehicle(van.id).status, 'maintenance')
            with self.assertRaisesRegex(UserError, "maintenance"):
                Request.dispatch([record])
            self.assertEqual(record.state, 'approved')

            Maintenance.finish([service])
            self.assertEqual(Vehicle(van.id).status, 'available')
            Request.dispatch([record])
            self.assertEqual(record.state, 'dispatched')

            # a vehicle on the road cannot go to maintenance
            trip, = Trip.search([('request', '=', record.id)])
            Trip.depart([trip])
            self.assertEqual(trip.odometer_out, 10500)
            with self.assertRaisesRegex(UserError, "on the road"):
                Vehicle.set_maintenance([Vehicle(van.id)])

    @with_transaction()
    def test_seats_and_licence(self):
        "Too many passengers or an expired licence refuse the dispatch"
        pool = Pool()
        Driver = pool.get('oa.vehicle.driver')
        data = setup_fleet()
        users = data['users']
        with set_company(data['company']):
            crowd = approved(users['wang'], "团建", _tomorrow(1),
                _tomorrow(2), passengers=5)
            with self.assertRaisesRegex(UserError, "5 seats.*5 passengers"):
                dispatch(crowd, data['sedan'], data['chen'])
            Driver.write([data['chen']], {
                    'license_expiry': dt.date.today()})
            with self.assertRaisesRegex(UserError, "licence"):
                dispatch(crowd, data['van'], data['chen'])
            self.assertEqual(crowd.state, 'approved')

    @with_transaction()
    def test_fuel_consumption(self):
        "Consumption between consecutive full tanks, partial fills included"
        pool = Pool()
        FuelLog = pool.get('oa.vehicle.fuel')
        Vehicle = pool.get('oa.vehicle')
        data = setup_fleet()
        van = data['van']
        today = dt.date.today()
        with set_company(data['company']):
            first, partial, full = FuelLog.create([{
                        'vehicle': van.id, 'date': today - dt.timedelta(20),
                        'odometer': 10000, 'litres': Decimal('40'),
                        'amount': Decimal('320'), 'full_tank': True,
                        }, {
                        'vehicle': van.id, 'date': today - dt.timedelta(10),
                        'odometer': 10300, 'litres': Decimal('20'),
                        'amount': Decimal('160'), 'full_tank': False,
                        }, {
                        'vehicle': van.id, 'date': today,
                        'odometer': 10600, 'litres': Decimal('25'),
                        'amount': Decimal('200'), 'full_tank': True,
                        }])
            first, partial, full = FuelLog.browse([first, partial, full])
            self.assertIsNone(first.consumption)
            self.assertIsNone(partial.consumption)
            # (20 + 25) L over 600 km
            self.assertEqual(full.consumption, 7.5)
            self.assertEqual(full.distance, 600)
            self.assertEqual(full.unit_price, Decimal('8.00'))
            van = Vehicle(van.id)
            self.assertEqual(van.fuel_consumption, 7.5)
            self.assertEqual(van.odometer, 10600)

            FuelLog.create([{
                        'vehicle': van.id, 'date': today,
                        'odometer': 11000, 'litres': Decimal('36'),
                        'amount': Decimal('288'), 'full_tank': True,
                        }])
            # (45 + 36) L over 1000 km
            self.assertEqual(Vehicle(van.id).fuel_consumption, 8.1)

    @with_transaction()
    def test_bad_input(self):
        "Odometer backwards, negative litres, end before start: refused"
        pool = Pool()
        FuelLog = pool.get('oa.vehicle.fuel')
        Trip = pool.get('oa.vehicle.trip')
        Request = pool.get('oa.vehicle.request')
        data = setup_fleet()
        users, van = data['users'], data['van']
        today = dt.date.today()
        with set_company(data['company']):
            log, = FuelLog.create([{
                        'vehicle': van.id, 'date': today - dt.timedelta(5),
                        'odometer': 12000, 'litres': Decimal('30'),
                        'amount': Decimal('240')}])
            values = {'vehicle': van.id, 'date': today, 'odometer': 12100,
                'litres': Decimal('30'), 'amount': Decimal('240')}
            with self.assertRaisesRegex(ValidationError, "more than zero"):
                FuelLog.create([dict(values, litres=Decimal('-5'))])
            with self.assertRaisesRegex(ValidationError, "backwards.*12000"):
                FuelLog.create([dict(values, odometer=11900)])
            with self.assertRaisesRegex(ValidationError, "initial"):
                FuelLog.create([dict(values,
                            date=today - dt.timedelta(30), odometer=9000)])
            self.assertEqual(FuelLog.search([]), [log])
            with self.assertRaisesRegex(ValidationError, "more than zero"):
                FuelLog.write([log], {'litres': Decimal('-1')})
            self.assertEqual(FuelLog(log.id).litres, Decimal('30'))

            with self.assertRaisesRegex(ValidationError, "end after"):
                request(users['wang'], "反了", _tomorrow(5), _tomorrow(3))
            with self.assertRaisesRegex(ValidationError, "past"):
                request(users['wang'], "过去", _tomorrow(5, days=-2),
                    _tomorrow(6, days=-2))
            with self.assertRaisesRegex(ValidationError, "passenger"):
                request(users['wang'], "没人", _tomorrow(5), _tomorrow(6),
                    passengers=0)
            self.assertEqual(Request.search([]), [])

            record = approved(users['wang'], "昆山", _tomorrow(1),
                _tomorrow(3))
            with self.assertRaisesRegex(ValidationError, "end after"):
                Request.write([record], {'end': _tomorrow(0)})
            trip = dispatch(record, van, data['zhang'])
            Trip.depart([trip])
            self.assertEqual(trip.odometer_out, 12000)
            with self.assertRaisesRegex(ValidationError, "cannot be lower.*12000"):
                Trip.write([trip], {'odometer_in': 11990})
            self.assertIsNone(Trip(trip.id).odometer_in)
            with self.assertRaisesRegex(UserError, "odometer"):
                Trip.arrive([trip])
            self.assertEqual(Trip(trip.id).state, 'ongoing')

    @with_transaction()
    def test_reminders(self):
        "Insurance, inspection and maintenance due are reminded once"
        pool = Pool()
        Vehicle = pool.get('oa.vehicle')
        Insurance = pool.get('oa.vehicle.insurance')
        Inspection = pool.get('oa.vehicle.inspection')
        Maintenance = pool.get('oa.vehicle.maintenance')
        FuelLog = pool.get('oa.vehicle.fuel')
        Configuration = pool.get('oa.vehicle.configuration')
        Cron = pool.get('ir.cron')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        data = setup_fleet()
        users, van, sedan = data['users'], data['van'], data['sedan']
        today = dt.date.today()
        admin_group = ModelData.get_id('oa_workflow', 'group_office_admin')
        User.write([users['zhao']], {'groups': [('add', [admin_group])]})
        with set_company(data['company']):
            van.responsible = users['wang']
            van.save()
            old, current, other = Insurance.create([{
                        'vehicle': van.id, 'kind': 'compulsory',
                        'insurer': "平安", 'policy_number': "P-2025",
                        'start_date': today - dt.timedelta(355),
                        'end_date': today + dt.timedelta(10),
                        'premium': Decimal('950'),
                        }, {
                        'vehicle': van.id, 'kind': 'commercial',
                        'insurer': "人保", 'policy_number': "C-2025",
                        'start_date': today - dt.timedelta(340),
                        'end_date': today + dt.timedelta(25),
                        'premium': Decimal('4200'),
                        }, {
                        'vehicle': sedan.id, 'kind': 'compulsory',
                        'insurer': "太保", 'policy_number': "P-9",
                        'start_date': today - dt.timedelta(100),
                        'end_date': today + dt.timedelta(265),
                        }])
            # the compulsory policy of the van is renewed in time
            Insurance.create([{
                        'vehicle': van.id, 'kind': 'compulsory',
                        'insurer': "平安", 'policy_number': "P-2026",
                        'start_date': today + dt.timedelta(10),
                        'end_date': today + dt.timedelta(375),
                        }])
            inspection, = Inspection.create([{
                        'vehicle': sedan.id,
                        'date': today - dt.timedelta(360),
                        'expiry_date': today + dt.timedelta(5),
                        'station': "车管所"}])
            service, = Maintenance.create([{
                        'vehicle': van.id, 'kind': 'service',
                        'date': today - dt.timedelta(30), 'odometer': 10000}])
            self.assertEqual(service.next_due_odometer, None)
            Maintenance.write([service], {'next_due_odometer': 15000})
            Maintenance.finish([service])
            FuelLog.create([{
                        'vehicle': van.id, 'date': today, 'odometer': 14600,
                        'litres': Decimal('30'), 'amount': Decimal('240')}])

            config = Configuration(1)
            config.reminder_days = 20
            config.save()

            cron, = Cron.search([('method', '=', 'oa.vehicle|cron_remind')])
            self.assertTrue(cron.active)
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                reminded = Vehicle.cron_remind()
            self.assertEqual(reminded, {
                    'oa.vehicle.inspection': [inspection.id],
                    'oa.vehicle.maintenance': [service.id],
                    })
            notified = {(n.user.id, n.label)
                for n in Transaction().user_notifications}
            labels = [l for u, l in notified]
            # the van's responsible user for its maintenance (14600 km of
            # 15000), the office administrators for the sedan
            self.assertTrue(any(u == users['wang'].id and "15000" in l
                    for u, l in notified), notified)
            self.assertTrue(any(u == users['zhao'].id and "沪B·67890" in l
                    for u, l in notified), notified)
            self.assertFalse(any("沪A·12345" in l and "nsurance" in l
                    for l in labels), labels)

            # more days ahead: the commercial policy expiring in 25 days
            config.reminder_days = 30
            config.save()
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                reminded = Vehicle.cron_remind()
            self.assertEqual(reminded, {'oa.vehicle.insurance': [current.id]})
            notification, = Transaction().user_notifications
            self.assertEqual(notification.user, users['wang'])
            self.assertIn("沪A·12345", notification.label)
            self.assertIn("25", notification.label)
            self.assertTrue(Insurance(current.id).reminded)
            self.assertFalse(Insurance(old.id).reminded)
            self.assertFalse(Insurance(other.id).reminded)

            # reminded once only
            Transaction().user_notifications.clear()
            with Transaction().set_user(0):
                self.assertEqual(Vehicle.cron_remind(), {})
            self.assertEqual(Transaction().user_notifications, [])
            van, sedan = Vehicle.browse([van, sedan])
            self.assertEqual(van.insurance_expiry,
                today + dt.timedelta(375))
            self.assertEqual(sedan.inspection_expiry,
                today + dt.timedelta(5))
            self.assertEqual(Inspection(inspection.id).expiry_state,
                'expiring')

    @with_transaction()
    def test_costs(self):
        "Costs per vehicle and per km over the chosen period"
        pool = Pool()
        Cost = pool.get('oa.vehicle.cost')
        FuelLog = pool.get('oa.vehicle.fuel')
        Maintenance = pool.get('oa.vehicle.maintenance')
        Incident = pool.get('oa.vehicle.incident')
        Insurance = pool.get('oa.vehicle.insurance')
        Trip = pool.get('oa.vehicle.trip')
        data = setup_fleet()
        users, van, sedan = data['users'], data['van'], data['sedan']
        today = dt.date.today()
        with set_company(data['company']):
            trip = dispatch(approved(users['wang'], "杭州", _tomorrow(0),
                    _tomorrow(1)), van, data['zhang'])
            Trip.depart([trip])
            trip.odometer_in = 10400
            trip.save()
            Trip.arrive([trip])
            FuelLog.create([{
                        'vehicle': van.id, 'date': today, 'odometer': 10400,
                        'litres': Decimal('35'), 'amount': Decimal('280.50')}])
            Maintenance.create([{
                        'vehicle': van.id, 'kind': 'repair', 'date': today,
                        'odometer': 10400, 'cost': Decimal('119.50')}])
            Incident.create([{
                        'vehicle': van.id, 'kind': 'violation', 'date': today,
                        'description': "超速", 'points': 3,
                        'cost': Decimal('200')}, {
                        'vehicle': van.id, 'kind': 'violation',
                        'date': today - dt.timedelta(400),
                        'description': "违停", 'cost': Decimal('999')}])
            Insurance.create([{
                        'vehicle': sedan.id, 'kind': 'commercial',
                        'insurer': "人保", 'policy_number': "C-1",
                        'start_date': today, 'end_date': today.replace(
                            year=today.year + 1) - dt.timedelta(1),
                        'premium': Decimal('3000')}])
            with Transaction().set_context(
                    from_date=today - dt.timedelta(30), to_date=today):
                costs = {c.vehicle: c for c in Cost.search([])}
            van_cost, sedan_cost = costs[van], costs[sedan]
            self.assertEqual(van_cost.fuel_cost, Decimal('280.50'))
            self.assertEqual(van_cost.maintenance_cost, Decimal('119.50'))
            self.assertEqual(van_cost.incident_cost, Decimal('200'))
            self.assertEqual(van_cost.total_cost, Decimal('600'))
            self.assertEqual(van_cost.distance, 400)
            self.assertEqual(van_cost.cost_per_km, Decimal('1.50'))
            self.assertEqual(sedan_cost.insurance_cost, Decimal('3000'))
            self.assertEqual(sedan_cost.distance, 0)
            self.assertIsNone(sedan_cost.cost_per_km)
            # the most expensive first
            with Transaction().set_context(
                    from_date=today - dt.timedelta(30), to_date=today):
                self.assertEqual(
                    [c.vehicle for c in Cost.search([])], [sedan, van])

    def test_zz_concurrent_dispatch(self):
        "One vehicle dispatched to two overlapping requests at once: one wins"
        if backend.name != 'postgresql':
            self.skipTest("the exclusion constraint needs PostgreSQL "
                "(SQLite serializes writers)")
        with Transaction().start(DB_NAME, 0) as transaction:
            data = setup_fleet()
            users = data['users']
            with set_company(data['company']):
                requests = [
                    approved(users['wang'], "并发一", _tomorrow(1, 40),
                        _tomorrow(4, 40)),
                    approved(users['zhao'], "并发二", _tomorrow(2, 40),
                        _tomorrow(5, 40)),
                    ]
                drivers = [data['zhang'], data['chen']]
            ids = [r.id for r in requests]
            driver_ids = [d.id for d in drivers]
            vehicle_id = data['van'].id
            company_id = data['company'].id
            transaction.commit()

        barrier = threading.Barrier(len(ids))
        results = []

        def run(request_id, driver_id):
            try:
                with Transaction().start(DB_NAME, 0,
                        context={'company': company_id}) as transaction:
                    pool = Pool()
                    Request = pool.get('oa.vehicle.request')
                    record = Request(request_id)
                    Request.write([record], {
                            'vehicle': vehicle_id, 'driver': driver_id})
                    barrier.wait(timeout=60)
                    try:
                        Request.dispatch([record])
                        transaction.commit()
                        results.append(('ok', record.destination))
                    except (UserError, ValidationError,
                            SQLConstraintError) as e:
                        transaction.rollback()
                        results.append(('refused', e.message))
            except Exception as e:  # pragma: no cover - reported below
                results.append(('error', repr(e)))

        threads = [threading.Thread(target=run, args=args)
            for args in zip(ids, driver_ids)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        self.assertEqual(len(results), 2, results)
        self.assertEqual(
            [r for r in results if r[0] == 'error'], [], results)
        winners = [d for k, d in results if k == 'ok']
        self.assertEqual(len(winners), 1, results)
        # the loser is told which dispatch holds the vehicle
        refused, = [m for k, m in results if k == 'refused']
        self.assertIn(winners[0], refused)
        self.assertIn("沪A·12345", refused)

        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Trip = pool.get('oa.vehicle.trip')
            Request = pool.get('oa.vehicle.request')
            trips = Trip.search([('request', 'in', ids)])
            self.assertEqual(len(trips), 1)
            self.assertEqual(
                sorted(r.state for r in Request.browse(ids)),
                ['approved', 'dispatched'])
