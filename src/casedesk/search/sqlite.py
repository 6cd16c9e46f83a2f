"""FTS5 search on SQLite (the embedded default): bm25 ranking, snippet() and highlight().

The three FTS5 tables are filled by triggers (migration 0001). Ranks are ``-bm25`` so that,
as on PostgreSQL, higher is better; a title (subject) match weighs more than a body match.
"""

# ruff: noqa: S608 — SQL is assembled from fixed fragments and the scope subqueries the ORM
# compiled; every value (query text, keys, limits) is a bound parameter.

from __future__ import annotations

from .backends import COUNT_CAP, RawHit, Scope, fetch
from .query import ParsedQuery

S, E = "char(2)", "char(3)"
_ARTICLE_RANK = "-bm25(search_article_fts, 10.0, 4.0, 1.0)"


class SqliteBackend:
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        match = query.fts5()
        if not match:
            return [], 0
        where = f"search_article_fts MATCH %s AND rowid IN ({scope.sql})"
        params = [match, *scope.params]
        rows = fetch(
            f"SELECT rowid, {_ARTICLE_RANK}, highlight(search_article_fts, 0, {S}, {E}), "
            f"snippet(search_article_fts, 2, {S}, {E}, '…', 24) FROM search_article_fts "
            f"WHERE {where} ORDER BY 2 DESC, rowid LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        count = fetch(
            f"SELECT count(*) FROM (SELECT 1 FROM search_article_fts WHERE {where} LIMIT %s)",
            [*params, COUNT_CAP + 1],
        )[0][0]
        return [RawHit(r[0], r[1], None, r[2], r[3]) for r in rows], count

    def cases(
        self, query: ParsedQuery, scope: Scope | None, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        match = query.fts5()
        if not match:
            return [], 0
        in_scope_case = f"AND f.rowid IN ({scope.sql})" if scope else ""
        in_scope_event = f"AND e.case_id IN ({scope.sql})" if scope else ""
        public = "AND e.public" if public_only else ""
        scope_params = list(scope.params) if scope else []
        hits = (
            "SELECT f.rowid AS case_id, -bm25(search_case_fts, 4.0, 1.0) AS score, "
            "NULL AS event_id FROM search_case_fts f "
            f"WHERE search_case_fts MATCH %s {in_scope_case} "
            "UNION ALL SELECT e.case_id, -bm25(search_event_fts) * 0.8, e.id "
            "FROM search_event_fts f JOIN cases_caseevent e ON e.id = f.rowid "
            f"WHERE search_event_fts MATCH %s {public} {in_scope_event}"
        )
        params = [match, *scope_params, match, *scope_params]
        # SQLite's bare columns with MAX() come from the row holding the maximum.
        rows = fetch(
            f"SELECT case_id, MAX(score), event_id FROM ({hits}) GROUP BY case_id "
            "ORDER BY 2 DESC, case_id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        count = fetch(
            f"SELECT count(*) FROM (SELECT DISTINCT case_id FROM ({hits}) LIMIT %s)",
            [*params, COUNT_CAP + 1],
        )[0][0]
        found = [RawHit(r[0], r[1], r[2]) for r in rows]
        self._case_snippets(match, found)
        return found, count

    def _case_snippets(self, match: str, hits: list[RawHit]) -> None:
        ids = [h.id for h in hits]
        if not ids:
            return
        marks = ",".join(["%s"] * len(ids))
        subjects = {
            r[0]: (r[1], r[2])
            for r in fetch(
                f"SELECT rowid, highlight(search_case_fts, 0, {S}, {E}), "
                f"snippet(search_case_fts, 1, {S}, {E}, '…', 24) FROM search_case_fts "
                f"WHERE search_case_fts MATCH %s AND rowid IN ({marks})",
                [match, *ids],
            )
        }
        event_ids = [h.event_id for h in hits if h.event_id]
        events: dict[int, str] = {}
        if event_ids:
            marks = ",".join(["%s"] * len(event_ids))
            events = dict(
                fetch(
                    f"SELECT rowid, snippet(search_event_fts, 0, {S}, {E}, '…', 24) "
                    f"FROM search_event_fts WHERE search_event_fts MATCH %s "
                    f"AND rowid IN ({marks})",
                    [match, *event_ids],
                )
            )
        for hit in hits:
            title, snippet = subjects.get(hit.id, ("", ""))
            hit.title = title
            hit.snippet = events.get(hit.event_id, "") if hit.event_id else snippet

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]:
        if not words:
            return []
        terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
        match = " OR ".join(terms)
        rows = fetch(
            f"SELECT rowid, {_ARTICLE_RANK}, highlight(search_article_fts, 0, {S}, {E}) "
            f"FROM search_article_fts WHERE search_article_fts MATCH %s "
            f"AND rowid IN ({scope.sql}) ORDER BY 2 DESC, rowid LIMIT %s",
            [match, *scope.params, limit],
        )
        return [RawHit(r[0], r[1], None, r[2]) for r in rows]
