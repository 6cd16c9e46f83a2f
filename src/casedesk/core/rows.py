"""Model instances from hand-written SQL, for the few hot paths where the ORM's query
compilation costs more than the query (bearer-token lookup, the facts behind opening a
case: ~0.4 ms of Python per statement against ~0.1 ms to run it; docs/benchmarks.md).

A ``Columns`` names one model's concrete columns under a table alias. Its ``sql()`` goes in
a SELECT list; ``take()`` turns that slice of a result row back into an instance, with the
same database converters the ORM applies (SQLite dates, JSON), or None where a LEFT JOIN
found nothing. Everything per model is worked out once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, models
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)
# Up to this many rows, PostgreSQL gets ``VALUES (…), (…)`` too: a handful of statement
# texts, each prepared once, where the ``unnest`` arrays cost psycopg a Python-level list
# dump per column (an opening's deadline and outbox rows: 34 arrays, ~0.2 ms; issue 17).
SMALL_BATCH = 4
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def _connection() -> BaseDatabaseWrapper:
    """This thread's connection itself; the ``django.db.connection`` proxy costs a
    thread-local lookup on every attribute, and the value preparation below reads it
    dozens of times per row."""
    return connections[DEFAULT_DB_ALIAS]


def quote(name: str) -> str:
    """Identifiers as both supported databases quote them (PostgreSQL and SQLite agree)."""
    return default_connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return quote(model._meta.db_table)


class Columns(Generic[M]):
    """``model``'s concrete columns under ``alias`` in one hand-written SELECT."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias

    @cached_property
    def _fields(self) -> tuple[Any, ...]:
        return tuple(self.model._meta.concrete_fields)

    @cached_property
    def width(self) -> int:
        return len(self._fields)

    @cached_property
    def _attnames(self) -> list[str]:
        return [f.attname for f in self._fields]

    @cached_property
    def _sql(self) -> str:
        alias = quote(self.alias)
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self._fields)

    def sql(self) -> str:
        return self._sql

    @cached_property
    def _converters(self) -> tuple[tuple[int, tuple[Converter, ...], Any], ...]:
        found = []
        for i, field in enumerate(self._fields):
            col = field.get_col(self.alias)
            funcs = tuple(
                default_connection.ops.get_db_converters(col)
                + col.get_db_converters(default_connection)
            )
            if funcs:
                found.append((i, funcs, col))
        return tuple(found)

    def take(self, row: Sequence[Any], start: int) -> M | None:
        """The instance in ``row[start:start + width]``; None when its primary key is NULL."""
        values = list(row[start : start + self.width])
        if values[self._pk_index] is None:
            return None
        if self._converters:
            conn = _connection()
            for i, funcs, col in self._converters:
                value = values[i]
                for func in funcs:
                    value = func(value, col, conn)
                values[i] = value
        return self.model.from_db(DEFAULT_DB_ALIAS, self._attnames, values)

    @cached_property
    def _pk_index(self) -> int:
        return self._attnames.index(self.model._meta.pk.attname)


# Field classes whose value goes to the database unchanged when it already has this exact
# type (their pre_save is a plain attribute read and get_db_prep_save returns the value).
# Exact classes only: a subclass may prepare values its own way.
_AS_IS: dict[type, tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
}
_KEYS = (models.AutoField, models.BigAutoField)


def _as_is_types(field: Any) -> tuple[type, ...]:
    if type(field) is models.ForeignKey and type(field.target_field) in _KEYS:
        return (int,)
    return _AS_IS.get(type(field), ())


