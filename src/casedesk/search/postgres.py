"""PostgreSQL full-text search: one tsvector per row, GIN indexes, ``to_tsquery``, ``ts_headline``.

Each row is indexed with its own language's configuration and carries a marker lexeme
for it (migration 0002); ``casedesk_query(text)`` is the query parsed once per
configuration, each ANDed with its marker and all four ORed — one tsquery, so the GIN
index answers it and the planner estimates it from the column's lexeme statistics: a
rare word is read from the index, a common one by walking the key index newest-first
until ``CANDIDATES`` rows matched. Only those candidates are ranked (``ts_rank``: title or
subject A, tags or description B, public timeline C, internal notes D) and only the page
gets ``ts_headline``, which re-parses the text.

A case is one document with its timeline folded in. A contact's query is limited to
weights A-C (``'word':ABC``), so internal notes neither match nor rank for them.
"""

# ruff: noqa: S608 — SQL is assembled from fixed fragments and the scope conditions the ORM
# compiled; every value (query text, keys, limits) is a bound parameter.

from __future__ import annotations

import json
import time

from .backends import (
    CANDIDATES,
    RESOURCE_SOURCES,
    SUGGEST_CANDIDATES,
    UNINDEXED_KINDS,
    RawHit,
    Scope,
    fetch,
    merge_sources,
    page_of,
    product_scope,
)
from .query import ParsedQuery

_HEADLINE = (
    "'StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, MaxFragments=2, "
    'FragmentDelimiter=" … "\''
)
_TITLE = "'StartSel=\x02, StopSel=\x03, HighlightAll=true'"
_STAFF_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C, B, A
_CONTACT_WEIGHTS = "{0, 0.2, 0.4, 1.0}"  # internal notes count for nothing
_CFG = "casedesk_ts_config({t}.language)"
_ROWQ = "casedesk_row_query({t}.language, %s)"


WINDOW = 3000  # newest rows in scope tried first, before the planner's own choice
RARE_SHARE = 0.02  # a group of words the planner expects in fewer rows is read from the index
_ROWS_TTL = 600.0  # seconds a table's row estimate is reused
_rows: dict[str, tuple[float, float]] = {}


