# This file is part of the oa_workflow module.
"""Records only the code writes (approval instances, steps, tasks, trail,
ownership history)

Their values are built by the code from records already validated (the
flow and its steps, the users it resolved) and from constants. After every
create and write Tryton checks each field again (required, selection,
domain, size), reading the rows back with one query per lazily loaded
column: for the writes of the code these checks are internal assertions.
Like ``assert`` statements they run in tests and development and are
skipped when Python runs optimized (``PYTHONOPTIMIZE``, as ``start.sh``
runs the server). The writes of users (calls with access checks, e.g. a
comment on a task) are always checked."""
from trytond.transaction import Transaction


class SystemRecordMixin(object):
    __slots__ = ()

    @classmethod
    def _system_write(cls):
        "The context of a create or write: by the code or by a user"
        transaction = Transaction()
        external = bool(transaction.user and transaction.check_access)
        return transaction.set_context(_system_write=not external)

    @classmethod
    def create(cls, vlist):
        with cls._system_write():
            return super().create(vlist)

    @classmethod
    def write(cls, *args):
        with cls._system_write():
            super().write(*args)

    @classmethod
    def _validate(cls, records, field_names=None):
        if __debug__ or not Transaction().context.get('_system_write'):
            super()._validate(records, field_names=field_names)
