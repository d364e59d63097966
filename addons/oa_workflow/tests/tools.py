# This file is part of the oa_workflow module.
"Helpers shared by the tests of the office modules"
import email
import email.policy
import socket
from contextlib import contextmanager
from pathlib import Path

import polib

from trytond import config
from trytond.modules import get_module_info
from trytond.pool import Pool
from trytond.sendmail import SMTPDataManager
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


def create_flow(model, name, approver, step="主管审批"):
    "An approval flow of one step, decided by the approver, for the model"
    Flow = Pool().get('oa.approval.flow')
    flow, = Flow.create([{
                'name': name,
                'model': model,
                'steps': [('create', [{
                                'name': step,
                                'approver_type': 'users',
                                'users': [('add', [approver.id])],
                                }])],
                }])
    return flow


def free_port():
    "A free TCP port on loopback"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def email_uri(uri):
    "Tryton's [email] uri set to uri for the block"
    old = config.get('email', 'uri')
    config.set('email', 'uri', uri)
    try:
        yield
    finally:
        config.set('email', 'uri', old)


@contextmanager
def smtp_server(port=None, refuse=False):
    """A real SMTP server on loopback (aiosmtpd) that Tryton sends to;
    yield the list of received envelopes. With refuse, every recipient is
    refused (unknown mailbox)."""
    from aiosmtpd.controller import Controller
    received = []

    class Handler:
        async def handle_RCPT(
                self, server, session, envelope, address, options):
            if refuse:
                return '550 5.1.1 mailbox unavailable'
            envelope.rcpt_tos.append(address)
            return '250 OK'

        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return '250 OK'

    port = port or free_port()
    controller = Controller(Handler(), hostname='127.0.0.1', port=port)
    controller.start()
    try:
        with email_uri('smtp://127.0.0.1:%s' % port):
            yield received
    finally:
        controller.stop()


def deliver_mail():
    """Send the emails queued in the transaction as its commit does (a test
    transaction is rolled back, never committed); return the number of
    messages of each mail data manager"""
    transaction = Transaction()
    managers = [dm for dm in transaction._datamanagers
        if isinstance(dm, SMTPDataManager)]
    counts = []
    for manager in managers:
        counts.append(len(manager.queue))
        try:
            manager.tpc_vote(transaction)
            manager.tpc_finish(transaction)
        finally:
            transaction._datamanagers.remove(manager)
    return counts


def parse_mail(envelope):
    "The email message of a received envelope"
    return email.message_from_bytes(
        envelope.original_content, policy=email.policy.default)


class TranslationTestMixin(object):
    "A module test case whose locale/zh_CN.po translates every string"

    @with_transaction()
    def test_zh_cn_translation_complete(self):
        """Every string of the module (models, fields, help, selections,
        wizard buttons, messages, records, views and reports) has a
        translation in locale/zh_CN.po that is not fuzzy and still matches
        its source: what Tryton's export would report as missing"""
        pool = Pool()
        Translation = pool.get('ir.translation')
        ModelData = pool.get('ir.model.data')
        TranslationSet = pool.get('ir.translation.set', type='wizard')

        # the sources of the views and reports, as the export collects them
        session_id, _, _ = TranslationSet.create()
        TranslationSet(session_id).transition_set_()
        TranslationSet.delete(session_id)

        path = Path(get_module_info(self.module)['directory'],
            'locale', 'zh_CN.po')
        translated = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path))
            if e.msgstr and 'fuzzy' not in e.flags}
        fs_ids = {}
        for data in ModelData.search([('module', '=', self.module)]):
            for model in [data.model, *Translation.extra_model_data(data)]:
                fs_ids[model, data.db_id] = data.fs_id
        missing = []
        for source in Translation.search([
                    ('lang', '=', 'en'),
                    ('module', '=', self.module),
                    ]):
            context = f'{source.type}:{source.name}:'
            if source.res_id >= 0:
                fs_id = fs_ids.get((source.name.split(',')[0], source.res_id))
                if fs_id is None:
                    continue  # not a record of the module: not exported
                context += fs_id
            if (context, source.src or '') not in translated:
                missing.append(f'{context} {source.src!r}')
        self.assertFalse(missing,
            f"{len(missing)} strings without a zh_CN translation in {path}")
