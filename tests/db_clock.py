"""Freeze the database's clock, as time-machine freezes Python's (issue 16: no timing luck).

Leases are set and judged by the database's ``NOW()`` (Django's ``Now()``), which
time-machine cannot reach. Two statements never see the same ``NOW()`` on their own, so a
boundary such as "a lease that ends exactly now" can only be tested with the database's
clock standing still:

- SQLite: ``Now()`` is ``STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')``; the test connection gets
  its own ``strftime`` that answers the frozen instant for ``'NOW'``, in the text
  form Django stores datetimes in (SQLite compares them as text), and passes every other
  call to SQLite's own function.
- PostgreSQL: ``Now()`` is ``STATEMENT_TIMESTAMP()``; a schema placed before
  ``pg_catalog`` in ``search_path`` holds a ``statement_timestamp()`` that returns the
  frozen instant. Both are undone on leaving.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator

from django.db import connection

_SCHEMA = "casedesk_test_frozen_clock"


class FrozenDbClock:
    """The database's clock, standing at ``at`` until ``move_to`` moves it."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def move_to(self, at: dt.datetime) -> None:
        self.at = at
        if connection.vendor == "postgresql":
            _pg_define(at)


def _naive_utc(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("the database clock needs an aware datetime")
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def _pg_define(at: dt.datetime) -> None:
    literal = _naive_utc(at).isoformat(sep=" ")  # our own datetime: digits, '-', ':', '.'
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {_SCHEMA}.statement_timestamp() "
            f"RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT '{literal}+00'::timestamptz $$"
        )


@contextlib.contextmanager
def frozen_db_clock(at: dt.datetime) -> Iterator[FrozenDbClock]:
    clock = FrozenDbClock(at)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        real = sqlite3.connect(":memory:")

        def strftime(*args):  # type: ignore[no-untyped-def]
            if frozen and len(args) == 2 and str(args[1]).lower() == "now":
                return str(_naive_utc(clock.at))
            marks = ", ".join("?" * len(args))
            return real.execute(f"SELECT strftime({marks})", args).fetchone()[0]

        frozen = True
        # Any number of arguments, like SQLite's own: replacing that very function also
        # expires statements compiled (and cached by sqlite3) before it was replaced.
        connection.connection.create_function("strftime", -1, strftime)
        try:
            yield clock
        finally:
            # The override stays registered on this connection but passes every call on.
            frozen = False
        return
    if connection.vendor != "postgresql":
        raise NotImplementedError(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        (old_path,) = cursor.fetchone()
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
    _pg_define(at)
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {_SCHEMA}, pg_catalog, {old_path}")
    try:
        yield clock
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {old_path}")
            cursor.execute(f"DROP SCHEMA IF EXISTS {_SCHEMA} CASCADE")
