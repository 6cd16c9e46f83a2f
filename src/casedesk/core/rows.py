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

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)
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

    @functools.lru_cache(maxsize=16)  # noqa: B019 - a few module-level inserters, kept for life
    def _many_sql(self, rows: int, ignore_conflicts: bool) -> str:
        columns = ", ".join(quote(f.column) for f in self._fields)
        row = "(" + ", ".join(["%s"] * len(self._fields)) + ")"
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

    def insert_many(self, objs: Sequence[M], *, ignore_conflicts: bool = False) -> None:
        """Write ``objs`` in as few statements as the database's parameter limit allows.

        With ``ignore_conflicts`` a row that would break a unique constraint is skipped (as
        ``bulk_create(ignore_conflicts=True)``); keys are not read back either way.
        """
        if not objs:
            return
        for obj in objs:
            self._check_new(obj)
        conn = _connection()
        fields = self._fields
        size = max(1, conn.ops.bulk_batch_size(list(fields), list(objs)))
        with conn.cursor() as cursor:
            for start in range(0, len(objs), size):
                batch = objs[start : start + size]
                values = [value for obj in batch for value in self._values(obj, conn)]
                cursor.execute(self._many_sql(len(batch), ignore_conflicts), values)
        for obj in objs:
            obj._state.adding = False
            obj._state.db = conn.alias
