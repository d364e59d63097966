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
transaction mode back once the cache has read its timestamps."""
import sqlite3
import sys

from trytond import tools
from trytond.cache import MemoryCache

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


def apply():
    "Replace cursor_dict in the framework modules that imported it"
    for name, module in list(sys.modules.items()):
        if (name == 'trytond' or name.startswith('trytond.')) and (
                getattr(module, 'cursor_dict', None)
                is _original_cursor_dict):
            module.cursor_dict = cursor_dict
    if MemoryCache.sync.__func__ is _original_sync:
        MemoryCache.sync = classmethod(sync)


apply()
