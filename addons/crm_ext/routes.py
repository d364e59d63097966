# This file is part of the crm_ext module.
"""HTTP routes served by trytond

``POST /<database>/crm/lead``: a web form on the company's site sends a lead
(SPEC CRM-D0). Fields (form-encoded or JSON): ``key`` (the secret key of a
``crm.lead.web_form``), ``name`` (company or person, required), ``contact``,
``phone`` and/or ``email`` (one required), ``message``.
Answers JSON: 201 ``{"number": ...}``; 400 with ``{"error": ...}`` for bad
input; 403 for a wrong key; 429 when the form or the sender posted too much.
Routes run as user 0: the form found by its key decides the company."""
import json
from http import HTTPStatus

from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from .exceptions import LeadError, LeadRateError

MAX_BODY = 16 * 1024


def _json(status, **data):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8')


@app.route('/<database_name>/crm/lead', methods={'POST'})
@with_pool
@with_transaction()
def lead_web_form(request, pool):
    try:
        WebForm = pool.get('crm.lead.web_form')
    except KeyError:
        abort(HTTPStatus.NOT_FOUND)
    if (request.content_length or 0) > MAX_BODY:
        return _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error="too large")
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _json(HTTPStatus.BAD_REQUEST, error="invalid JSON")
    else:
        data = request.form.to_dict()
    lang = request.args.get('l') or 'zh_CN'
    if lang not in {'zh_CN', 'en'}:
        lang = 'zh_CN'
    transaction = Transaction()
    with transaction.set_context(language=lang):
        key = data.get('key')
        form = WebForm.from_key(key if isinstance(key, str) else None)
        if not form:
            return _json(HTTPStatus.FORBIDDEN, error="invalid key")
        try:
            lead = form.create_lead(data, request.remote_addr)
        except LeadError as exception:
            transaction.rollback()
            status = (HTTPStatus.TOO_MANY_REQUESTS
                if isinstance(exception, LeadRateError)
                else HTTPStatus.BAD_REQUEST)
            return _json(status, error=exception.message)
        number = lead.number
        transaction.commit()
    return _json(HTTPStatus.CREATED, number=number)
