"""``field__any=values``: ``IN (…)`` that stays one statement text whatever the count.

A worker batch selects and updates its 500 rows by key. As ``IN (%s, %s, …)`` every
batch size is a different statement: psycopg re-parses it (it caches only statements of
at most 50 parameters, so 500 placeholders are split by a regex on every call), and
PostgreSQL parses and plans it again. On PostgreSQL ``= ANY(%s::bigint[])`` passes the
values as one array: one cached, prepared statement for every batch (issue 17). Other
databases get the plain ``IN``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = list(dict.fromkeys(v for v in self.rhs if v is not None))
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.rel_db_type(connection).split("(")[0]
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, values)


def register() -> None:
    Field.register_lookup(AnyOf)
