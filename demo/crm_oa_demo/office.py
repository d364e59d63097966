"""Office administration demo data (SPEC X5, OA-E, OA-F, OA-G): meeting
rooms with the next days' bookings, vehicles with a driver, their insurance
policies and annual inspections (some expiring soon: the reminders are
sent), vehicle requests waiting for dispatch, office supplies in stock and
requisitions waiting for the office administrator's approval. Created
through the ORM as the users who do it, so that the rooms' availability, the
vehicle register, the dispatch queue and the supplies show real content in
the web client. Every date is counted from the company's today."""
import datetime as dt
from decimal import Decimal

ROOMS = [
    # name, code, capacity, location, equipment
    ("大会议室", 'BIG', 20, "3楼 301", "投影仪、视频会议、白板"),
    ("小会议室", 'SMALL', 6, "3楼 305", "电视屏幕、白板"),
    ("洽谈室", 'TALK', 4, "1楼 前台旁", "茶具"),
    ]
# subject, room code, organizer login, days from today, hour (local), hours
BOOKINGS = [
    ("销售周例会", 'BIG', 'manager', 1, 9, 1.5),
    ("新产品培训", 'BIG', 'office', 2, 14, 2),
    ("客户方案评审", 'SMALL', 'supervisor', 1, 10, 1),
    ("云帆信息来访洽谈", 'TALK', 'sales', 1, 15, 1),
    ]
VEHICLES = [
    # plate, model, seats, odometer
    ("沪A·D6201", "别克 GL8", 7, 38200),
    ("沪B·53K88", "大众 帕萨特", 5, 61450),
    ]
ITEMS = [
    # name, code, unit, minimum stock, purchased, unit price
    ("A4 复印纸", 'A4', "包", 10, 40, '23.00'),
    ("签字笔（黑）", 'PEN', "支", 20, 100, '2.50'),
    ("笔记本", 'NOTE', "本", 10, 30, '8.00'),
    ("订书钉", 'STAPLE', "盒", 5, 4, '3.00'),
    ]
# plate, kind, insurer, policy number, expiry in days from today, premium
INSURANCES = [
    ("沪A·D6201", 'compulsory', "中国人保财险", 'PDZA2025310100001234', 12,
        '950.00'),
    ("沪A·D6201", 'commercial', "中国人保财险", 'PDAA2025310100005678', 12,
        '4860.00'),
    ("沪B·53K88", 'compulsory', "平安产险", 'PA1231000202500098765', 210,
        '950.00'),
    ("沪B·53K88", 'commercial', "平安产险", 'PA1231000202500098766', 210,
        '3920.00'),
    ]
# plate, valid until in days from today, station, cost
INSPECTIONS = [
    ("沪A·D6201", 160, "上海浦东机动车检测站", '360.00'),
    ("沪B·53K88", 25, "上海闵行机动车检测站", '360.00'),
    ]
# requester login, destination, purpose, passengers, days from today,
# hour (local), hours, dispatched
VEHICLE_REQUESTS = [
    ('sales', "苏州工业园区 客户现场", "智联科技方案演示，携带演示设备", 2, 1, 9, 8,
        False),
    ('supervisor', "浦东国际机场", "接送来访客户", 3, 2, 14, 3, True),
    ]
# requester login, purpose, [(item code, quantity)], approved
REQUISITIONS = [
    ('sales', "客户拜访资料打印", [('A4', 2), ('PEN', 5)], False),
    ('sales2', "新员工入职", [('NOTE', 2), ('PEN', 2)], False),
    ('supervisor', "销售一组季度办公用品", [('A4', 5), ('NOTE', 3)], True),
    ]


def setup_office(company, users):
    """Rooms, bookings, vehicles with their documents, a driver, vehicle
    requests, supplies and requisitions of the demo"""
    from trytond.transaction import Transaction
    office = users['office']
    with Transaction().set_user(office.id), Transaction().set_context(
            company=company.id, employee=office.employee.id):
        rooms = _rooms()
        vehicles, driver = _vehicles(users)
        _vehicle_documents(vehicles)
        items = _supplies()
    _bookings(company, users, rooms)
    _vehicle_requests(company, users, vehicles, driver)
    _requisitions(company, users, items)
    with Transaction().set_context(company=company.id):
        _remind_vehicles()


def _rooms():
    from trytond.pool import Pool
    Room = Pool().get('oa.meeting.room')
    rooms = Room.create([{
                'name': name, 'code': code, 'capacity': capacity,
                'location': location, 'equipment': equipment}
            for name, code, capacity, location, equipment in ROOMS])
    return {r.code: r for r in rooms}


def _bookings(company, users, rooms):
    "Confirmed bookings of the next days, each booked by its organizer"
    from trytond.pool import Pool
    from trytond.tools import timezone as tz
    from trytond.transaction import Transaction
    Booking = Pool().get('oa.meeting.booking')
    zone = tz.ZoneInfo(company.timezone) if company.timezone else tz.SERVER
    today = dt.datetime.now(zone).date()  # the company's today
    for subject, code, login, days, hour, hours in BOOKINGS:
        user = users[login]
        start = dt.datetime.combine(
            today + dt.timedelta(days=days), dt.time(hour), tzinfo=zone
            ).astimezone(tz.UTC).replace(tzinfo=None)
        with Transaction().set_user(user.id), Transaction().set_context(
                company=company.id, employee=user.employee.id):
            booking, = Booking.create([{
                        'room': rooms[code].id, 'subject': subject,
                        'start': start,
                        'end': start + dt.timedelta(hours=hours),
                        'attendees': [('add', [
                                    u.id for l, u in users.items()
                                    if l in {'sales', 'sales2', login}])],
                        }])
            Booking.book([booking])


