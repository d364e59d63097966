# This file is part of the callcenter module.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Call Center Configuration"
    __name__ = 'callcenter.configuration'

    cti_secret = fields.Char("CTI Signing Secret",
        help="Shared secret with which the PBX signs call events (HMAC-SHA256).")
    missed_call_task = fields.Boolean("Call-back Task for Missed Calls",
        help="Create a call-back task for the owner when a call is missed.")

    @classmethod
    def default_missed_call_task(cls):
        return True
