"""Office administration demo data (SPEC X5, OA-E, OA-F, OA-G): meeting
rooms with the next days' bookings, vehicles with a driver, office supplies
in stock. Created through the ORM as the office administrator, so that the
rooms' availability, the vehicle register and the supplies stock show real
content in the web client."""
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


def setup_office(company, users):
    "Rooms, bookings, vehicles, a driver and supplies of the demo"
    from trytond.transaction import Transaction
    office = users['office']
    with Transaction().set_user(office.id), Transaction().set_context(
            company=company.id, employee=office.employee.id):
        rooms = _rooms()
        _vehicles(users)
        _supplies()
    _bookings(company, users, rooms)


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
    Vehicle.create([{
                'plate': plate, 'vehicle_model': model, 'seats': seats,
                'initial_odometer': odometer,
                'responsible': users['office'].id}
            for plate, model, seats, odometer in VEHICLES])
    Driver.create([{
                'employee': users['agent'].employee.id,
                'license_class': 'B2', 'phone': '13916820731'}])


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
