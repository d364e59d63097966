# This file is part of the oa_workflow module.
"""Row locks that wait their turn: contention gives the product's message,
never HTTP 503 (SPEC CRM-B3, MP3)

The claims on a shared row (a customer, the quota of a salesperson, the
points of a member, an approval being decided) lock it with::

    lock_rows(records)

before they read what they check. Tryton's ``Model.lock`` re-runs the
transaction with ``SELECT ... FOR UPDATE NOWAIT`` at its start, retried
``[database] retry`` times within a fraction of a second: when a few
users claim the same row at once, the others get HTTP 503. Here the
transaction waits for the holder instead (PostgreSQL):

- the rows are free and unchanged since the transaction's snapshot: they
  are locked until the end of the transaction and it goes on;
- another transaction holds them: it waits for its end; when the other
  one committed, the rows changed after this transaction's snapshot
  (repeatable read), PostgreSQL refuses the lock ("could not serialize
  access") and the transaction is run again from its start, with a
  snapshot that sees the winner's work (each re-run follows another
  transaction's commit: they end). The code then finds the customer taken,
  the quota reached or the points spent and says so in its own words;
- the holder keeps them longer than LOCK_WAIT seconds: the user is told
  that the record is busy and to try again.

The locked rows are written unchanged (a new row version), so that a
transaction waiting for them always runs again after this one committed:
a row may stand for data kept in other tables (the customers a salesperson
owns count against their quota) that the waiting one must read afresh.

SQLite has no row locks but one writer at a time, and Tryton's connections
read outside a transaction until their first write: the rows are written
at once, which waits for the other writer and keeps the others out; the
values read before are forgotten."""
from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.fields import SQL_OPERATORS
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, TransactionError

# Seconds a claim waits for the rows held by another transaction
LOCK_WAIT = 10
# SQLSTATE of the errors that mean "the rows changed, run again" and of the
# lock wait timeout
_CHANGED = {'40001', '40P01'}  # serialization failure, deadlock
_LOCK_TIMEOUT = '55P03'


class RowsChanged(TransactionError):
    "The locked rows changed while waiting: run the transaction again"


def lock_rows(records):
    """Lock the rows of records (of one model) until the end of the
    transaction, waiting for the transaction that holds them; after it,
    the transaction sees everything the previous holders committed"""
    records = [r for r in records if r.id is not None and r.id >= 0]
    if not records:
        return
    Model = records[0].__class__
    transaction = Transaction()
    # The message is read first: a failed statement aborts the transaction
    busy = gettext('oa_workflow.msg_rows_busy',
        model=Model.__names__()['model'])
    table = Model.__table__()
    cursor = transaction.connection.cursor()
    ids = sorted({r.id for r in records})
    if not transaction.database.has_select_for():
        _lock_database(transaction, table, ids, busy)
        return
    cursor.execute('SAVEPOINT oa_lock_rows')
    try:
        cursor.execute("SET LOCAL lock_timeout = '%ss'" % LOCK_WAIT)
        for sub_ids in grouped_slice(ids):
            where = SQL_OPERATORS['in'](table.id, list(sub_ids))
            # In the order of the ids, so that two claims never wait for
            # each other crosswise; NO KEY UPDATE does not wait for the
            # transactions that only insert rows referencing these
            query, params = tuple(table.select(
                    table.id, where=where, order_by=table.id.asc))
            cursor.execute(query + ' FOR NO KEY UPDATE', params)
            cursor.execute(*table.update(
                    [table.write_date], [table.write_date], where=where))
        cursor.execute('SET LOCAL lock_timeout TO DEFAULT')
    except backend.DatabaseOperationalError as error:
        code = getattr(error, 'sqlstate', None)
        if code not in _CHANGED | {_LOCK_TIMEOUT}:
            raise
        cursor.execute('ROLLBACK TO SAVEPOINT oa_lock_rows')
        if code == _LOCK_TIMEOUT:
            raise UserError(busy) from error
        raise RowsChanged() from error
    cursor.execute('RELEASE SAVEPOINT oa_lock_rows')


def _lock_database(transaction, table, ids, busy):
    """SQLite: the first write of a transaction waits for the writing one
    (BEGIN IMMEDIATE, up to the connection's timeout) and no other may write
    until it ends; what the transaction read before may be older than the
    commits it waited for: its caches are emptied"""
    cursor = transaction.connection.cursor()
    try:
        for sub_ids in grouped_slice(ids):
            where = SQL_OPERATORS['in'](table.id, list(sub_ids))
            cursor.execute(*table.update(
                    [table.write_date], [table.write_date], where=where))
    except backend.DatabaseOperationalError as error:
        if 'locked' not in str(error):
            raise
        raise UserError(busy) from error
    transaction.counter += 1
    for cache in transaction.cache.values():
        cache.clear()
