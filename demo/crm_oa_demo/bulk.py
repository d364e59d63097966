"""Set-based bulk loading into Tryton tables, on SQLite and PostgreSQL.

Rows are generated in Python and streamed with one COPY per table on
PostgreSQL, or with executemany on SQLite: never one ORM call per row."""
import datetime as dt

from trytond import backend
from trytond.transaction import Transaction


def next_ids(table, count):
    "Reserve `count` consecutive ids of `table` and return the first one"
    cursor = Transaction().connection.cursor()
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
    first = cursor.fetchone()[0] + 1
    if backend.name == 'postgresql':
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            (table, first + count - 1))
    return first


def insert_rows(table, columns, rows):
    """Insert the rows (an iterable of tuples) into the table.

    The audit columns create_uid and create_date are added."""
    now = dt.datetime.now()
    columns = list(columns) + ['create_uid', 'create_date']
    connection = Transaction().connection
    cursor = connection.cursor()
    count = 0
    if backend.name == 'postgresql':
        names = ', '.join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row) + (0, now))
                count += 1
    else:
        names = ', '.join(f'"{c}"' for c in columns)
        marks = ', '.join('?' * len(columns))
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        batch = []
        for row in rows:
            batch.append(tuple(row) + (0, now))
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def analyze(*tables):
    "Refresh planner statistics after a bulk load"
    cursor = Transaction().connection.cursor()
    for table in tables:
        cursor.execute(f'ANALYZE "{table}"')
