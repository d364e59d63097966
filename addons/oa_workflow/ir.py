# This file is part of the oa_workflow module.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

USER_RULE_MODELS = {
    'oa.approval.instance',
    'oa.approval.task',
    'oa.approval.copy',
    'oa.approval.delegation',
    'oa.form',
    }


def _user_rule_models(model_names):
    "Models whose record rules use Eval('user_id'): ours and approvable ones"
    from .approval import ApprovalMixin
    pool = Pool()
    result = set()
    for name in model_names:
        if name in USER_RULE_MODELS:
            result.add(name)
            continue
        try:
            Model = pool.get(name)
        except KeyError:
            continue
        if isinstance(Model, type) and issubclass(Model, ApprovalMixin):
            result.add(name)
    return result


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if _user_rule_models({model_name}):
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if _user_rule_models(set(model_names)):
            key = (*key, Transaction().user)
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('oa.approval.task|cron_overdue', "Remind Overdue Approvals"))


class Translation(metaclass=PoolMeta):
    __name__ = 'ir.translation'

    @classmethod
    def _clear_cache_for(cls, types, models):
        super()._clear_cache_for(types, models)
        # the engine keeps the flows' step names per language (the values
        # of records are translations of type "model")
        if 'model' in types and {
                'oa.approval.flow', 'oa.approval.flow.step'} & models:
            Pool().get('oa.approval.flow').clear_definitions()
