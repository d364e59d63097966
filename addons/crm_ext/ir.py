# This file is part of the crm_ext module.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "crm_employees" as list of ids of the user\'s employees, '
            'their subordinates and department members'
            '\n- "crm_shared" and "crm_shared_edit" as list of ids of the '
            'customers shared with the user')

    @classmethod
    def _crm_context(cls):
        Party = Pool().get('party.party')
        return Party._crm_user_context()

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'crm.customer.focus' in model_names:
            key = (*key, Transaction().user)
        if not model_names & {'party.party', 'crm.lock.request',
                'crm.ownership.history', 'crm.customer.share',
                'oa.approval.instance', 'oa.approval.task'}:
            return key
        context = cls._crm_context()
        return (*key, tuple(context['crm_employees']),
            tuple(context['crm_shared']), tuple(context['crm_shared_edit']))

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        context.update(cls._crm_context())
        if model_name == 'crm.customer.focus':
            context['user_id'] = Transaction().user
        return context


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('party.party|crm_auto_release',
                    "Release Customers Automatically"),
                ('party.party|crm_birthday_reminder',
                    "Remind Customer Birthdays"),
                ('party.party|crm_contract_anniversary_reminder',
                    "Remind Contract Anniversaries"),
                ('crm.value.rule|compute_all',
                    "Compute Customer Value Classes"),
                ])
