"""One search at scale (issue 12 item 11): p50/p95 of search and suggestions through HTTP.

Needs a PostgreSQL database loaded by ``load_cases.py`` (1,000,000 cases, ~3.5M events).
Adds ``--articles`` published articles and a few rare words to some case timelines (a
reply by the bench engineer, through the real event trigger), then starts ``casedesk
serve`` on loopback (as ``http_bench.py`` does: gunicorn, production settings), signs in
through ``/login/`` and times, one request at a time after a warm-up:

* the portal search of the largest organisation's contact who sees colleagues' cases
  (~3% of all cases) and of a contact who sees only their own, and the console search of
  an engineer (every case, internal notes too), for one- and two-word queries with
  common and rare terms and a query that matches nothing;
* the open-case suggestions (``POST /kb/suggest/``) for a prefix, two words and a subject.

    export CASEDESK_DATABASE_URL=postgres://…/casedesk_bench
    python bench/bench_search.py --articles 50000 --requests 100

Targets: search p95 < 50 ms, suggestions p95 < 30 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import (  # sibling scripts, not a package
    Client,
    Request,
    _cpu_seconds,
    run,
    session_login,
    start_server,
    stop_server,
    wait_quiet,
    wait_ready,
)
from load_cases import CONTACT_EMAIL, ENGINEER_EMAIL, OWN_CONTACT_EMAIL

SEARCH_TARGET_MS = 50.0
SUGGEST_TARGET_MS = 30.0
WORDS = (  # noqa: SIM905 — a paragraph of words reads better than a list
    "dialer campaign pacing agent login certificate gateway trunk codec latency jitter "
    "voicemail greeting mailbox transcription recording license upgrade patch rollback "
    "database pool timeout memory cpu disk cluster failover heartbeat quorum ldap sso "
    "queue skill routing announcement prompt grammar speech recognition synthesis"
).split()
RARE = "zeppelin"  # planted in RARE_CASES timelines; nowhere else
RARE_CASES = 40
QUERIES = {
    "one common word": "dialer",
    "two common words": "maintenance window",
    "one rare word": RARE,
    "two words, one rare": f"{RARE} firmware",
    "articles-only words": "heartbeat quorum",
    "no match": "xylophonezzz",
}
SUBJECTS = ("dia", "gateway tim", "certificate renewal fails")


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


def _documents(conn) -> None:  # type: ignore[no-untyped-def]
    """Cases loaded by COPY after migrating have no document yet (the loader fills them
    since issue 12; older loads are filled here, the way the migration does)."""
    empty = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM cases_case WHERE search_vector IS NULL LIMIT 1) x"
    ).fetchone()[0]
    if not empty:
        return
    import importlib

    migration = importlib.import_module(
        "casedesk.search.migrations.0005_automated_text_not_indexed"
    )
    t0 = time.monotonic()
    conn.execute(migration.BACKFILL)
    conn.execute("VACUUM (ANALYZE) cases_case")
    print(f"case documents filled ({time.monotonic() - t0:.0f} s)", flush=True)


def _plant_rare(conn) -> None:  # type: ignore[no-untyped-def]
    """A rare word in a few timelines, added like a reply (the event trigger indexes it)."""
    done = conn.execute(
        "SELECT count(*) FROM cases_caseevent WHERE kind = 'reply' AND body LIKE %s",
        [f"%{RARE}%"],
    ).fetchone()[0]
    if done:
        return
    org, engineer = conn.execute(
        "SELECT u.organisation_id, e.id FROM accounts_user u, accounts_user e "
        "WHERE u.email = %s AND e.email = %s",
        [CONTACT_EMAIL, ENGINEER_EMAIL],
    ).fetchone()
    # Half in the bench contact's organisation, half anywhere.
    conn.execute(
        "INSERT INTO cases_caseevent (case_id, at, actor_id, kind, public, body, data) "
        "SELECT id, now(), %s, 'reply', true, "
        "'The " + RARE + " firmware on the gateway needs the hotfix.', '{}' FROM ("
        "(SELECT id FROM cases_case WHERE organisation_id = %s ORDER BY md5(id::text) LIMIT %s) "
        "UNION (SELECT id FROM cases_case ORDER BY md5(id::text) LIMIT %s)) AS picked",
        [engineer, org, RARE_CASES // 2, RARE_CASES // 2],
    )


def _pg_pids(dsn: str) -> set[int]:
    """The backends of this database (the server's connections; PostgreSQL is shared)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return {r[0] for r in rows}


def _backend_cpu(pids: set[int]) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _measure(client, reqs, dsn: str, server_pgid: int):  # type: ignore[no-untyped-def]
    """Latencies, and the CPU milliseconds per request of the server and its backends
    (backends alive through the whole phase; one that closes midway is left out, so the
    PostgreSQL figure is a lower bound)."""
    run(client, "warm-up", reqs[:5], 1)
    pids = _pg_pids(dsn)
    server0 = _cpu_seconds(lambda pid, comm, pgid: pgid == server_pgid)
    pg0 = _backend_cpu(pids)
    result = run(client, "timed", reqs, 1)
    server = (_cpu_seconds(lambda pid, comm, pgid: pgid == server_pgid) - server0) * 1000
    pg1 = _backend_cpu(pids)
    pg = sum(pg1[p] - pg0[p] for p in pg0.keys() & pg1.keys()) * 1000
    n = max(len(reqs), 1)
    return result, server / n, pg / n


def _row(who: str, what: str, measured, got: str) -> str:  # type: ignore[no-untyped-def]
    result, server, pg = measured
    return (
        f"| {who} | {what} | {got} | {result.pct(0.5):.1f} | {result.pct(0.95):.1f} | "
        f"{server:.1f} | {pg:.1f} | {result.errors or ''} |"
    )


def _page_got(client, req) -> str:  # type: ignore[no-untyped-def]
    """What the reader gets: hits on the page and the per-kind counts of the tabs, so a
    fast row can never be a search that quietly found nothing."""
    status, _, body = client.send(req)
    page = body.decode("utf-8", "replace")
    if status != 200:
        return f"HTTP {status}"
    shown = page.count('<li class="search-hit ')
    tabs = re.findall(r'<span class="tab">([^<]+?) <strong>([^<]+)</strong>', page)
    counts = ", ".join(f"{label.lower()} {n}" for label, n in tabs if n != "0") or "none"
    return f"{shown} shown ({counts})"


def _suggest_got(client, req) -> str:  # type: ignore[no-untyped-def]
    status, _, body = client.send(req)
    if status != 200:
        return f"HTTP {status}"
    return f"{len(json.loads(body)['articles'])} articles"


def _csrf(cookie: str) -> str:
    match = re.search(r"csrftoken=([^;]+)", cookie)
    return match.group(1) if match else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100, help="per query and user")
    parser.add_argument("--port", type=int, default=8812)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quiet-load", type=float, default=3.0)
    parser.add_argument("--quiet-wait", type=int, default=120)
    args = parser.parse_args()
    dsn = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the loaded PostgreSQL benchmark database.")
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        _documents(conn)
        _articles(conn, args.articles)
        _plant_rare(conn)
        cases, events, arts = conn.execute(
            "SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_caseevent), "
            "(SELECT count(*) FROM knowledge_article)"
        ).fetchone()
    print(f"data: {cases:,} cases, {events:,} events, {arts:,} articles", flush=True)
    load_before = wait_quiet(args.quiet_load, args.quiet_wait)
    client = Client(args.port)
    tmp = Path(tempfile.mkdtemp(prefix="casedesk-search-bench-"))
    log = tmp / "serve.log"
    proc = start_server(args.port, args.workers, log)
    lines = []
    try:
        wait_ready(client, proc, log)
        users = [
            ("contact, whole organisation", CONTACT_EMAIL, "/search/"),
            ("contact, own cases", OWN_CONTACT_EMAIL, "/search/"),
            ("engineer", ENGINEER_EMAIL, "/console/search/"),
        ]
        cookies = {email: session_login(client, email) for _, email, _ in users}
        n = args.requests
        for who, email, path in users:
            for label, q in QUERIES.items():
                url = f"{path}?{urllib.parse.urlencode({'q': q})}"
                reqs = [Request("GET", url, {"Cookie": cookies[email]})] * n
                got = _page_got(client, reqs[0])
                line = _row(who, f"{label}: `{q}`", _measure(client, reqs, dsn, proc.pid), got)
                lines.append(line)
                print(line, flush=True)
        cookie = cookies[CONTACT_EMAIL]
        headers = {
            "Cookie": cookie,
            "X-CSRFToken": _csrf(cookie),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{args.port}/cases/new/",
        }
        for text in SUBJECTS:
            body = urllib.parse.urlencode({"subject": text, "token": "benchsuggest"}).encode()
            reqs = [Request("POST", "/kb/suggest/", headers, body)] * n
            got = _suggest_got(client, reqs[0])
            line = _row(
                "contact, suggestions",
                f"subject `{text}`",
                _measure(client, reqs, dsn, proc.pid),
                got,
            )
            lines.append(line)
            print(line, flush=True)
    finally:
        stop_server(proc)
    load = os.getloadavg()
    print()
    print(
        "| who | query | the reader got | p50 ms | p95 ms | server CPU ms/req "
        "| PostgreSQL CPU ms/req | errors |\n|---|---|---|---:|---:|---:|---:|---|"
    )
    print("\n".join(lines))
    print(
        f"\nLoad average before {load_before:.2f}; after {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f}. Targets: search p95 < {SEARCH_TARGET_MS:.0f} ms, suggestions p95 < "
        f"{SUGGEST_TARGET_MS:.0f} ms. Server log: {log}"
    )


if __name__ == "__main__":
    sys.exit(main())
