# This file is part of the oa_workflow module.
"""Records holding a resource (a room, a vehicle, a driver) for a period

In their active states two records never hold one resource for overlapping
periods [start, end): on PostgreSQL exclusion constraints on the time range
guarantee it (they need the btree_gist extension, ``BtreeGistMixin``), and a
Python check finds the conflicting record to name it in the error message
(``overlapping_ids``)."""
from sql import Column, Table
from sql.aggregate import Max
from sql.conditionals import Coalesce

from trytond import backend
from trytond.transaction import Transaction


class BtreeGistMixin(object):
    "Install btree_gist, which exclusion constraints comparing ids with = need"
    __slots__ = ()

    @classmethod
    def __register__(cls, module_name):
        transaction = Transaction()
        database = transaction.database
        if backend.name == 'postgresql':
            cursor = transaction.connection.cursor()
            cursor.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
            # has_extension() looks with another connection that cannot see
            # the uncommitted extension yet
            database._extensions[database.name]['btree_gist'] = True
        super().__register__(module_name)


def overlapping_ids(table, resource, value, start, end, states, exclude=(),
        latest=False, limit=None):
    """The ids of the rows of table in one of the states whose column
    resource is value and whose period overlaps [start, end), earliest first
    (latest first with latest), in one query.

    Those rows never overlap each other, so of the rows starting before start
    only the last one can overlap: the scan of the (resource, start) index
    begins there, whatever the number of past rows."""
    def holding(table):
        where = ((Column(table, resource) == int(value))
            & table.state.in_(list(states)))
        ids = [int(e) for e in exclude if int(e) >= 0]
        if ids:
            where &= ~table.id.in_(ids)
        return where

    before = Table(table._name, table._schema)
    last_before = before.select(
        Max(before.start), where=holding(before) & (before.start <= start))
    order = table.start.desc if latest else table.start.asc
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.id,
            where=(holding(table)
                & (table.start >= Coalesce(last_before, start))
                & (table.start < end) & (table.end > start)),
            order_by=[order], limit=limit))
    return [i for i, in cursor]
