# This file is part of the oa_workflow module.
"""Records only the code writes (approval instances, steps, tasks, trail,
copies; ownership history)

Their values are built by the code from records already validated (the
flow and its steps, the users it resolved) and from constants. After every
create and write Tryton checks each field again (required, selection,
domain, size), reading the rows back with one query per lazily loaded
column: for the writes of the code these checks are internal assertions.
Like ``assert`` statements they run in tests and development and are
skipped when Python runs optimized (``PYTHONOPTIMIZE``, as ``start.sh``
runs the server). The writes of users (calls with access checks, e.g. a
comment on a task) are always checked.

Tryton runs the checks without access checks, so whether the write comes
from a user is noted when it starts; in a context variable rather than in
the transaction's context, whose keys are part of Tryton's cache keys."""
from contextlib import contextmanager
from contextvars import ContextVar

from trytond.transaction import Transaction

_system_write = ContextVar('oa_workflow_system_write', default=False)


@contextmanager
def _writing():
    transaction = Transaction()
    external = bool(transaction.user and transaction.check_access)
    token = _system_write.set(not external)
    try:
        yield
    finally:
        _system_write.reset(token)


class SystemRecordMixin(object):
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        with _writing():
            return super().create(vlist)

    @classmethod
    def write(cls, *args):
        with _writing():
            super().write(*args)

    @classmethod
    def _validate(cls, records, field_names=None):
        if __debug__ or not _system_write.get():
            super()._validate(records, field_names=field_names)
