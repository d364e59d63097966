# This file is part of the callcenter module.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Call Center Configuration"
    __name__ = 'callcenter.configuration'

    cti_secret = fields.Char("CTI Signing Secret",
        help="Shared secret with which the PBX signs call events (HMAC-SHA256).")
    sms_url = fields.Char("SMS Provider URL",
        help="The HTTP address to which messages are posted as JSON "
        "(to, text, reference); the answer gives the message's id.")
    sms_api_key = fields.Char("SMS API Key",
        help="Sent as a bearer token with each message.")
    sms_signature = fields.Char("SMS Signature",
        help="Put before every text, e.g. 【星联科技】 as registered with "
        "the provider.")
    missed_call_task = fields.Boolean("Call-back Task for Missed Calls",
        help="Create a call-back task for the owner when a call is missed.")

    @classmethod
    def default_missed_call_task(cls):
        return True
