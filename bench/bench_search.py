"""One search at scale (issue 12 item 11): p50/p95 of search and suggestions on PostgreSQL.

Needs a database loaded by ``load_cases.py`` (which disables triggers while it COPYs, so this
first fills the case events' ``search_vector`` the way the trigger would, and reports how long
that took). Adds ``--articles`` published articles, then times, through the whole Django
stack (``django.test.Client``: middleware, session, view, template — no socket), the portal
search of a contact, the console search of an engineer, one- and two-word queries with rare
and common terms, and the open-case suggestion endpoint.

    export CASEDESK_DATABASE_URL=postgres://…/casedesk_bench
    python bench/load_cases.py --cases 100000 --reset
    python bench/bench_search.py --articles 5000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

WORDS = (  # noqa: SIM905 — a paragraph of words reads better than a list
    "dialer campaign pacing agent login certificate gateway trunk codec latency jitter "
    "voicemail greeting mailbox transcription recording license upgrade patch rollback "
    "database pool timeout memory cpu disk cluster failover heartbeat quorum ldap sso "
    "queue skill routing announcement prompt grammar speech recognition synthesis"
).split()


def _articles(conn, n: int) -> None:  # type: ignore[no-untyped-def]
    present = conn.execute("SELECT count(*) FROM knowledge_article").fetchone()[0]
    if present >= n:
        return
    author = conn.execute("SELECT id FROM accounts_user WHERE role='engineer' LIMIT 1").fetchone()
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    pick = f"({words})[1 + (abs(hashtext(g::text || %s::text)) %% {len(WORDS)})]"
    t0 = time.monotonic()
    conn.execute(
        "INSERT INTO knowledge_article (kind, title, body, body_html, body_text, language, "
        "visibility, state, tags_text, section, position, author_id, created_at, updated_at, "
        "published_at, revision, helpful_yes, helpful_no, version) "
        f"SELECT 'break_fix', initcap({pick}) || ' ' || {pick} || ' fails after ' || {pick}, "
        f"'', '', 'When the ' || {pick} || ' and the ' || {pick} || ' meet, the ' || {pick} || "
        f"' stops. Restart the ' || {pick} || ' service and check the ' || {pick} || ' log.', "
        "CASE WHEN g %% 10 = 0 THEN 'es' ELSE 'en' END, "
        "CASE WHEN g %% 7 = 0 THEN 'internal' WHEN g %% 2 = 0 THEN 'public' ELSE 'customers' END, "
        f"'published', {pick}, '', 0, %s, now(), now(), now(), 1, 0, 0, 1 "
        "FROM generate_series(%s::int, %s::int) AS g",
        [*"abcdefghi", author[0], present + 1, n],
    )
    conn.execute("ANALYZE knowledge_article")
    print(f"articles: {n - present:,} added ({time.monotonic() - t0:.1f} s)", flush=True)


def _backfill_events(conn) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    done = conn.execute(
        "UPDATE cases_caseevent e SET search_vector = to_tsvector(casedesk_ts_config(c.language),"
        " e.body) FROM cases_case c WHERE c.id = e.case_id AND e.body != '' "
        "AND e.search_vector IS NULL"
    ).rowcount
    if done:
        conn.execute("VACUUM (ANALYZE) cases_caseevent")
        print(f"event vectors: {done:,} filled ({time.monotonic() - t0:.0f} s)", flush=True)


def _time(client, path: str, rounds: int, method: str = "get", **params) -> list[float]:  # type: ignore[no-untyped-def]
    call = getattr(client, method)
    call(path, params)  # warm: plans prepared, caches filled
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        response = call(path, params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def _line(label: str, samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[18]
    return f"  {label:<46} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    dsn = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the loaded PostgreSQL benchmark database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django
    import psycopg

    django.setup()
    from django.test import Client

    from casedesk.accounts.models import User

    with psycopg.connect(dsn, autocommit=True) as conn:
        _backfill_events(conn)
        _articles(conn, args.articles)
        cases, events, arts = conn.execute(
            "SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_caseevent), "
            "(SELECT count(*) FROM knowledge_article)"
        ).fetchone()
        contact_id = conn.execute(
            "SELECT contact_id FROM cases_case GROUP BY contact_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    print(f"data: {cases:,} cases, {events:,} events, {arts:,} articles", flush=True)
    contact = User.objects.get(pk=contact_id)
    engineer = User.objects.filter(role="engineer", is_active=True).first()
    queries = {
        "one common word": "dialer",
        "two common words": "gateway timeout",
        "one rare word": "quorum",
        "two words, one rare": "heartbeat quorum",
        "no match": "xylophonezzz",
    }
    for who, path in ((contact, "/search/"), (engineer, "/console/search/")):
        client = Client()
        client.force_login(who)
        print(f"{path} as {who.role} ({who.email})", flush=True)
        for label, q in queries.items():
            print(_line(f"{label}: {q!r}", _time(client, path, args.rounds, q=q)), flush=True)
    client = Client()
    client.force_login(contact)
    print("/kb/suggest/ as the contact", flush=True)
    for text in ("dia", "gateway tim", "certificate renewal fails"):
        samples = _time(client, "/kb/suggest/", args.rounds, "post", subject=text, token="bench")  # noqa: S106 — a visit token, not a secret
        print(_line(f"subject {text!r}", samples), flush=True)


if __name__ == "__main__":
    sys.exit(main())
