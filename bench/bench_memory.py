"""Memory of ``casedesk serve`` (master + workers) under 10,000 mixed requests, and of
``casedesk demo`` (issue 17 item 5: ≤ 150 MB and ≤ 250 MB, flat after warm-up).

Seeds the demo data into a scratch directory (SQLite, or the empty PostgreSQL database
in ``CASEDESK_DATABASE_URL``), starts ``casedesk serve --workers 2`` and drives a fixed
mix from two client threads: portal and console pages, API lists and details, knowledge
pages and search, static files, a 404, and case openings through the API (one in 20).
Every 500 requests it reads, for the master and each worker, VmRSS and the proportional
set size (Pss, from ``/proc/<pid>/smaps_rollup``: a page shared by k processes counts
1/k in each, so the Pss sum is what the server really costs while the RSS sum counts
shared pages once per process). Then it starts ``casedesk demo`` (one process: web
server, worker thread, SFTP and SMTP receivers) and does the same with 2,000 requests.

    .venv/bin/python bench/bench_memory.py [--requests 10000] [--demo-requests 2000]

Everything it creates is deleted at the end; nothing leaves the loopback interface.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SEED = """
import json, django
django.setup()
from casedesk.core import clock
from casedesk.demo.seed import DEMO_PASSWORD, seed_demo
seed_demo(now=clock.now())
from casedesk.accounts.models import Contract, User
from casedesk.cases.models import Case
from casedesk.catalog.models import MajorVersion
from casedesk.knowledge.models import Article
priya = User.objects.get(email="priya.shah@northwind-partners.example")
cases = [c.number for c in Case.objects.filter(organisation=priya.organisation)[:40]]
today = clock.now().date()
contract = next(
    c for c in Contract.objects.filter(organisation=priya.organisation)
    if c.products.exists() and (c.paid_through is None or c.paid_through >= today)
)
product = contract.products.first()
version = MajorVersion.objects.filter(product=product).first()
articles = list(
    Article.objects.filter(state="published", visibility__in=["public", "customers"])
    .values_list("pk", flat=True)[:20]
)
print(json.dumps({"password": DEMO_PASSWORD, "cases": cases, "articles": articles,
  "open": {"contract_id": contract.pk, "product_id": product.pk,
           "major_version_id": version.pk if version else None}}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def send(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheaders(), data
    finally:
        conn.close()


def cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    jar = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, email: str, password: str) -> str:
    status, headers, body = send(port, "GET", "/login/", {})
    jar = cookies(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        raise SystemExit(f"GET /login/ → {status}")
    form = urllib.parse.urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    form_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={jar['csrftoken']}",
    }
    status, headers, _ = send(port, "POST", "/login/", form_headers, form)
    jar.update(cookies(headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"login of {email} failed ({status})")
    return f"csrftoken={jar['csrftoken']}; sessionid={jar['sessionid']}"


def bearer(port: int, email: str, password: str) -> dict[str, str]:
    body = json.dumps({"email": email, "password": password, "name": "bench-memory"}).encode()
    status, _, data = send(
        port, "POST", "/api/v1/auth/token", {"Content-Type": "application/json"}, body
    )
    if status != 201:
        raise SystemExit(f"token for {email} → {status}: {data[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(data)['token']}"}


def mix(port: int, world: dict) -> list[tuple[str, str, dict[str, str], bytes, int]]:
    """One round of the mix: (method, path, headers, body, expected status)."""
    password = world["password"]
    contact = {"Cookie": login(port, "priya.shah@northwind-partners.example", password)}
    engineer = {"Cookie": login(port, "elena.fischer@support.vocalis.example", password)}
    api = bearer(port, "priya.shah@northwind-partners.example", password)
    opening = {
        **world["open"],
        "priority": "medium",
        "subject": "Calls drop after transfer to the overflow queue",
        "description": "Since this morning transferred calls drop after 30 seconds.",
        "business_impact": "About 40 agents affected.",
    }
    body = json.dumps({k: v for k, v in opening.items() if v is not None}).encode()
    rounds = []
    for i, number in enumerate(world["cases"][:20]):
        article = world["articles"][i % len(world["articles"])] if world["articles"] else 1
        rounds += [
            ("GET", "/cases/", contact, b"", 200),
            ("GET", f"/cases/{number}/", contact, b"", 200),
            ("GET", "/console/", engineer, b"", 200),
            ("GET", f"/console/cases/{number}/", engineer, b"", 200),
            ("GET", "/api/v1/cases?scope=all", api, b"", 200),
            ("GET", f"/api/v1/cases/{number}", api, b"", 200),
            ("GET", "/kb/", contact, b"", 200),
            ("GET", f"/kb/{article}/", contact, b"", 200),
            ("GET", "/search/?q=dialer", contact, b"", 200),
            ("GET", "/service/", contact, b"", 200),
            ("GET", "/console/escalations/", engineer, b"", 200),
            ("GET", "/static/casedesk/app.css", {}, b"", 200),
            ("GET", "/login/", {}, b"", 200),
            ("GET", "/no-such-page/", {}, b"", 404),
            ("GET", "/resources/", contact, b"", 200),
            ("GET", "/profile/", contact, b"", 200),
            ("GET", "/api/v1/openapi.json", {}, b"", 200),
            ("GET", f"/cases/{number}/", contact, b"", 200),
            ("GET", "/cases/?state=closed", contact, b"", 200),
        ]
        rounds.append(
            ("POST", "/api/v1/cases", {**api, "Content-Type": "application/json"}, body, 201)
        )
    return rounds


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, Pss) of one process in KiB."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def sample(root: int, with_children: bool) -> dict:
    pids = [root, *(children(root) if with_children else [])]
    per = {pid: memory_kb(pid) for pid in pids}
    return {
        "master_rss_mb": round(per[root][0] / 1024, 1),
        "workers_rss_mb": [round(per[p][0] / 1024, 1) for p in pids[1:]],
        "total_rss_mb": round(sum(r for r, _ in per.values()) / 1024, 1),
        "total_pss_mb": round(sum(p for _, p in per.values()) / 1024, 1),
    }


def drive(port: int, world: dict, total: int, root: int, with_children: bool) -> list[dict]:
    plan = mix(port, world)
    errors: dict[str, int] = {}
    lock = threading.Lock()

    def one(item: tuple[str, str, dict[str, str], bytes, int]) -> None:
        method, path, headers, body, expect = item
        try:
            status = send(port, method, path, headers, body)[0]
        except OSError:
            status = 0
        if status != expect:
            with lock:
                key = f"{method} {path.split('?')[0]} → {status}"
                errors[key] = errors.get(key, 0) + 1

    samples = [{"requests": 0, **sample(root, with_children)}]
    done = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        while done < total:
            batch = [plan[(done + i) % len(plan)] for i in range(min(500, total - done))]
            list(pool.map(one, batch))
            done += len(batch)
            point = {"requests": done, "seconds": round(time.perf_counter() - started, 1)}
            samples.append({**point, **sample(root, with_children)})
            print(json.dumps(samples[-1]), flush=True)
    if errors:
        print(f"unexpected statuses: {errors}", flush=True)
    return samples


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if send(port, "GET", "/login/", {})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not answer")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--demo-requests", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="casedesk-bench-memory-", dir="/tmp"))
    env = {
        **os.environ,
        "CASEDESK_DATA_DIR": str(scratch / "data"),
        "CASEDESK_SECRET_KEY": secrets.token_urlsafe(48),
        "CASEDESK_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
    }
    env.pop("CASEDESK_DEBUG", None)
    results: dict = {"load_before": os.getloadavg()}
    try:
        run = [sys.executable, "-m", "casedesk.cli"]
        subprocess.run(  # noqa: S603  our own CLI
            [*run, "manage", "migrate", "--noinput"], env=env, check=True, capture_output=True
        )
        seeded = subprocess.run(  # noqa: S603  our own seed script
            [sys.executable, "-c", SEED], env=env, capture_output=True, text=True
        )
        if seeded.returncode:
            raise SystemExit(seeded.stderr[-3000:])
        world = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = free_port()
        serve = subprocess.Popen(  # noqa: S603  our own CLI, fixed arguments
            [*run, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(port, serve)
            print("casedesk serve", flush=True)
            results["serve"] = drive(port, world, args.requests, serve.pid, True)
        finally:
            stop(serve)
        if not args.demo_requests:
            print(json.dumps(results))
            return
        port = free_port()
        demo = subprocess.Popen(  # noqa: S603  our own CLI, fixed arguments
            [
                *run,
                "demo",
                "--port",
                str(port),
                "--sftp-port",
                str(free_port()),
                "--smtp-port",
                str(free_port()),
            ],
            env={**env, "CASEDESK_DATA_DIR": str(scratch / "demo")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(port, demo, timeout=300)
            print("casedesk demo", flush=True)
            results["demo"] = drive(port, world, args.demo_requests, demo.pid, False)
        finally:
            stop(demo)
        results["load_after"] = os.getloadavg()
        print(json.dumps(results))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
