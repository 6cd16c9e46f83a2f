"""HTTP latency (p50/p95) and case-opening throughput of ``casedesk serve`` on loopback.

Run after ``bench/load_cases.py`` (see bench/README.md)::

    export CASEDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench
    .venv/bin/python bench/http_bench.py [--workers 4] [--requests 300] [--open-requests 3000]

It starts ``casedesk serve`` (gunicorn, production settings: a random 64-character
CASEDESK_SECRET_KEY, CASEDESK_DEBUG unset) on 127.0.0.1, signs in the bench users the
loader created (session login through /login/ for the pages, bearer tokens from
POST /api/v1/auth/token for the API), then:

* sends ``--requests`` GETs per endpoint from ``--threads`` client threads (after a short
  warm-up) and reports p50/p95/max; every response must be 200;
* opens ``--open-requests`` cases through ``POST /api/v1/cases`` from ``--open-threads``
  threads, ``--open-rounds`` times, and reports cases/s over the wall time of each round
  (and their median), with the CPU time each open cost the server (gunicorn master and
  workers), PostgreSQL (the ``postgres`` backends of our database) and this client, read from /proc;
  those cases are deleted afterwards and the tables vacuumed (``--keep-opened`` keeps
  them). The openings come from ``--openers`` contacts of different organisations, on
  their own contracts and products, with varied priorities, subjects and descriptions;
* with ``--outbox-workers N`` (default 2), N ``casedesk worker`` processes run beside the
  server and send the outbox to an SMTP sink (its own process, loopback; ``--sink``: the
  lean ``bench/smtp_sink.py`` by default, or ``aiosmtpd``) while the
  cases are opened; each round then also reports *cases opened with their mail delivered
  to the SMTP sink per second* (the round's cases over the time until the last of their
  mails was accepted by the sink), the same for the customer's "case opened" mail alone,
  messages per case (outbox rows: one SMTP transaction each) and recipients per case (a
  new case's notice is one message to all the engineers of the centre on shift, issue 17
  item 4), and the CPU of the workers and the sink.

Everything is bounded: a fixed number of requests, a 30 s timeout per request, and the
server is stopped at the end (or on Ctrl+C). Nothing leaves the loopback interface.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_cases import (  # the loader is a sibling script, not a package
    BENCH_PASSWORD,
    CONTACT_EMAIL,
    ENGINEER_EMAIL,
    OWN_CONTACT_EMAIL,
)
from procstat import cpu_seconds, tree_cpu_seconds

HOST = "127.0.0.1"
OPEN_MARK = "[http-bench]"
LIST_TARGET_MS = 50.0
OPEN_TARGET_PER_S = 300.0


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Result:
    name: str
    latencies_ms: list[float]
    errors: dict[int, int]
    wall_s: float

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(q * (len(data) - 1)))]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


class Client:
    """Plain http.client on loopback; one connection per request (gunicorn sync closes).

    ``status()`` is the load generator: the request's bytes are built once and only the
    status line is parsed, so the client's own CPU per request stays small beside the
    server's (it runs on the same two cores; http.client spent ~0.6 ms per request).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._wire: dict[int, bytes] = {}

    def _bytes(self, req: Request) -> bytes:
        wire = self._wire.get(id(req))
        if wire is None:
            lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
            lines += [f"{k}: {v}" for k, v in req.headers.items()]
            lines += [f"Content-Length: {len(req.body or b'')}", "Connection: close", "", ""]
            wire = "\r\n".join(lines).encode("latin-1") + (req.body or b"")
            self._wire[id(req)] = wire
        return wire

    def status(self, req: Request) -> int:
        """Send ``req`` and read the whole response; its status code (0 if unparseable)."""
        with socket.create_connection((HOST, self.port), timeout=30) as sock:
            sock.sendall(self._bytes(req))
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head = b"".join(chunks[:1])[:16].split(b" ")
        return int(head[1]) if len(head) > 1 and head[1].isdigit() else 0

    def send(self, req: Request) -> tuple[int, dict[str, list[str]], bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(req.method, req.path, body=req.body, headers=req.headers)
            resp = conn.getresponse()
            body = resp.read()
            headers: dict[str, list[str]] = {}
            for key, value in resp.getheaders():
                headers.setdefault(key.lower(), []).append(value)
            return resp.status, headers, body
        finally:
            conn.close()


def _cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    jar = {}
    for line in headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def session_login(client: Client, email: str) -> str:
    """Sign in through the login page like a browser; returns the Cookie header to send."""
    status, headers, body = client.send(Request("GET", "/login/"))
    if status != 200:
        raise SystemExit(f"GET /login/ → {status}")
    jar = _cookies(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not match or "csrftoken" not in jar:
        raise SystemExit("The login page has no CSRF token.")
    form = urllib.parse.urlencode(
        {
            "username": email,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": match.group(1).decode(),
        }
    ).encode()
    status, headers, _ = client.send(
        Request(
            "POST",
            "/login/",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={jar['csrftoken']}",
            },
            form,
        )
    )
    jar.update(_cookies(headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"Session login for {email} failed ({status}).")
    return f"csrftoken={jar['csrftoken']}; sessionid={jar['sessionid']}"


def bearer(client: Client, email: str) -> dict[str, str]:
    body = json.dumps({"email": email, "password": BENCH_PASSWORD, "name": "http-bench"})
    status, _, data = client.send(
        Request("POST", "/api/v1/auth/token", {"Content-Type": "application/json"}, body.encode())
    )
    if status != 201:
        raise SystemExit(f"POST /api/v1/auth/token for {email} → {status}: {data[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(data)['token']}"}


def run(
    client: Client, name: str, requests: Sequence[Request], threads: int, expect: int = 200
) -> Result:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    lock = threading.Lock()

    def one(req: Request) -> None:
        t0 = time.perf_counter()
        try:
            status = client.status(req)
        except OSError:
            status = 0
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            if status == expect:
                latencies.append(elapsed)
            else:
                errors[status] = errors.get(status, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, requests))
    return Result(name, latencies, errors, time.perf_counter() - started)


def _cpu_seconds(match: object) -> float:
    """User + system CPU seconds of the live processes ``match(pid, comm, pgid)`` accepts."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if match(int(entry), comm, int(fields[2])):  # type: ignore[operator]
            total += int(fields[11]) + int(fields[12])
    return total / tick


@dataclass
class CpuSplit:
    """CPU milliseconds per request by who spent them, over one measured phase."""

    server_ms: float
    postgres_ms: float
    client_ms: float

    @property
    def total_ms(self) -> float:
        return self.server_ms + self.postgres_ms + self.client_ms


_OUR_BACKENDS: set[int] = set()


def our_backends(dsn: str) -> None:
    """Remember the PostgreSQL backends serving our database (the machine is shared: other
    databases' backends are not ours to count); backends seen once stay counted."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    _OUR_BACKENDS.update(pid for (pid,) in rows)


def cpu_snapshot(server_pgid: int, dsn: str | None = None) -> tuple[float, float, float]:
    if dsn:
        our_backends(dsn)
        postgres = sum(cpu_seconds(pid) for pid in _OUR_BACKENDS)
    else:
        postgres = _cpu_seconds(lambda pid, comm, pgid: comm == "postgres")
    return (
        _cpu_seconds(lambda pid, comm, pgid: pgid == server_pgid),
        postgres,
        time.process_time(),
    )


def cpu_split(
    before: tuple[float, float, float], after: tuple[float, float, float], n: int
) -> CpuSplit:
    """Per request; backends that exit mid-phase are lost, so PostgreSQL is a lower bound."""
    server, postgres, client = (
        1000 * (a - b) / max(n, 1) for a, b in zip(after, before, strict=True)
    )
    return CpuSplit(server, postgres, client)


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("CASEDESK_DEBUG", None)
    env["CASEDESK_SECRET_KEY"] = secrets.token_urlsafe(48)  # 64 characters
    env["CASEDESK_DATA_DIR"] = str(log.parent)
    env.setdefault("CASEDESK_LOG_LEVEL", "WARNING")
    cmd = [sys.executable, "-m", "casedesk.cli", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    out = log.open("wb")
    # A fixed argv running our own CLI with this interpreter; no shell, no outside input.
    return subprocess.Popen(  # noqa: S603
        cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


@dataclass
class Outbox:
    """The sink process and the ``casedesk worker`` processes sending to it."""

    sink: Any
    stop: Any
    result: Any
    workers: list[subprocess.Popen[bytes]]

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of the workers and of the sink."""
        return (
            sum(tree_cpu_seconds(w.pid) for w in self.workers),
            cpu_seconds(self.sink.pid),
        )


def start_outbox(count: int, log: Path, sink_kind: str = "lean") -> Outbox:
    from smtp_sink import run_sink_process

    ctx = multiprocessing.get_context("spawn")
    port_queue, stop, result = ctx.Queue(), ctx.Event(), ctx.Queue()
    sink = ctx.Process(
        target=run_sink_process, args=(sink_kind, port_queue, stop, result), daemon=True
    )
    sink.start()
    port = port_queue.get(timeout=60)
    env = dict(os.environ)
    env.pop("CASEDESK_DEBUG", None)
    env.update(
        CASEDESK_SECRET_KEY=secrets.token_urlsafe(48),
        CASEDESK_DATA_DIR=str(log.parent),
        CASEDESK_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CASEDESK_SMTP_HOST=HOST,
        CASEDESK_SMTP_PORT=str(port),
        CASEDESK_LOG_LEVEL=env.get("CASEDESK_LOG_LEVEL", "WARNING"),
    )
    cmd = [sys.executable, "-m", "casedesk.cli", "worker", "--idle", "0.2"]
    workers = [
        subprocess.Popen(  # noqa: S603 — our own CLI, fixed arguments
            cmd,
            env=env,
            stdout=log.with_name(f"worker{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for i in range(count)
    ]
    return Outbox(sink, stop, result, workers)


def stop_outbox(outbox: Outbox) -> tuple[int, int, int] | None:
    """Stop the workers and the sink: what the sink received (messages, distinct
    Message-IDs, recipients), or None if it did not say."""
    for worker in outbox.workers:
        stop_server(worker)
    outbox.stop.set()
    try:
        received = outbox.result.get(timeout=60)
    except Exception:  # queue.Empty: the sink died; the caller says so
        received = None
    outbox.sink.join(timeout=30)
    return received


@dataclass
class Delivery:
    """When a round's mail reached the sink (seconds after the round began)."""

    mails: int  # messages: outbox rows, one SMTP transaction each
    recipients: int  # their envelope recipients (to + bcc)
    opened_mails: int
    failed: int
    all_s: float | None
    opened_s: float | None


def wait_delivered(dsn: str, after_case: int, began: float, patience: float) -> Delivery:
    """Poll until no mail of the cases above ``after_case`` is pending or sending."""
    import psycopg

    opened_s = all_s = None
    sql = (
        "SELECT count(*), "
        'coalesce(sum(jsonb_array_length("to") + jsonb_array_length(bcc)), 0), '
        "count(*) FILTER (WHERE kind = 'opened'), "
        "count(*) FILTER (WHERE state IN ('pending', 'sending')), "
        "count(*) FILTER (WHERE kind = 'opened' AND state IN ('pending', 'sending')), "
        "count(*) FILTER (WHERE state = 'failed') "
        "FROM notifications_outboundmessage WHERE case_id > %s"
    )
    deadline = time.monotonic() + patience
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            mails, recipients, opened, waiting, opened_waiting, failed = conn.execute(
                sql, [after_case]
            ).fetchone()
            now = time.perf_counter() - began
            if opened_s is None and not opened_waiting:
                opened_s = now
            if not waiting:
                all_s = now
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
    return Delivery(mails, recipients, opened, failed, all_s, opened_s)


def last_case_id(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM cases_case").fetchone()[0]


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_ready(client: Client, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"casedesk serve exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            if client.send(Request("GET", "/login/"))[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("casedesk serve did not answer within 60 s")


def wait_quiet(threshold: float, max_wait: int) -> float:
    """Other work on the machine skews every number; wait (bounded) until it is quiet."""
    deadline = time.monotonic() + max_wait
    load = os.getloadavg()[0]
    while load > threshold and time.monotonic() < deadline:
        print(f"load average {load:.2f} > {threshold}; waiting for a quiet machine", flush=True)
        time.sleep(20)
        load = os.getloadavg()[0]
    return load


@dataclass
class Fixture:
    """What the requests refer to, read straight from the benchmark database."""

    case_numbers: list[str]
    open_body: dict[str, object]
    total_cases: int
    org_cases: int
    openers: list[tuple[str, dict[str, object]]] = field(default_factory=list)


OPENERS_SQL = """
SELECT DISTINCT ON (u.organisation_id) u.email, c.id, cp.product_id, v.id, p.id
FROM accounts_user u
JOIN accounts_contract c ON c.organisation_id = u.organisation_id
JOIN accounts_contract_products cp ON cp.contract_id = c.id
JOIN catalog_majorversion v ON v.product_id = cp.product_id
JOIN catalog_patch p ON p.major_version_id = v.id
WHERE u.role = 'contact' AND u.is_active AND c.paid_through >= current_date
  AND u.organisation_id %% 7 = 3
ORDER BY u.organisation_id, u.id, c.id, cp.product_id, v.id, p.id
LIMIT %s
"""
SUBJECTS = (
    "Calls drop after transfer to the overflow queue",
    "Dialler stops after ten calls",
    "Voicemail greeting garbled after upgrade",
    "IVR menu skips option 3 — Überlauf-Warteschlange",
    "Reporting export times out for > 100,000 rows",
    "Agents cannot log in after password change",
)
DESCRIPTIONS = (
    "Since this morning transferred calls drop after 30 seconds. Recent changes: none.",
    "Steps: 1. start the outbound campaign; 2. wait ten calls; 3. the dialler stops.\n"
    "Logs attached to the next update. Happens on both nodes.\n" * 3,
    "Après la mise à jour 4.2, le message d'accueil est déformé. Grüße, Zoë.",
    "Short: broken.",
)
PRIORITIES = ("low", "medium", "high", "medium", "low")


def fixture(dsn: str, sample: int, openers_wanted: int = 24) -> Fixture:
    import psycopg

    with psycopg.connect(dsn) as conn:
        org = conn.execute(
            "SELECT organisation_id FROM accounts_user WHERE email = %s", [CONTACT_EMAIL]
        ).fetchone()
        if org is None:
            raise SystemExit("No bench users: run bench/load_cases.py first.")
        org_id = org[0]
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM cases_case TABLESAMPLE SYSTEM (5) REPEATABLE (7) "
                "WHERE organisation_id = %s LIMIT %s",
                [org_id, sample],
            )
        ]
        contract, product, version, patch = conn.execute(
            "SELECT c.id, cp.product_id, v.id, p.id FROM accounts_contract c "
            "JOIN accounts_contract_products cp ON cp.contract_id = c.id "
            "JOIN catalog_majorversion v ON v.product_id = cp.product_id "
            "JOIN catalog_patch p ON p.major_version_id = v.id "
            "WHERE c.organisation_id = %s AND c.paid_through >= current_date "
            "ORDER BY c.id, cp.product_id, v.id, p.id LIMIT 1",
            [org_id],
        ).fetchone()
        total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        org_cases = conn.execute(
            "SELECT count(*) FROM cases_case WHERE organisation_id = %s", [org_id]
        ).fetchone()[0]
        openers = [
            (
                email,
                {
                    "contract_id": contract,
                    "product_id": product,
                    "major_version_id": version,
                    "patch_id": patch,
                },
            )
            for email, contract, product, version, patch in conn.execute(
                OPENERS_SQL, [openers_wanted]
            )
        ]
    body = {
        "contract_id": contract,
        "product_id": product,
        "major_version_id": version,
        "patch_id": patch,
        "priority": "medium",
        "subject": f"{OPEN_MARK} Calls drop after transfer to the overflow queue",
        "description": "Since this morning transferred calls drop after 30 seconds. "
        "Recent changes: none. Load: 40 agents.",
        "business_impact": "About 40 agents affected.",
    }
    return Fixture([f"CS-{i:06d}" for i in ids], body, total, org_cases, openers)


def opening_requests(
    tokens: list[tuple[dict[str, str], dict[str, object]]], n: int, round_no: int
) -> list[Request]:
    """``n`` openings spread over the openers, each with its own subject and text."""
    reqs = []
    for i in range(n):
        headers, where = tokens[i % len(tokens)]
        body = {
            **where,
            "priority": PRIORITIES[i % len(PRIORITIES)],
            "subject": f"{OPEN_MARK} r{round_no} {SUBJECTS[i % len(SUBJECTS)]} ({i})",
            "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
            "business_impact": f"{1 + i % 40} agents affected.",
        }
        reqs.append(
            Request(
                "POST",
                "/api/v1/cases",
                {**headers, "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )
        )
    return reqs


def delete_opened(dsn: str) -> int:
    """Remove the cases the throughput run opened (with everything that cascades)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django

    django.setup()
    from casedesk.cases.models import Case

    qs = Case.objects.filter(subject__startswith=OPEN_MARK)
    count = qs.count()
    qs.delete()
    vacuum(dsn)
    return count


def vacuum(dsn: str) -> None:
    """Dead rows left by the last run's deletions would slow the next run's inserts."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("cases_case", "cases_caseevent", "notifications_outboundmessage"):
            conn.execute(f"VACUUM (ANALYZE) {name}")


def report(
    results: list[Result],
    rounds: list[tuple[Result, CpuSplit]],
    fx: Fixture,
    args: argparse.Namespace,
) -> str:
    opening = median_round(rounds)
    lines = [
        f"{fx.total_cases:,} cases; the bench contact's organisation has {fx.org_cases:,}. "
        f"gunicorn {args.workers} workers; {args.requests} requests per endpoint from "
        f"{args.threads} client threads on the same machine.",
        "",
        "| Endpoint | n | p50 ms | p95 ms | max ms | req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in [*results, *([opening] if opening else [])]:
        errs = ", ".join(f"{k or 'conn'}×{v}" for k, v in sorted(r.errors.items())) or "—"
        lines.append(
            f"| {r.name} | {len(r.latencies_ms)} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} | "
            f"{max(r.latencies_ms, default=float('nan')):.1f} | {r.throughput:.0f} | {errs} |"
        )
    if opening:
        verdict = "meets" if opening.throughput >= OPEN_TARGET_PER_S else "misses"
        lines += [
            "",
            f"Case opening, median of {len(rounds)} rounds: {opening.throughput:.0f} cases/s "
            f"({len(opening.latencies_ms)} opened in {opening.wall_s:.1f} s from "
            f"{args.open_threads} threads; {verdict} the {OPEN_TARGET_PER_S:.0f}/s target).",
            "",
            "| Round | cases/s | p50 ms | p95 ms | CPU ms per open: server | PostgreSQL "
            "| client | total |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for i, (r, cpu) in enumerate(rounds, 1):
            lines.append(
                f"| {i} | {r.throughput:.0f} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} | "
                f"{cpu.server_ms:.2f} | {cpu.postgres_ms:.2f} | {cpu.client_ms:.2f} | "
                f"{cpu.total_ms:.2f} |"
            )
    return "\n".join(lines)


def _rate(count: int, seconds: float | None) -> str:
    if not seconds:
        return "—"
    rate = count / seconds
    return f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"


def mail_line(
    n: int, opened: Result, d: Delivery, cpu: CpuSplit, workers_s: float, sink_s: float
) -> str:
    cases = len(opened.latencies_ms)
    every = _rate(cases, d.all_s) if d.all_s else "not all delivered"
    first = _rate(cases, d.opened_s)
    per = 1000 / max(cases, 1)
    n_cases = max(cases, 1)
    return (
        f"round {n} with mail: {cases:,} cases, {d.mails:,} messages ({d.mails / n_cases:.2f} "
        f"per case, {d.failed} failed) to {d.recipients:,} recipients "
        f"({d.recipients / n_cases:.1f} per case): cases opened with all their mail delivered "
        f"{every}/s; with the customer's 'case opened' mail delivered {first}/s; CPU ms per "
        f"case: server {cpu.server_ms:.2f}, workers {workers_s * per:.2f}, sink "
        f"{sink_s * per:.2f}, PostgreSQL {cpu.postgres_ms:.2f}, client {cpu.client_ms:.2f}"
    )


def mail_table(
    rounds: list[tuple[Result, Delivery, CpuSplit, float, float]], args: argparse.Namespace
) -> list[str]:
    lines = [
        f"Opening with the outbox running ({args.outbox_workers} `casedesk worker` processes "
        f"sending to the {args.sink} SMTP sink on loopback):",
        "",
        "| Round | cases | messages per case | recipients per case | opened/s | with all mail "
        "delivered /s | with the 'case opened' mail delivered /s | CPU ms per case: server | "
        "workers | sink | PostgreSQL | client | total |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, (opened, d, cpu, workers_s, sink_s) in enumerate(rounds, 1):
        cases = len(opened.latencies_ms)
        per = 1000 / max(cases, 1)
        total = cpu.server_ms + workers_s * per + sink_s * per + cpu.postgres_ms + cpu.client_ms
        lines.append(
            f"| {i} | {cases:,} | {d.mails / max(cases, 1):.2f} | "
            f"{d.recipients / max(cases, 1):.1f} | {opened.throughput:.0f} | "
            f"{_rate(cases, d.all_s)} | {_rate(cases, d.opened_s)} | {cpu.server_ms:.2f} | "
            f"{workers_s * per:.2f} | {sink_s * per:.2f} | {cpu.postgres_ms:.2f} | "
            f"{cpu.client_ms:.2f} | {total:.2f} |"
        )
    return lines


def median_round(rounds: list[tuple[Result, CpuSplit]]) -> Result | None:
    if not rounds:
        return None
    ordered = sorted((r for r, _ in rounds), key=lambda r: r.throughput)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (2-5)")
    parser.add_argument("--requests", type=int, default=300, help="per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="client threads for latency")
    parser.add_argument("--open-requests", type=int, default=3000)
    parser.add_argument("--open-threads", type=int, default=8)
    parser.add_argument("--open-rounds", type=int, default=3)
    parser.add_argument("--skip-open", action="store_true")
    parser.add_argument(
        "--outbox-workers",
        type=int,
        default=2,
        help="casedesk worker processes sending the outbox to a sink during the openings",
    )
    parser.add_argument(
        "--sink",
        choices=("lean", "aiosmtpd"),
        default="lean",
        help="the SMTP sink: bench/smtp_sink.py (lean, default) or aiosmtpd (for comparison)",
    )
    parser.add_argument("--openers", type=int, default=24, help="contacts opening cases")
    parser.add_argument("--keep-opened", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=0.7,
        help="wait (up to --quiet-wait s) until the 1-minute load average is below this",
    )
    parser.add_argument("--quiet-wait", type=int, default=900)
    args = parser.parse_args()
    if not 2 <= args.workers <= 5:
        parser.error("--workers must be between 2 and 5")
    dsn = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set CASEDESK_DATABASE_URL to the PostgreSQL benchmark database.")
    fx = fixture(dsn, args.requests, args.openers)
    load_before = wait_quiet(args.quiet_load, args.quiet_wait)
    client = Client(args.port)
    tmp = Path(tempfile.mkdtemp(prefix="casedesk-http-bench-"))
    log = tmp / "serve.log"
    proc = start_server(args.port, args.workers, log)
    outbox: Outbox | None = None
    mail_rounds: list[tuple[Result, Delivery, CpuSplit, float, float]] = []
    received: tuple[int, int, int] | None = None
    try:
        wait_ready(client, proc, log)
        eng_cookie = session_login(client, ENGINEER_EMAIL)
        contact_cookie = session_login(client, CONTACT_EMAIL)
        eng_api = bearer(client, ENGINEER_EMAIL)
        contact_api = bearer(client, CONTACT_EMAIL)
        own_api = bearer(client, OWN_CONTACT_EMAIL)
        n = args.requests
        numbers = (fx.case_numbers * (n // max(1, len(fx.case_numbers)) + 1))[:n]
        eng_page = {"Cookie": eng_cookie}
        contact_page = {"Cookie": contact_cookie}
        endpoints: list[tuple[str, list[Request]]] = [
            ("Engineer queue, first page — /console/", [Request("GET", "/console/", eng_page)] * n),
            (
                "Engineer queue — API ?scope=queue",
                [Request("GET", "/api/v1/cases?scope=queue", eng_api)] * n,
            ),
            (
                "Engineer queue, page 40 — /console/?page=40",
                [Request("GET", "/console/?page=40", eng_page)] * n,
            ),
            (
                "Customer list, all closed High — /cases/?scope=all&state=closed&priority=high",
                [Request("GET", "/cases/?scope=all&state=closed&priority=high", contact_page)] * n,
            ),
            (
                "Customer list, all closed High — API",
                [Request("GET", "/api/v1/cases?scope=all&state=closed&priority=high", contact_api)]
                * n,
            ),
            (
                "Customer list, my closed — API (contact without visibility)",
                [Request("GET", "/api/v1/cases?state=closed", own_api)] * n,
            ),
            (
                "Case detail — /cases/CS-xxxxxx/",
                [Request("GET", f"/cases/{num}/", contact_page) for num in numbers],
            ),
            (
                "Case detail — API /api/v1/cases/{number}",
                [Request("GET", f"/api/v1/cases/{num}", contact_api) for num in numbers],
            ),
        ]
        results = []
        for name, reqs in endpoints:
            run(client, name, reqs[:20], args.threads)  # warm-up: caches, connections
            result = run(client, name, reqs, args.threads)
            results.append(result)
            print(
                f"{name}: p50 {result.pct(0.5):.1f} ms, p95 {result.pct(0.95):.1f} ms, "
                f"errors {result.errors or 0}",
                flush=True,
            )
        rounds: list[tuple[Result, CpuSplit]] = []
        if not args.skip_open:
            tokens = [(bearer(client, email), where) for email, where in fx.openers]
            if not tokens:
                raise SystemExit("No contacts with an active contract found for opening.")
            run(client, "warm-up", opening_requests(tokens, 50, 0), args.open_threads, 201)
            if args.outbox_workers:
                outbox = start_outbox(args.outbox_workers, log, args.sink)
            for i in range(args.open_rounds):
                reqs = opening_requests(tokens, args.open_requests, i + 1)
                if outbox is not None:
                    wait_delivered(dsn, 0, time.perf_counter(), 600)  # earlier mail first
                after_case = last_case_id(dsn)
                before = cpu_snapshot(proc.pid, dsn)
                mail_before = outbox.cpu() if outbox else (0.0, 0.0)
                began = time.perf_counter()
                opened = run(
                    client, "Open a case — POST /api/v1/cases", reqs, args.open_threads, 201
                )
                cpu = cpu_split(before, cpu_snapshot(proc.pid, dsn), len(reqs))
                rounds.append((opened, cpu))
                print(
                    f"opening round {i + 1}: {opened.throughput:.0f} cases/s, errors "
                    f"{opened.errors or 0}; CPU ms per open: server {cpu.server_ms:.2f}, "
                    f"PostgreSQL {cpu.postgres_ms:.2f}, client {cpu.client_ms:.2f}",
                    flush=True,
                )
                if outbox is not None:
                    delivery = wait_delivered(dsn, after_case, began, 900)
                    full = cpu_split(before, cpu_snapshot(proc.pid, dsn), len(opened.latencies_ms))
                    workers_s, sink_s = (
                        a - b for a, b in zip(outbox.cpu(), mail_before, strict=True)
                    )
                    mail_rounds.append((opened, delivery, full, workers_s, sink_s))
                    print(mail_line(i + 1, opened, delivery, full, workers_s, sink_s), flush=True)
        opening = median_round(rounds)
    finally:
        stop_server(proc)
        if outbox is not None:
            received = stop_outbox(outbox)
    text = report(results, rounds, fx, args)
    if mail_rounds:
        text += "\n\n" + "\n".join(mail_table(mail_rounds, args))
        if received is None:
            text += "\n\nThe sink did not report what it received."
        else:
            messages, distinct, recipients = received
            once = messages == distinct >= sum(d.mails for _, d, *_ in mail_rounds)
            text += (
                f"\n\nThe {args.sink} sink received {messages:,} messages ({distinct:,} distinct "
                f"Message-IDs, {recipients:,} recipients) in all, the rounds' "
                f"{sum(d.mails for _, d, *_ in mail_rounds):,} among them; exactly once: "
                + ("yes" if once else "NO")
            )
    load = os.getloadavg()
    text += (
        f"\n\nLoad average before the run {load_before:.2f}; after it "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)."
    )
    print()
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    r.name: {
                        "n": len(r.latencies_ms),
                        "p50_ms": r.pct(0.5),
                        "p95_ms": r.pct(0.95),
                        "mean_ms": statistics.fmean(r.latencies_ms) if r.latencies_ms else None,
                        "per_s": r.throughput,
                        "errors": r.errors,
                    }
                    for r in [*results, *([opening] if opening else [])]
                }
                | {
                    f"opening round {i}": {
                        "per_s": r.throughput,
                        "server_cpu_ms": cpu.server_ms,
                        "postgres_cpu_ms": cpu.postgres_ms,
                        "client_cpu_ms": cpu.client_ms,
                    }
                    for i, (r, cpu) in enumerate(rounds, 1)
                },
                indent=2,
            )
        )
    if opening and not args.keep_opened:
        try:
            print(f"deleted {delete_opened(dsn):,} cases opened by the benchmark")
        except Exception as exc:  # the numbers above are already out; say what is left
            print(f"could not delete the opened cases ({exc}); they start with {OPEN_MARK!r}")
    print(f"server log: {log}")


if __name__ == "__main__":
    main()