def _vehicles(users):
    from trytond.pool import Pool
    pool = Pool()
    Vehicle = pool.get('oa.vehicle')
    Driver = pool.get('oa.vehicle.driver')
    vehicles = Vehicle.create([{
                'plate': plate, 'vehicle_model': model, 'seats': seats,
                'initial_odometer': odometer,
                'responsible': users['office'].id}
            for plate, model, seats, odometer in VEHICLES])
    driver, = Driver.create([{
                'employee': users['agent'].employee.id,
                'license_class': 'B2', 'phone': '13916820731'}])
    return {v.plate: v for v in vehicles}, driver


def _vehicle_documents(vehicles):
    """The insurance policies (one year) and the annual inspections, some
    expiring within the reminder days"""
    from trytond.pool import Pool
    pool = Pool()
    Insurance = pool.get('oa.vehicle.insurance')
    Inspection = pool.get('oa.vehicle.inspection')
    today = pool.get('ir.date').today()  # the company's today
    Insurance.create([{
                'vehicle': vehicles[plate].id, 'kind': kind,
                'insurer': insurer, 'policy_number': number,
                'start_date': today + dt.timedelta(days=days - 365),
                'end_date': today + dt.timedelta(days=days),
                'premium': Decimal(premium)}
            for plate, kind, insurer, number, days, premium in INSURANCES])
    Inspection.create([{
                'vehicle': vehicles[plate].id,
                'date': today + dt.timedelta(days=days - 365),
                'expiry_date': today + dt.timedelta(days=days),
                'station': station, 'result': 'passed',
                'cost': Decimal(cost)}
            for plate, days, station, cost in INSPECTIONS])


def _remind_vehicles():
    """The daily reminder job, run once: the office administrator has the
    notifications of the documents expiring soon"""
    from trytond.pool import Pool
    Pool().get('oa.vehicle').cron_remind()


def _vehicle_requests(company, users, vehicles, driver):
    """The requests of the salespeople (approved at once: no approval flow
    applies to them), one of them dispatched by the office administrator"""
    from trytond.pool import Pool
    from trytond.tools import timezone as tz
    from trytond.transaction import Transaction
    Request = Pool().get('oa.vehicle.request')
    zone = tz.ZoneInfo(company.timezone) if company.timezone else tz.SERVER
    today = dt.datetime.now(zone).date()  # the company's today
    to_dispatch = []
    for (login, destination, purpose, passengers, days, hour, hours,
            dispatched) in VEHICLE_REQUESTS:
        user = users[login]
        start = dt.datetime.combine(
            today + dt.timedelta(days=days), dt.time(hour), tzinfo=zone
            ).astimezone(tz.UTC).replace(tzinfo=None)
        with Transaction().set_user(user.id), Transaction().set_context(
                company=company.id, employee=user.employee.id):
            request, = Request.create([{
                        'destination': destination, 'purpose': purpose,
                        'passengers': passengers, 'start': start,
                        'end': start + dt.timedelta(hours=hours)}])
            Request.submit([request])
        if dispatched:
            to_dispatch.append(request)
    office = users['office']
    with Transaction().set_user(office.id), Transaction().set_context(
            company=company.id, employee=office.employee.id):
        requests = Request.browse([r.id for r in to_dispatch])
        for request in requests:
            request.vehicle = vehicles[VEHICLES[0][0]]
            request.driver = driver
            request.dispatch_note = "请提前 30 分钟到达"
        Request.save(requests)
        Request.dispatch(requests)


def _requisitions(company, users, items):
    """The flow of the requisitions (the office administrator approves),
    requisitions waiting for it and one approved: its items are issued"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Flow = pool.get('oa.approval.flow')
    Step = pool.get('oa.approval.flow.step')
    Requisition = pool.get('oa.supply.requisition')
    Task = pool.get('oa.approval.task')
    Group = pool.get('res.group')
    ModelData = pool.get('ir.model.data')
    Flow(name="办公用品领用审批", model='oa.supply.requisition',
        steps=[Step(name="行政审批", sequence=10, approver_type='group',
                group=Group(ModelData.get_id(
                        'oa_workflow', 'group_office_admin')),
                mode='any')]).save()
    approved = []
    for login, purpose, lines, approve in REQUISITIONS:
        user = users[login]
        with Transaction().set_user(user.id), Transaction().set_context(
                company=company.id, employee=user.employee.id):
            requisition, = Requisition.create([{
                        'purpose': purpose,
                        'lines': [('create', [{
                                        'item': items[code].id,
                                        'quantity': quantity}
                                    for code, quantity in lines])],
                        }])
            Requisition.request([requisition])
        if approve:
            approved.append(requisition)
    office = users['office']
    with Transaction().set_user(office.id), Transaction().set_context(
            company=company.id, employee=office.employee.id):
        tasks = Task.search([
                ('document', 'in', [str(r) for r in approved]),
                ('user', '=', office.id),
                ('state', '=', 'pending'),
                ])
        Task.approve(tasks)


def _supplies():
    "The items and their purchase-in, posted: the stock is there"
    from trytond.pool import Pool
    pool = Pool()
    Item = pool.get('oa.supply.item')
    Move = pool.get('oa.supply.move')
    items = Item.create([{
                'name': name, 'code': code, 'unit': unit,
                'minimum_stock': minimum}
            for name, code, unit, minimum, _, _ in ITEMS])
    moves = Move.create([{
                'type': 'purchase', 'item': item.id, 'quantity': quantity,
                'unit_price': Decimal(price)}
            for item, (_, _, _, _, quantity, price) in zip(items, ITEMS)])
    Move.post(moves)
    return {i.code: i for i in items}
