"""PostgreSQL full-text search: tsvector columns, GIN indexes, websearch_to_tsquery, ts_headline.

Each row is indexed with its own language's configuration (``casedesk_ts_config``), so the
query is parsed once per configuration and each row is tested against its own — never
across languages, where a negation in one stemmer could let a row through another. The
four (configuration, query) pairs are a small VALUES list joined to the table; each pair
is one GIN bitmap scan. Ranking is ``ts_rank`` (title weight A, tags B, body C);
snippets are ``ts_headline`` over the page's rows only, since it re-parses the text.
"""

# ruff: noqa: S608 — SQL is assembled from fixed fragments and the scope subqueries the ORM
# compiled; every value (query text, keys, limits) is a bound parameter.

from __future__ import annotations

from .backends import COUNT_CAP, RawHit, Scope, fetch
from .query import ParsedQuery

CONFIGS = ("english", "spanish", "portuguese", "simple")
_HEADLINE = (
    "'StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, MaxFragments=2, "
    'FragmentDelimiter=" … "\''
)
_TITLE = "'StartSel=\x02, StopSel=\x03, HighlightAll=true'"


def _queries(function: str) -> tuple[str, int]:
    rows = ", ".join(f"('{c}'::regconfig, {function}('{c}'::regconfig, %s))" for c in CONFIGS)
    return f"q(cfg, q) AS (VALUES {rows})", len(CONFIGS)


class PostgresBackend:
    def articles(
        self, query: ParsedQuery, scope: Scope, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        if not query.positive:
            return [], 0
        cte, n = _queries("websearch_to_tsquery")
        text = query.websearch()
        base = (
            f"FROM q JOIN knowledge_article a ON a.search_vector @@ q.q "
            f"AND casedesk_ts_config(a.language) = q.cfg WHERE a.id IN ({scope.sql})"
        )
        params = [*([text] * n), *scope.params]
        rows = fetch(
            f"WITH {cte}, hits AS (SELECT a.id, ts_rank(a.search_vector, q.q) AS score, "
            f"q.cfg, q.q, a.title, a.body_text {base} "
            "ORDER BY score DESC, a.id LIMIT %s OFFSET %s) "
            f"SELECT id, score, ts_headline(cfg, title, q, {_TITLE}), "
            f"ts_headline(cfg, body_text, q, {_HEADLINE}) FROM hits ORDER BY score DESC, id",
            [*params, limit, offset],
        )
        count = fetch(
            f"WITH {cte} SELECT count(*) FROM (SELECT 1 {base} LIMIT %s) AS c",
            [*params, COUNT_CAP + 1],
        )[0][0]
        return [RawHit(r[0], r[1], None, r[2], r[3]) for r in rows], count

    def cases(
        self, query: ParsedQuery, scope: Scope | None, public_only: bool, limit: int, offset: int
    ) -> tuple[list[RawHit], int]:
        if not query.positive:
            return [], 0
        cte, n = _queries("websearch_to_tsquery")
        text = query.websearch()
        case_scope = f"AND c.id IN ({scope.sql})" if scope else ""
        public = "AND e.public" if public_only else ""
        scope_params = list(scope.params) if scope else []
        hits = (
            "SELECT c.id AS case_id, ts_rank(c.search_vector, q.q) AS score, "
            "NULL::bigint AS event_id FROM q JOIN cases_case c ON c.search_vector @@ q.q "
            f"AND casedesk_ts_config(c.language) = q.cfg {case_scope} "
            "UNION ALL SELECT e.case_id, ts_rank(e.search_vector, q.q) * 0.8, e.id "
            "FROM q JOIN cases_caseevent e ON e.search_vector @@ q.q "
            "JOIN cases_case c ON c.id = e.case_id AND casedesk_ts_config(c.language) = q.cfg "
            f"{public} {case_scope}"
        )
        params = [*([text] * n), *scope_params, *scope_params]
        rows = fetch(
            f"WITH {cte}, hits AS ({hits}), best AS (SELECT DISTINCT ON (case_id) case_id, "
            "score, event_id FROM hits ORDER BY case_id, score DESC, event_id) "
            "SELECT case_id, score, event_id FROM best "
            "ORDER BY score DESC, case_id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        count = fetch(
            f"WITH {cte}, hits AS ({hits}) "
            "SELECT count(*) FROM (SELECT DISTINCT case_id FROM hits LIMIT %s) AS c",
            [*params, COUNT_CAP + 1],
        )[0][0]
        found = [RawHit(r[0], r[1], r[2]) for r in rows]
        self._case_snippets(text, found)
        return found, count

    def _case_snippets(self, text: str, hits: list[RawHit]) -> None:
        if not hits:
            return
        cte, n = _queries("websearch_to_tsquery")
        ids = [h.id for h in hits]
        rows = fetch(
            f"WITH {cte} SELECT c.id, ts_headline(q.cfg, c.subject, q.q, {_TITLE}), "
            f"ts_headline(q.cfg, c.description, q.q, {_HEADLINE}) FROM cases_case c "
            "JOIN q ON q.cfg = casedesk_ts_config(c.language) WHERE c.id = ANY(%s)",
            [*([text] * n), ids],
        )
        subjects = {r[0]: (r[1], r[2]) for r in rows}
        event_ids = [h.event_id for h in hits if h.event_id]
        events: dict[int, str] = {}
        if event_ids:
            events = dict(
                fetch(
                    f"WITH {cte} SELECT e.id, ts_headline(q.cfg, e.body, q.q, {_HEADLINE}) "
                    "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
                    "JOIN q ON q.cfg = casedesk_ts_config(c.language) WHERE e.id = ANY(%s)",
                    [*([text] * n), event_ids],
                )
            )
        for hit in hits:
            title, snippet = subjects.get(hit.id, ("", ""))
            # A subject only highlighted where it matched; otherwise shown plain by the caller.
            hit.title = title if "\x02" in title else ""
            hit.snippet = events.get(hit.event_id, "") if hit.event_id else snippet

    def suggest(self, words: list[str], scope: Scope, limit: int) -> list[RawHit]:
        if not words:
            return []
        # Words are \w+ only, so they cannot be tsquery operators; the last is a prefix.
        expression = " | ".join([*words[:-1], f"{words[-1]}:*"])
        cte, n = _queries("to_tsquery")
        rows = fetch(
            f"WITH {cte}, hits AS (SELECT a.id, a.title, q.cfg, q.q, "
            "ts_rank(a.search_vector, q.q) AS score FROM q JOIN knowledge_article a "
            "ON a.search_vector @@ q.q AND casedesk_ts_config(a.language) = q.cfg "
            f"WHERE a.id IN ({scope.sql}) ORDER BY score DESC, a.id LIMIT %s) "
            f"SELECT id, score, ts_headline(cfg, title, q, {_TITLE}) FROM hits "
            "ORDER BY score DESC, id",
            [*([expression] * n), *scope.params, limit],
        )
        return [RawHit(r[0], r[1], None, r[2]) for r in rows]
