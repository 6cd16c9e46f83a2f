"""What both full-text backends answer, and how a scope is handed to them.

A scope is an SQL subquery of the row keys the reader may see, built by the domain's own
selectors (``scope_cases``, ``readable_articles``), so the permission rule is written once
and the engines only narrow within it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db import connection
from django.db.models import QuerySet

from .query import ParsedQuery

COUNT_CAP = 1000  # counts above this show as "1000+": exact counts of common words cost


@dataclass
class RawHit:
    id: int
    score: float
    event_id: int | None = None
    title: str = ""  # with \x02 … \x03 around matches
    snippet: str = ""


@dataclass(frozen=True)
class Scope:
    sql: str
    params: tuple[object, ...]

    @classmethod
    def of(cls, queryset: QuerySet) -> Scope:  # type: ignore[type-arg]
        sql, params = queryset.values("pk").query.sql_with_params()
        return cls(sql, tuple(params))


class Backend(Protocol):
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]: ...

    def cases(
        self, query: ParsedQuery, scope: Scope | None, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]: ...

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]: ...


def fetch(sql: str, params: list[object]) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
