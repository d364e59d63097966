# This file is part of the oa_workflow module.
"""Fixes of the framework the whole product relies on, applied once when the
platform module is imported.

``cursor_dict``: Tryton turns every fetched row into a dictionary with
``cursor.description``. psycopg 3 rebuilds that description (one ``Column``
object per column, with its type look-up) on every access (psycopg issues
#446 and #457), and Tryton's PostgreSQL cursors fetch one row at a time
(``arraysize`` 1): a search of 200 rooms built 4 000 column objects, ~15 ms
of the 20 ms the search took. The replacement reads the column names once
per result set; the dictionaries it yields are the same.

``Cache.sync`` on SQLite: a SQLite transaction has one connection, and the
cache's synchronisation at the start of each transaction asks the database
for an autocommit connection, which on SQLite is the transaction's own
connection switched to autocommit. Every transaction that synchronised
(each one with ``[cache] clean_timeout = 0``, one every ``clean_timeout``
seconds otherwise) then wrote without a transaction: a request that failed
kept its writes, and a transaction re-run by the dispatcher to take its row
locks found its first run's writes. The replacement gives the connection its
transaction mode back once the cache has read its timestamps.

``ModelStorage.export_data``: the export reads the records and the records
they lead to as instances, without access checks, so a user could export
by id the records the rules hide from them (and through a relation, those
of another model). The replacement checks, when the call comes from a
client, the read access and rules of the records exported and of the
related records each exported path goes through, as ``read`` does."""
import sqlite3
import sys

from trytond import tools
from trytond.cache import MemoryCache
from trytond.model import fields
from trytond.model.modelstorage import ModelStorage
from trytond.transaction import Transaction, check_access

_original_cursor_dict = tools.cursor_dict


def cursor_dict(cursor, size=None):
    "Yield the rows of cursor as dictionaries keyed by the column names"
    size = cursor.arraysize if size is None else size
    names = result = None
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            break
        # a psycopg cursor keeps its result object until it runs another
        # query; other drivers (sqlite3) have a cheap description
        current = getattr(cursor, 'pgresult', None)
        if names is None or current is None or current is not result:
            names = [d[0] for d in cursor.description]
            result = current
        for row in rows:
            yield dict(zip(names, row))


_original_sync = MemoryCache.sync.__func__


def sync(cls, transaction):
    "Synchronise the caches without leaving a SQLite transaction autocommit"
    connection = transaction.connection
    # PostgreSQL's pool hands the cache another connection
    if not isinstance(connection, sqlite3.Connection):
        return _original_sync(cls, transaction)
    mode = connection.isolation_level
    try:
        _original_sync(cls, transaction)
    finally:
        if connection.isolation_level != mode:
            connection.isolation_level = mode


_original_export_data = ModelStorage.export_data.__func__
RELATIONS = (fields.Many2One, fields.One2Many, fields.Many2Many,
    fields.One2One, fields.Reference)


def _check_readable(records):
    "Read the records by model, with the user's access and rules"
    by_model = {}
    for record in records:
        if record is not None and record.id is not None and record.id >= 0:
            by_model.setdefault(record.__class__, set()).add(record.id)
    with check_access():
        for Model, ids in by_model.items():
            Model.read(list(ids), ['id'])


def export_data(cls, records, fields_names, header=False):
    "Export the records and what they lead to that the user may read"
    transaction = Transaction()
    if transaction.user and transaction.check_access and records:
        _check_readable(records)
        paths = {tuple(n.split('/')[:-1]) for n in fields_names}
        for path in sorted(p for p in paths if p):
            current = list(records)
            for name in path:
                reached = []
                for record in current:
                    field = record._fields.get(name.split(':')[0])
                    if not isinstance(field, RELATIONS):
                        break
                    value = getattr(record, field.name)
                    if isinstance(value, (list, tuple)):
                        reached.extend(value)
                    elif isinstance(value, ModelStorage):
                        reached.append(value)
                _check_readable(reached)
                current = reached
    return _original_export_data(cls, records, fields_names, header=header)


def apply():
    "Replace cursor_dict in the framework modules that imported it"
    for name, module in list(sys.modules.items()):
        if (name == 'trytond' or name.startswith('trytond.')) and (
                getattr(module, 'cursor_dict', None)
                is _original_cursor_dict):
            module.cursor_dict = cursor_dict
    if MemoryCache.sync.__func__ is _original_sync:
        MemoryCache.sync = classmethod(sync)
    if ModelStorage.export_data.__func__ is _original_export_data:
        ModelStorage.export_data = classmethod(export_data)


apply()
