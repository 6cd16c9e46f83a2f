"""FTS5 search on SQLite (the embedded default): bm25 ranking, snippet() and highlight().

The FTS5 tables are filled by triggers (migrations 0001-0003). Ranks are ``-bm25`` so that,
as on PostgreSQL, higher is better; a title (subject) match weighs more than a body match.
A case is one document (subject, description, public timeline, internal notes; migration
0002), as on PostgreSQL. Each kind ranks the newest ``CANDIDATES`` matches in scope (FTS5 walks
its rowids newest-first), and only the page gets snippets.
"""

# ruff: noqa: S608 — SQL is assembled from fixed fragments and the scope conditions the ORM
# compiled; every value (query text, keys, limits) is a bound parameter.

from __future__ import annotations

from .backends import (
    CANDIDATES,
    RESOURCE_SOURCES,
    SUGGEST_CANDIDATES,
    RawHit,
    Scope,
    fetch,
    merge_sources,
    page_of,
    product_scope,
)
from .query import ParsedQuery

S, E = "char(2)", "char(3)"
_ARTICLE_RANK = "-bm25(search_article_fts, 10.0, 4.0, 1.0)"
_A = "knowledge_article"
_C = "cases_case"


def _marks(n: int) -> str:
    return ",".join(["%s"] * n)


class SqliteBackend:
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        match = query.fts5()
        if not match:
            return [], 0
        found = fetch(
            f"SELECT f.rowid, {_ARTICLE_RANK} FROM search_article_fts f "
            f"JOIN {_A} ON {_A}.id = f.rowid WHERE search_article_fts MATCH %s AND {scope.sql} "
            "ORDER BY f.rowid DESC LIMIT %s",
            [match, *scope.params, CANDIDATES],
        )
        page, count = page_of(found, limit, offset)
        if not page:
            return [], count
        rows = {
            r[0]: r[1:]
            for r in fetch(
                f"SELECT rowid, highlight(search_article_fts, 0, {S}, {E}), "
                f"snippet(search_article_fts, 2, {S}, {E}, '…', 24) FROM search_article_fts "
                f"WHERE search_article_fts MATCH %s AND rowid IN ({_marks(len(page))})",
                [match, *(p[0] for p in page)],
            )
        }
        return [RawHit(i, s, None, *rows.get(i, ("", ""))) for i, s in page], count

    def cases(
        self, query: ParsedQuery, scope: Scope, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        match = query.fts5()
        if not match:
            return [], 0
        # One document per case (migration 0002); a contact's query leaves out the notes.
        if public_only:
            match = "{subject description timeline} : (" + match + ")"
        found = fetch(
            f"SELECT f.rowid, -bm25(search_case_fts, 4.0, 1.0, 0.5, 0.25) FROM search_case_fts f "
            f"JOIN {_C} ON {_C}.id = f.rowid WHERE search_case_fts MATCH %s AND {scope.sql} "
            "ORDER BY f.rowid DESC LIMIT %s",
            [match, *scope.params, CANDIDATES],
        )
        page, count = page_of(found, limit, offset)
        hits = [RawHit(i, s) for i, s in page]
        self._case_snippets(match, hits, public_only)
        return hits, count

    def _case_snippets(self, match: str, hits: list[RawHit], public_only: bool) -> None:
        """Subject highlighted; the description's snippet where it matches, else the
        timeline's (public entries only for a contact)."""
        ids = [h.id for h in hits]
        if not ids:
            return
        columns = (1, 2) if public_only else (1, 2, 3)
        snippets = ", ".join(f"snippet(search_case_fts, {c}, {S}, {E}, '…', 24)" for c in columns)
        rows = {
            r[0]: r[1:]
            for r in fetch(
                f"SELECT rowid, highlight(search_case_fts, 0, {S}, {E}), {snippets} "
                f"FROM search_case_fts WHERE search_case_fts MATCH %s "
                f"AND rowid IN ({_marks(len(ids))})",
                [match, *ids],
            )
        }
        for hit in hits:
            title, description, *timeline = rows.get(hit.id, ("", "", ""))
            hit.title = title
            hit.snippet = description
            if "\x02" not in description and "\x02" not in title:
                for text in timeline:
                    if "\x02" in text:
                        hit.snippet, hit.in_timeline = text, True
                        break

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]:
        if not words:
            return []
        terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
        for joiner in (" AND ", " OR ") if len(terms) > 1 else (" AND ",):
            # Titles and tags only, as PostgreSQL's suggest_vector.
            match = "{title tags} : (" + joiner.join(terms) + ")"
            rows = fetch(
                "SELECT rowid, score, title FROM (SELECT f.rowid, "
                f"{_ARTICLE_RANK} AS score, highlight(search_article_fts, 0, {S}, {E}) AS title "
                f"FROM search_article_fts f JOIN {_A} ON {_A}.id = f.rowid "
                f"WHERE search_article_fts MATCH %s AND {_A}.state = 'published' AND {scope.sql} "
                "ORDER BY f.rowid DESC LIMIT %s) ORDER BY score DESC, rowid DESC LIMIT %s",
                [match, *scope.params, SUGGEST_CANDIDATES, limit],
            )
            if rows:
                return [RawHit(r[0], r[1], None, r[2]) for r in rows]
        return []

    def resources(
        self, query: ParsedQuery, product_ids: list[int] | None, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        match = query.fts5()
        if not match:
            return [], 0
        found: list[tuple[str, int, float]] = []
        for source, table, template in RESOURCE_SOURCES:
            scope = product_scope(template, product_ids)
            fts = f"search_{source}_fts"
            weights = "10.0, 1.0" if source != "download" else "10.0"
            found += [
                (source, i, score)
                for i, score in fetch(
                    f"SELECT f.rowid, -bm25({fts}, {weights}) FROM {fts} f "
                    f"JOIN {table} ON {table}.id = f.rowid WHERE {fts} MATCH %s AND {scope.sql} "
                    "ORDER BY f.rowid DESC LIMIT %s",
                    [match, *scope.params, CANDIDATES],
                )
            ]
        page, count = merge_sources(found, limit, offset)
        shown: dict[tuple[str, int], tuple[str, str]] = {}
        for source, _, _ in RESOURCE_SOURCES:
            ids = [i for s, i, _ in page if s == source]
            if not ids:
                continue
            fts = f"search_{source}_fts"
            snippet = f"snippet({fts}, 1, {S}, {E}, '…', 24)" if source != "download" else "''"
            for i, head, text in fetch(
                f"SELECT rowid, highlight({fts}, 0, {S}, {E}), {snippet} FROM {fts} "
                f"WHERE {fts} MATCH %s AND rowid IN ({_marks(len(ids))})",
                [match, *ids],
            ):
                shown[source, i] = (head, text)
        return [
            RawHit(i, score, None, *shown.get((s, i), ("", "")), source=s) for s, i, score in page
        ], count