def _table_rows(table: str) -> float:
    """The table's row estimate (``pg_class.reltuples``, kept by ANALYZE), cached a while."""
    now = time.monotonic()
    cached = _rows.get(table)
    if cached is None or now - cached[0] > _ROWS_TTL:
        found = fetch("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        cached = (now, float(found[0][0]) if found else 0.0)
        _rows[table] = cached
    return cached[1]


def _estimate(table: str, vector: str, text: str) -> float:
    """Rows the planner expects to match, from the column's lexeme statistics."""
    plan = fetch(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE {vector} @@ casedesk_query(%s)",
        [text],
    )
    document = plan[0][0]
    if isinstance(document, str):
        document = json.loads(document)
    return float(document[0]["Plan"]["Plan Rows"])


def _rare(table: str, vector: str, groups: list[str], memo: dict[tuple[str, str], float]) -> bool:
    """Whether some group of words is rare in the whole table, so that the newest WINDOW
    rows in scope would likely hold fewer than CANDIDATES matches and probing them first
    (19 ms for a contact's organisation at 1M cases) would only delay the index read."""
    rows = _table_rows(table)
    if rows < WINDOW or not groups:
        return False  # a small table: the window is the whole scope anyway
    for group in groups:
        if (table, group) not in memo:
            memo[table, group] = _estimate(table, vector, group)
    return min(memo[table, g] for g in groups) < RARE_SHARE * rows


def _candidates(
    table: str, vector: str, scope: Scope, weights: str, query: ParsedQuery, label: str = ""
) -> list[tuple]:  # type: ignore[type-arg]
    """(id, score) of the newest CANDIDATES rows in scope that match, ranked.

    First among the newest WINDOW rows in scope (a walk of the key or organisation index
    that cannot cost more than WINDOW rows): a common word fills the candidates there, and
    they are then exactly the newest matches. Only if it does not, the whole scope, planned
    for the words — where a rare word is read from the text index. The planner alone would
    sometimes take the text index for words that are common together (it multiplies their
    frequencies as if independent: "maintenance window" read 250,000 rows for 201), so the
    window is skipped only when one group of words is rare on its own (the
    query's AND-ed parts), judged by the planner's estimate for that group.
    """
    rank = f"SELECT id, ts_rank(%s::float4[], {vector}, casedesk_row_query(language, %s)) "
    text = query.tsquery(label)
    if not _rare(table, vector, query.group_tsqueries(label), query.estimates):
        rows = fetch(
            f"{rank} FROM (SELECT {table}.id, {table}.language, {table}.{vector} FROM {table} "
            f"WHERE {scope.sql} ORDER BY {table}.id DESC LIMIT %s) AS recent "
            f"WHERE {vector} @@ casedesk_query(%s) LIMIT %s",
            [weights, text, *scope.params, WINDOW, text, CANDIDATES],
        )
        if len(rows) >= CANDIDATES:
            return rows
    return fetch(
        f"{rank} FROM (SELECT {table}.id, {table}.language, {table}.{vector} FROM {table} "
        f"WHERE {table}.{vector} @@ casedesk_query(%s) AND {scope.sql} "
        f"ORDER BY {table}.id DESC LIMIT %s) AS candidates",
        [weights, text, text, *scope.params, CANDIDATES],
    )


class PostgresBackend:
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        text = query.tsquery()
        if not text:
            return [], 0
        found = _candidates("knowledge_article", "search_vector", scope, _STAFF_WEIGHTS, query)
        page, count = page_of(found, limit, offset)
        if not page:
            return [], count
        a = "knowledge_article"
        rows = {
            r[0]: r[1:]
            for r in fetch(
                f"SELECT id, ts_headline({_CFG.format(t=a)}, title, {_ROWQ.format(t=a)}, {_TITLE}),"
                f" ts_headline({_CFG.format(t=a)}, body_text, {_ROWQ.format(t=a)}, {_HEADLINE}) "
                f"FROM {a} WHERE id = ANY(%s)",
                [text, text, [p[0] for p in page]],
            )
        }
        return [RawHit(i, s, None, *rows.get(i, ("", ""))) for i, s in page], count

    def cases(
        self, query: ParsedQuery, scope: Scope, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        text = query.tsquery("ABC" if public_only else "")
        if not text:
            return [], 0
        weights = _CONTACT_WEIGHTS if public_only else _STAFF_WEIGHTS
        label = "ABC" if public_only else ""
        found = _candidates("cases_case", "search_vector", scope, weights, query, label)
        page, count = page_of(found, limit, offset)
        hits = [RawHit(i, s) for i, s in page]
        self._case_snippets(query.tsquery(), hits, public_only)
        return hits, count

    def _case_snippets(self, text: str, hits: list[RawHit], public_only: bool) -> None:
        """Subject and description highlighted where they match; otherwise the newest
        timeline entry (public ones only for a contact) that matches."""
        if not hits:
            return
        c = "cases_case"
        rows = fetch(
            f"SELECT id, ts_headline({_CFG.format(t=c)}, subject, {_ROWQ.format(t=c)}, {_TITLE}), "
            f"ts_headline({_CFG.format(t=c)}, description, {_ROWQ.format(t=c)}, {_HEADLINE}), "
            f"casedesk_case_head(language, subject, description) @@ {_ROWQ.format(t=c)} "
            f"FROM {c} WHERE id = ANY(%s)",
            [text, text, text, [h.id for h in hits]],
        )
        own = {r[0]: r[1:] for r in rows}
        elsewhere = [i for i, r in own.items() if not r[2]]
        events: dict[int, tuple[int, str]] = {}
        if elsewhere:
            public = "AND e.public" if public_only else ""
            for case_id, event_id, snippet in fetch(
                f"SELECT DISTINCT ON (e.case_id) e.case_id, e.id, ts_headline("
                f"{_CFG.format(t=c)}, e.body, {_ROWQ.format(t=c)}, {_HEADLINE}) "
                f"FROM cases_caseevent e JOIN {c} ON {c}.id = e.case_id "
                f"WHERE e.case_id = ANY(%s) AND e.body <> '' AND NOT (e.kind = ANY(%s)) {public} "
                f"AND to_tsvector({_CFG.format(t=c)}, left(e.body, 20000)) @@ "
                f"{_ROWQ.format(t=c)} ORDER BY e.case_id, e.id DESC",
                [text, elsewhere, list(UNINDEXED_KINDS), text],
            ):
                events[case_id] = (event_id, snippet)
        for hit in hits:
            title, description, in_head = own.get(hit.id, ("", "", True))
            # A subject only highlighted where it matched; otherwise shown plain by the caller.
            hit.title = title if "\x02" in title else ""
            if not in_head and hit.id in events:
                hit.event_id, hit.snippet = events[hit.id]
                hit.in_timeline = True
            else:
                hit.snippet = description

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]:
        if not words:
            return []
        # Words are \w+ only, so they cannot be tsquery operators; the last is a prefix.
        # Every word first; any word only when that finds nothing.
        terms = [*(f"'{w}'" for w in words[:-1]), f"'{words[-1]}':*"]
        a = "knowledge_article"
        q = "to_tsquery('simple', %s)"
        for joiner in (" & ", " | ") if len(terms) > 1 else (" & ",):
            text = joiner.join(terms)
            rows = fetch(
                f"SELECT id, ts_rank(suggest_vector, {q}) AS score, "
                f"ts_headline('simple', title, {q}, {_TITLE}) "
                f"FROM (SELECT id, title, suggest_vector FROM {a} "
                f"WHERE {a}.state = 'published' AND {a}.suggest_vector @@ {q} "
                f"AND {scope.sql} ORDER BY {a}.id DESC LIMIT %s) AS {a} "
                "ORDER BY score DESC, id DESC LIMIT %s",
                [text, text, text, *scope.params, SUGGEST_CANDIDATES, limit],
            )
            if rows:
                return [RawHit(r[0], r[1], None, r[2]) for r in rows]
        return []

    def resources(
        self, query: ParsedQuery, product_ids: list[int] | None, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        text = query.tsquery()
        if not text:
            return [], 0
        found: list[tuple[str, int, float]] = []
        for source, table, template in RESOURCE_SOURCES:
            scope = product_scope(template, product_ids)
            found += [
                (source, i, score)
                for i, score in fetch(
                    f"SELECT id, ts_rank(search_vector, to_tsquery('english', %s)) FROM {table} "
                    f"WHERE search_vector @@ casedesk_query(%s) AND {scope.sql} "
                    "ORDER BY id DESC LIMIT %s",
                    [text, text, *scope.params, CANDIDATES],
                )
            ]
        page, count = merge_sources(found, limit, offset)
        texts = {
            "release": ("name", "notes"),
            "document": ("title", "body"),
            "download": ("filename", "''"),
        }
        shown: dict[tuple[str, int], tuple[str, str]] = {}
        for source, table, _ in RESOURCE_SOURCES:
            ids = [i for s, i, _ in page if s == source]
            if not ids:
                continue
            title, body = texts[source]
            for i, head, snippet in fetch(
                f"SELECT id, ts_headline('english', {title}, to_tsquery('english', %s), {_TITLE}), "
                f"ts_headline('english', {body}, to_tsquery('english', %s), {_HEADLINE}) "
                f"FROM {table} WHERE id = ANY(%s)",
                [text, text, ids],
            ):
                shown[source, i] = (head, snippet)
        return [
            RawHit(i, score, None, *shown.get((s, i), ("", "")), source=s) for s, i, score in page
        ], count
