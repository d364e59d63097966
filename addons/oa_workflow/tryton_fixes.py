# This file is part of the oa_workflow module.
"""Fixes of the framework the whole product relies on, applied once when the
platform module is imported.

``cursor_dict``: Tryton turns every fetched row into a dictionary with
``cursor.description``. psycopg 3 rebuilds that description (one ``Column``
object per column, with its type look-up) on every access (psycopg issues
#446 and #457), and Tryton's PostgreSQL cursors fetch one row at a time
(``arraysize`` 1): a search of 200 rooms built 4 000 column objects, ~15 ms
of the 20 ms the search took. The replacement reads the column names once
per result set; the dictionaries it yields are the same."""
import sys

from trytond import tools

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


def apply():
    "Replace cursor_dict in the framework modules that imported it"
    for name, module in list(sys.modules.items()):
        if (name == 'trytond' or name.startswith('trytond.')) and (
                getattr(module, 'cursor_dict', None)
                is _original_cursor_dict):
            module.cursor_dict = cursor_dict


apply()
