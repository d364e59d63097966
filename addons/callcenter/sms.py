# This file is part of the callcenter module.
"""SMS messages sent through the provider's HTTP API (SPEC CC8, the
notification channel of X2 and CRM-C5)"""
import datetime as dt
import json
import logging
import urllib.request

import phonenumbers

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from oa_workflow.row_lock import lock_rows

from .exceptions import SMSError

logger = logging.getLogger(__name__)
TIMEOUT = 10  # seconds the provider has to answer a message
MAX_ATTEMPTS = 3  # the job's tries before a message is left failed


class SMS(ModelSQL, ModelView):
    "SMS Message"
    __name__ = 'callcenter.sms'
    __string__ = "SMS Message"

    number = fields.Char("Number", required=True, readonly=True,
        help="The mobile number in international format (E.164).")
    text = fields.Text("Text", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True,
        ondelete='SET NULL', help="The user the message notifies.")
    state = fields.Selection([
            ('queued', "Queued"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    sent_at = fields.DateTime("Sent At", readonly=True)
    provider_reference = fields.Char("Provider Reference", readonly=True,
        help="The identifier of the message at the SMS provider.")
    attempts = fields.Integer("Attempts", readonly=True)
    error = fields.Text("Error", readonly=True,
        states={'invisible': ~Eval('error')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality()),
                where=t.state.in_(['queued', 'failed'])))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') == 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def normalize_number(cls, number):
        """Return number in E.164, read in the default phone region of the
        CRM configuration; raise SMSError when it is not a valid number"""
        Configuration = Pool().get('crm.configuration')
        region = Configuration(1).phone_region or 'CN'
        try:
            parsed = phonenumbers.parse(number or '', region)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            raise SMSError(gettext(
                    'callcenter.msg_sms_invalid_number', number=number))
        return phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164)

    @classmethod
    def queue(cls, messages):
        """Create the messages of (number, text, user) and send them after
        the commit (Tryton's task queue); the job retries those left"""
        values = [{
                'number': cls.normalize_number(number),
                'text': text,
                'user': user.id if user else None,
                } for number, text, user in messages]
        # a system record: whoever triggers a notification queues its SMS
        with without_check_access():
            smss = cls.create(values)
        if smss:
            cls.__queue__.send(smss)
        return smss

    @classmethod
    @ModelView.button
    def retry(cls, smss):
        cls.send(smss)

    @classmethod
    def send(cls, smss):
        """Post each message not yet sent to the provider; a message the
        provider refuses or that cannot reach it is failed with the error"""
        pool = Pool()
        Configuration = pool.get('callcenter.configuration')
        config = Configuration(1)
        if not config.sms_url:
            raise SMSError(gettext('callcenter.msg_sms_no_provider'))
        # the queue task, the job and Retry may meet: the messages are
        # locked before their state is read, so that none is sent twice
        lock_rows(smss)
        sent, failed = [], []
        for sms in smss:
            if sms.state == 'sent':
                continue
            try:
                reference = cls._post(config, sms)
            except (OSError, ValueError) as error:
                logger.warning("SMS %s not sent: %s", sms.id, error)
                failed.append((sms, str(error)))
            else:
                sent.append((sms, reference))
        cls._write_outcome(sent, failed)

    @classmethod
    def _post(cls, config, sms):
        "Post sms to the provider and return its reference of the message"
        payload = {
            'to': sms.number,
            'text': (config.sms_signature or '') + sms.text,
            'reference': str(sms.id),
            }
        request = urllib.request.Request(config.sms_url,
            data=json.dumps(payload, ensure_ascii=False).encode('utf-8'),
            method='POST', headers={
                'Content-Type': 'application/json; charset=utf-8',
                'Authorization': 'Bearer %s' % (config.sms_api_key or ''),
                })
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read().decode('utf-8') or '{}')
        if not isinstance(answer, dict):
            raise ValueError("unexpected answer: %r" % answer)
        return str(answer.get('id') or '') or None

    @classmethod
    def _write_outcome(cls, sent, failed):
        "Write the outcome of a sending in one write call"
        now = dt.datetime.now()
        args = []
        for sms, reference in sent:
            args.extend(([sms], {
                        'state': 'sent', 'sent_at': now,
                        'provider_reference': reference, 'error': None,
                        'attempts': (sms.attempts or 0) + 1,
                        }))
        for sms, error in failed:
            args.extend(([sms], {
                        'state': 'failed', 'error': error,
                        'attempts': (sms.attempts or 0) + 1,
                        }))
        if args:
            with without_check_access():
                cls.write(*args)

    @classmethod
    def send_queued(cls):
        """Job: send the messages still queued and retry the failed ones
        that have not used their attempts (none without a provider)"""
        Configuration = Pool().get('callcenter.configuration')
        if not Configuration(1).sms_url:
            return
        smss = cls.search([
                ('state', 'in', ['queued', 'failed']),
                ('attempts', '<', MAX_ATTEMPTS),
                ], order=[('id', 'ASC')])
        if smss:
            cls.send(smss)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    sms_notify = fields.Boolean("Notify by SMS",
        help="Also receive the notifications as SMS on the mobile number "
        "of your employee record, when an SMS provider is configured.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields.append('sms_notify')

    @classmethod
    def default_sms_notify(cls):
        return False

    def sms_number(self):
        "The mobile number of the user's employee, or None"
        employees = [self.employee] if self.employee else self.employees
        for employee in employees:
            if employee and employee.party.mobile:
                return employee.party.mobile

    @classmethod
    def oa_notify(cls, users, label, model, records, description=None):
        super().oa_notify(
            users, label, model, records, description=description)
        pool = Pool()
        Configuration = pool.get('callcenter.configuration')
        SMS = pool.get('callcenter.sms')
        if not Configuration(1).sms_url:
            return
        text = label if not description else '%s: %s' % (label, description)
        messages, done = [], set()
        with without_check_access():
            for user in users:
                if not user or user.id in done or not user.sms_notify:
                    continue
                done.add(user.id)
                number = user.sms_number()
                try:
                    number = SMS.normalize_number(number) if number else None
                except SMSError:
                    logger.warning(
                        "user %s: invalid mobile %r", user.id, number)
                    number = None
                if number:
                    messages.append((number, text, user))
        SMS.queue(messages)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('callcenter.sms|send_queued', "Send Queued SMS Messages"))
