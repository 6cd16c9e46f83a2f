"""What both full-text backends answer, and how a scope is handed to them.

A scope is the WHERE condition of a queryset the domain's own selectors built
(``scope_cases``, ``published_for``), compiled by the ORM over the base table's own name
(``"cases_case"."organisation_id" = %s``), so the permission rule is written once and the
engines narrow within it — as a condition on the same table, not an ``IN (subquery)``,
so PostgreSQL can combine it with the text index (a bitmap AND with the organisation's
index, or a walk of that index) instead of materialising everything the reader may see.

Each kind ranks a bounded candidate set: the newest ``CANDIDATES`` matches (by key, an
index the table already has), which is also the count's cap ("200+"). Ranking every match
of a common word before the LIMIT is what made search take 0.2-1 s at 100k cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import QuerySet

from .query import ParsedQuery

COUNT_CAP = 200  # counts above this show as "200+"; only this many matches are ranked
CANDIDATES = COUNT_CAP + 1
# Timeline entries whose text is the desk's own boilerplate (or repeats the description):
# not part of a case's document (search migration 0005).
UNINDEXED_KINDS = ("opened", "followup", "milestone", "unassigned", "files_purged")
SUGGEST_CANDIDATES = 50  # the newest title matches ranked for suggestions


@dataclass
class RawHit:
    id: int
    score: float
    event_id: int | None = None
    title: str = ""  # with \x02 … \x03 around matches
    snippet: str = ""
    source: str = ""  # resource-centre hits: release, document or download
    in_timeline: bool = False  # a case matched in its timeline, not subject/description


@dataclass(frozen=True)
class Scope:
    """A condition on the base table (referred to by its own name), with its parameters."""

    sql: str
    params: tuple[object, ...]

    @classmethod
    def everything(cls) -> Scope:
        return cls("1 = 1", ())

    @classmethod
    def of(cls, queryset: QuerySet) -> Scope:  # type: ignore[type-arg]
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        joined = [a for a, n in query.alias_refcount.items() if n and a != query.base_table]
        if joined:  # a rule that needs another table: fall back to the key subquery
            sql, params = queryset.values("pk").query.sql_with_params()
            table = connection.ops.quote_name(queryset.model._meta.db_table)
            return cls(f"{table}.id IN ({sql})", tuple(params))
        try:
            sql, params = compiler.compile(query.where)
        except EmptyResultSet:
            return cls("1 = 0", ())
        except FullResultSet:
            return cls.everything()
        return cls(f"({sql})" if sql else "1 = 1", tuple(params))


class Backend(Protocol):
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]: ...

    def cases(
        self, query: ParsedQuery, scope: Scope, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]: ...

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]: ...

    def resources(
        self, query: ParsedQuery, product_ids: list[int] | None, limit: int, offset: int
    ) -> tuple[list[RawHit], int]: ...


# Resource-centre sources: (name, table, what limits it to products).
RESOURCE_SOURCES = (
    ("release", "resources_release", "resources_release.product_id IN ({ids})"),
    ("document", "resources_document", "resources_document.product_id IN ({ids})"),
    (
        "download",
        "resources_download",
        "resources_download.release_id IN "
        "(SELECT r.id FROM resources_release r WHERE r.product_id IN ({ids}))",
    ),
)


def product_scope(template: str, product_ids: list[int] | None) -> Scope:
    """A resource table limited to the products a reader's contracts cover (None: all)."""
    if product_ids is None:
        return Scope.everything()
    if not product_ids:
        return Scope("1 = 0", ())
    return Scope(template.format(ids=", ".join(["%s"] * len(product_ids))), tuple(product_ids))


def merge_sources(
    found: list[tuple[str, int, float]], limit: int, offset: int
) -> tuple[list[tuple[str, int, float]], int]:
    """Best first across the three sources (ties: source, then newest), one page, count."""
    ranked = sorted(found, key=lambda f: (-f[2], f[0], -f[1]))[:CANDIDATES]
    return ranked[offset : offset + limit], len(ranked)


def fetch(sql: str, params: list[object]) -> list[tuple]:  # type: ignore[type-arg]
    """Rows of one statement. On PostgreSQL it is never prepared: a search is planned for
    its own words (a common word walks the key index and stops, a rare one reads the text
    index), which a generic plan of a prepared statement cannot know."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.cursor.execute(sql, params, prepare=False)
            return cursor.cursor.fetchall()
        cursor.execute(sql, params)
        return cursor.fetchall()


def page_of(
    candidates: list[tuple[int, float]], limit: int, offset: int
) -> tuple[list[tuple[int, float]], int]:
    """Best first (ties: newest first), one page of them, and how many there were."""
    ranked = sorted(candidates, key=lambda c: (-c[1], -c[0]))
    return ranked[offset : offset + limit], len(candidates)
