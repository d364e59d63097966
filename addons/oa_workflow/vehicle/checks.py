# This file is part of the oa_workflow module.
"""Bad input is refused before anything is written

A model lists in ``_checked_fields`` the fields its ``check_values`` looks
at; the future values of a record (stored values updated with the written
ones, or the create values with their defaults) are checked in
``preprocess_values`` on create and ``check_modification`` on write, so a
refused input changes nothing, not even inside the transaction."""
import datetime as dt

from trytond.pool import Pool
from trytond.tools import timezone as tz
from trytond.transaction import without_check_access


class CheckedValuesMixin(object):
    __slots__ = ()
    _checked_fields = set()

    @classmethod
    def _future_values(cls, record, values):
        future = {}
        for name in cls._checked_fields:
            if name in values:
                value = values[name]
            elif record is not None:
                value = getattr(record, name)
                if hasattr(value, 'id'):
                    value = value.id
            else:
                default = getattr(cls, 'default_' + name, None)
                value = default() if default else None
            future[name] = value
        return future

    @classmethod
    def check_values(cls, values, record=None):
        "Raise a translated error when the future values are wrong"

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            cls.check_values(cls._future_values(None, values))
        return values

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and cls._checked_fields & set(values or {}):
            with without_check_access():
                for record in records:
                    cls.check_values(
                        cls._future_values(record, values), record)


def company_timezone(company):
    return Pool().get('ir.date').company_timezone(company or None)


def format_period(company, start, end):
    "The period [start, end) (stored in UTC) in the company's timezone"
    zone = company_timezone(company)
    start = start.replace(tzinfo=tz.UTC).astimezone(zone)
    end = end.replace(tzinfo=tz.UTC).astimezone(zone)
    if start.date() == end.date():
        return '%s-%s' % (
            start.strftime('%Y-%m-%d %H:%M'), end.strftime('%H:%M'))
    return '%s - %s' % (
        start.strftime('%Y-%m-%d %H:%M'), end.strftime('%Y-%m-%d %H:%M'))


def now():
    return dt.datetime.now()
