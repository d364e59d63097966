# This file is part of the oa_workflow module.
"""HTTP pages served by trytond

``/<database>/oa/room/<code>?key=<key>``: the door page of a meeting room
for a tablet (SPEC OA-E3): the current and next bookings and an instant
booking form. Routes run as user 0: every query is filtered by the room
whose code and secret key are given."""
import datetime as dt
import hmac
from http import HTTPStatus

from jinja2 import Environment
from werkzeug.exceptions import abort
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

DURATIONS = (15, 30, 60)
MAX_SUBJECT = 100

_env = Environment(autoescape=True)
DOOR_PAGE = _env.from_string('''<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>{{ room.name }}</title>
<style>
body { font-family: sans-serif; margin: 0; padding: 1.5em;
  background: {{ '#c0392b' if current else '#27ae60' }}; color: #fff; }
h1 { margin: 0 0 .2em 0; font-size: 2.2em; }
.state { font-size: 1.6em; margin: .5em 0; }
.box { background: rgba(0,0,0,.2); padding: 1em; border-radius: .5em;
  margin: 1em 0; }
.error { background: #fff; color: #c0392b; padding: .6em; border-radius: .3em; }
.ok { background: #fff; color: #27ae60; padding: .6em; border-radius: .3em; }
input, button { font-size: 1.2em; padding: .4em; }
button { margin: .2em; }
li { margin: .3em 0; }
</style>
</head>
<body>
<h1>{{ room.name }}</h1>
<div>{{ room.location or '' }} · {{ labels.capacity }} {{ room.capacity }}</div>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if message %}<p class="ok" id="message">{{ message }}</p>{% endif %}
<div class="box" id="now">
{% if current %}
<div class="state">{{ labels.busy }}</div>
<div>{{ current.subject }} · {{ current.organizer.rec_name }} · {{ current.format_period() }}</div>
{% else %}
<div class="state">{{ labels.free }}</div>
{% endif %}
</div>
<div class="box" id="next">
<div>{{ labels.next }}</div>
<ul>
{% for booking in upcoming %}
<li>{{ booking.format_period() }} · {{ booking.subject }} · {{ booking.organizer.rec_name }}</li>
{% else %}
<li>{{ labels.none }}</li>
{% endfor %}
</ul>
</div>
{% if not current and not room.restricted %}
<form class="box" method="post" id="book">
<input type="hidden" name="key" value="{{ key }}">
<input type="text" name="subject" maxlength="{{ max_subject }}" placeholder="{{ labels.subject }}">
<div>
{% for minutes in durations %}
<button type="submit" name="minutes" value="{{ minutes }}">{{ labels.book }} {{ minutes }} {{ labels.minutes }}</button>
{% endfor %}
</div>
</form>
{% endif %}
</body>
</html>
''')


def _labels():
    return {k: gettext('oa_workflow.msg_meeting_door_%s' % k) for k in (
            'capacity', 'busy', 'free', 'next', 'none', 'subject', 'book',
            'minutes')}


@app.route('/<database_name>/oa/room/<code>', methods={'GET', 'POST'})
@with_pool
@with_transaction()
def room_door(request, pool, code):
    try:
        Room = pool.get('oa.meeting.room')
        Booking = pool.get('oa.meeting.booking')
    except KeyError:
        abort(HTTPStatus.NOT_FOUND)
    key = request.values.get('key') or ''
    if not key or len(code) > 100:
        abort(HTTPStatus.NOT_FOUND)
    rooms = Room.search([('code', '=', code)])
    rooms = [r for r in rooms
        if r.token and hmac.compare_digest(r.token, key)]
    if len(rooms) != 1:
        abort(HTTPStatus.NOT_FOUND)
    room, = rooms
    transaction = Transaction()
    lang = request.args.get('l') or 'zh_CN'
    if lang not in {'zh_CN', 'en'}:
        lang = 'zh_CN'
    error = message = None
    with transaction.set_context(
            language=lang, company=room.company.id,
            companies=[room.company.id]):
        if request.method == 'POST':
            subject = (request.form.get('subject') or '').strip()[:MAX_SUBJECT]
            if not subject:
                subject = gettext('oa_workflow.msg_meeting_door_default_subject')
            try:
                minutes = int(request.form.get('minutes', ''))
            except ValueError:
                minutes = None
            if minutes not in DURATIONS:
                error = gettext('oa_workflow.msg_meeting_door_bad_duration')
                status = HTTPStatus.BAD_REQUEST
            else:
                try:
                    booking = Booking.instant_book(room, subject, minutes)
                except (UserError, ValidationError) as exception:
                    transaction.rollback()
                    error = exception.message
                    status = HTTPStatus.CONFLICT
                else:
                    transaction.commit()
                    return redirect(
                        request.base_url + '?key=' + key + '&l=' + lang
                        + '&booked=%s' % booking.id, code=303)
        else:
            status = HTTPStatus.OK
            booked = request.args.get('booked', type=int)
            if booked:
                bookings = Booking.search([
                        ('id', '=', booked), ('room', '=', room.id)])
                if bookings:
                    message = gettext(
                        'oa_workflow.msg_meeting_door_booked',
                        booking=bookings[0].rec_name)
        now = dt.datetime.now()
        active = ['confirmed', 'checked_in', 'waiting']
        current = Booking.search([
                ('room', '=', room.id),
                ('state', 'in', active),
                ('start', '<=', now),
                ('end', '>', now),
                ], limit=1)
        upcoming = Booking.search([
                ('room', '=', room.id),
                ('state', 'in', active),
                ('start', '>', now),
                ], order=[('start', 'ASC')], limit=5)
        html = DOOR_PAGE.render(
            lang=lang.replace('_', '-'), room=room, key=key,
            current=current[0] if current else None, upcoming=upcoming,
            error=error, message=message, labels=_labels(),
            durations=DURATIONS, max_subject=MAX_SUBJECT)
    return Response(html, status=status, content_type='text/html')
