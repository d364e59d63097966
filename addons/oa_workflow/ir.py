# This file is part of the oa_workflow module.
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access

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


class Date(metaclass=PoolMeta):
    """The company's calendar: its today, and the local date and time of
    the date-times stored in UTC (SPEC X1, CRM-B4)

    Every date shown to users or used in a rule is a date of the company's
    timezone: ``Date.today()``, ``Date.company_date(utc)``,
    ``Date.company_datetime(utc)`` and, to compare a company's date with
    stored date-times, ``Date.company_midnight(date)``. Each takes the
    company (of a record) or uses the context's."""
    __name__ = 'ir.date'

    @classmethod
    def today(cls, timezone=None):
        if timezone is None:
            timezone = cls.company_timezone()
        return super().today(timezone=timezone)

    @classmethod
    def company_timezone(cls, company=None):
        """The timezone of the company or, without one, of the context's
        company, else of the user's company, else (the root user: cron
        without companies, routes) the timezone all the companies share;
        the server's when none is set"""
        pool = Pool()
        Company = pool.get('company.company')
        User = pool.get('res.user')
        transaction = Transaction()
        if company is None:
            company_id = transaction.context.get('company')
            if company_id is not None and company_id >= 0:
                company = Company(company_id)
            elif transaction.user:
                company = User(transaction.user).company
        if company is not None:
            timezones = {company.timezone}
        else:
            timezones = {c.timezone for c in Company.search([])}
        if len(timezones) == 1:
            timezone, = timezones
            if timezone:
                return tz.ZoneInfo(timezone)
        return tz.SERVER

    @classmethod
    def company_datetime(cls, value, company=None):
        "The company's local date-time (naive) of a UTC date-time"
        if value is None:
            return None
        return value.replace(tzinfo=tz.UTC).astimezone(
            cls.company_timezone(company)).replace(tzinfo=None)

    @classmethod
    def company_date(cls, value, company=None):
        "The company's date of a UTC date-time"
        if value is None:
            return None
        return cls.company_datetime(value, company).date()

    @classmethod
    def company_midnight(cls, date, company=None):
        "The UTC date-time (naive) at which the company's date starts"
        if date is None:
            return None
        return dt.datetime.combine(date, dt.time(),
            tzinfo=cls.company_timezone(company)).astimezone(
            tz.UTC).replace(tzinfo=None)


class ActionWizard(metaclass=PoolMeta):
    __name__ = 'ir.action.wizard'

    @classmethod
    def get_groups(cls, name, action_id=None):
        """The groups of the wizard's actions when the client names an action
        that is not one of them: the request's action_id chooses among the
        wizard's actions, it never opens a wizard to everyone"""
        groups = super().get_groups(name, action_id=action_id)
        if action_id and not groups:
            with without_check_access():
                known = cls.search([
                        (cls._action_name, '=', name),
                        ('id', '=', action_id),
                        ])
            if not known:
                groups = super().get_groups(name)
        return groups