class Inserter(Generic[M]):
    """One model's INSERT, written once per process instead of compiled per row.

    For rows written on every request (a case, its events): the ORM's insert compiler
    costs more Python than the statement. Same values as ``Model.save()`` would send
    (``pre_save`` for auto-now fields, ``get_db_prep_save``), the new key read back with
    RETURNING. No ``pre_save``/``post_save`` signals are sent; casedesk connects none.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model

    @cached_property
    def _fields(self) -> tuple[Any, ...]:
        meta = self.model._meta
        # What this writer does not do: take a given key, or read back database defaults.
        if type(meta.pk) not in _KEYS or any(
            f.db_default is not models.NOT_PROVIDED or f.db_returning
            for f in meta.concrete_fields
            if f is not meta.pk
        ):
            raise TypeError(f"Inserter supports auto keys without database defaults: {meta.label}")
        return tuple(f for f in meta.concrete_fields if f is not meta.pk and not f.generated)

    @cached_property
    def _sql(self) -> str:
        sql = self._many_sql(1, False)
        if default_connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(self.model._meta.pk.column)}"
        return sql

    @cached_property
    def _plan(self) -> tuple[tuple[Any, str, tuple[type, ...]], ...]:
        return tuple((f, f.attname, _as_is_types(f)) for f in self._fields)

    def _values(self, obj: M, conn: BaseDatabaseWrapper) -> list[Any]:
        """What ``Model.save()`` would send for ``obj``; plain values skip the preparation."""
        values = []
        for field, attname, as_is in self._plan:
            if as_is:
                value = getattr(obj, attname)
                if value is None or type(value) in as_is:
                    values.append(value)
                    continue
            values.append(field.get_db_prep_save(field.pre_save(obj, True), conn))
        return values

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few module-level inserters, kept for life
    def _many_sql(
        self, rows: int, ignore_conflicts: bool, computed: tuple[tuple[str, str], ...] = ()
    ) -> str:
        sql_of = dict(computed)
        columns = ", ".join(quote(f.column) for f in self._fields)
        row = "(" + ", ".join(sql_of.get(f.attname, "%s") for f in self._fields) + ")"
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        return (
            f"INSERT INTO {table(self.model)} ({columns}) "  # noqa: S608
            f"VALUES {', '.join([row] * rows)}{tail}"
        )

    def _check_new(self, obj: M) -> None:
        """Only new rows, with their related rows saved first, as ``Model.save()`` insists."""
        if obj.pk is not None:
            raise ValueError(f"{obj!r} has a key already; Inserter only writes new rows.")
        obj._prepare_related_fields_for_save(operation_name="insert")

    def insert(self, obj: M) -> M:
        """Write ``obj`` as a new row (in the caller's transaction) and set its key."""
        self._check_new(obj)
        conn = _connection()
        values = self._values(obj, conn)
        with conn.cursor() as cursor:
            cursor.execute(self._sql, values)
            if conn.features.can_return_columns_from_insert:
                (pk,) = cursor.fetchone()
            else:  # SQLite before 3.35
                pk = cursor.lastrowid
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias
        return obj

    @functools.lru_cache(maxsize=8)  # noqa: B019 - a few module-level inserters, kept for life
    def _unnest_sql(
        self, ignore_conflicts: bool, keys: str, computed: tuple[tuple[str, str], ...]
    ) -> str:
        """PostgreSQL: every row in one statement of one array per column. The text is the
        same for any number of rows, so psycopg parses it once and PostgreSQL prepares it,
        where ``VALUES (…), (…)`` is a new statement of thousands of parameters each time
        (issue 17: 500 outbox rows, 10,000 placeholders split by a regex per batch)."""
        conn = _connection()
        sql_of = dict(computed)
        columns = ", ".join(quote(f.column) for f in self._fields)
        given = [f for f in self._fields if f.attname not in sql_of]
        # Without the length (varchar(40)[] would truncate silently); the column checks it.
        # Binary (%b): psycopg escapes every element of a text-format array with a regex,
        # five times the cost of the binary dump for the same 500 rows.
        arrays = ", ".join(f"%b::{f.db_type(conn).split('(')[0]}[]" for f in given)
        names = ", ".join(f"c{i}" for i in range(len(given)))
        picked = iter(range(len(given)))
        select = ", ".join(
            sql_of[f.attname] if f.attname in sql_of else f"u.c{next(picked)}" for f in self._fields
        )
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        return (
            f"INSERT INTO {table(self.model)} ({columns}) "  # noqa: S608
            f"SELECT {select} FROM unnest({arrays}) AS u({names}){tail}{keys}"
        )

    def insert_many(
        self,
        objs: Sequence[M],
        *,
        ignore_conflicts: bool = False,
        keys: bool = False,
        match: str | None = None,
        computed: dict[str, tuple[str, Sequence[Any]]] | None = None,
    ) -> None:
        """Write ``objs`` in as few statements as the database allows (one on PostgreSQL).

        With ``ignore_conflicts`` a row that would break a unique constraint is skipped (as
        ``bulk_create(ignore_conflicts=True)``). ``keys`` reads the new keys back into the
        objects; with ``ignore_conflicts`` that needs ``match``, a unique attribute that
        tells which objects were written (the skipped ones keep no key). ``computed`` gives
        columns (by attribute name) an SQL expression and its parameters instead of the
        objects' values, the same for every row (a lease on the database's clock).
        """
        if not objs:
            return
        if keys and ignore_conflicts and match is None:
            raise ValueError("keys with ignore_conflicts need a unique attribute to match")
        for obj in objs:
            self._check_new(obj)
        conn = _connection()
        fields = self._fields
        computed = computed or {}
        sqls = tuple((name, sql) for name, (sql, _) in computed.items())
        # The expressions' parameters, in column order (they precede the arrays).
        extra = [p for f in fields if f.attname in computed for p in computed[f.attname][1]]
        skip = [i for i, f in enumerate(fields) if f.attname in computed]
        back = ""
        if keys:
            named = [self.model._meta.pk] + ([self.model._meta.get_field(match)] if match else [])
            back = " RETURNING " + ", ".join(quote(f.column) for f in named)
        returned: list[Any] = []
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql" and len(objs) > SMALL_BATCH:
                rows = [self._values(obj, conn) for obj in objs]
                columns = [list(c) for i, c in enumerate(zip(*rows, strict=True)) if i not in skip]
                cursor.execute(self._unnest_sql(ignore_conflicts, back, sqls), extra + columns)
                if keys:
                    returned = cursor.fetchall()
            elif keys and not conn.features.can_return_rows_from_bulk_insert:
                raise NotSupportedError("this database cannot return the keys of a bulk insert")
            else:
                size = max(1, conn.ops.bulk_batch_size(list(fields), list(objs)))
                per_field = {
                    i: list(computed[f.attname][1]) for i, f in enumerate(fields) if i in skip
                }
                for start in range(0, len(objs), size):
                    batch = objs[start : start + size]
                    values = []
                    for obj in batch:
                        for i, value in enumerate(self._values(obj, conn)):
                            values.extend(per_field.get(i, [value]))
                    # Rows come back in the order they went in (SQLite 3.35+, and PostgreSQL
                    # for VALUES, which bulk_create relies on too).
                    cursor.execute(
                        self._many_sql(len(batch), ignore_conflicts, sqls) + back, values
                    )
                    if keys:
                        returned += cursor.fetchall()
        written: Sequence[M] = objs
        if keys and match:
            by_value = {value: pk for pk, value in returned}
            written = [obj for obj in objs if getattr(obj, match) in by_value]
            for obj in written:
                obj.pk = by_value[getattr(obj, match)]
        elif keys:
            if len(returned) != len(objs):
                raise RuntimeError(f"{len(returned)} keys back for {len(objs)} rows")
            for obj, (pk,) in zip(objs, returned, strict=True):
                obj.pk = pk
        for obj in written:
            obj._state.adding = False
            obj._state.db = conn.alias
