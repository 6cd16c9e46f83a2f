"""Reports at 1,000,000 cases (issue 13 item 10, ADR 0008): p50/p95 of each console report
page for one-month ranges and for a full year, and the console case-list CSV export of
~1M cases (rows/s, peak RSS sampled while streaming).

In-process through Django's test client (view, queries, template; no HTTP server), as the
report manager of the bench DB. Needs a loaded database (``load_cases.py``) with
``seed_report_activity.py`` applied and the rollups backfilled
(``casedesk manage reports_rollup --start 2021-12-01``: the event counts and the
service-level cells). ``--as-engineer`` runs as an engineer of a region (scoped view).

    CASEDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<your copy> \\
        python bench/bench_reports.py [--months 20] [--years 5] [--export-limit 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("CASEDESK_DATA_DIR", os.path.join(tempfile.gettempdir(), "bench-reports"))
# The export is measured as the streamed download (the generator a background export job
# writes to its file is the same, ``cases.exports.queue_rows``), so no job threshold here.
os.environ.setdefault("CASEDESK_EXPORT_INLINE_MAX_ROWS", "100000000")

REPORTS = {
    "service levels": "console-report-sla",
    "backlog": "console-report-backlog",
    "follow-ups": "console-report-followups",
    "escalations": "console-report-escalations",
    "satisfaction": "console-report-satisfaction",
}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(client, url: str, query: dict[str, str]) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, query)
    assert response.status_code == 200, (url, query, response.status_code)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=20, help="one-month ranges per report")
    parser.add_argument("--years", type=int, default=5, help="full-year runs per report")
    parser.add_argument("--export-limit", type=int, default=0, help="stop the CSV after N rows")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated report names to run")
    parser.add_argument(
        "--as-engineer", action="store_true", help="an engineer with a region, not a manager"
    )
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    django.setup()
    from django.test import Client
    from django.urls import reverse

    from casedesk.accounts.models import Role, User

    viewers = User.objects.filter(is_active=True).order_by("pk")
    if args.as_engineer:
        viewer = viewers.filter(role=Role.ENGINEER).exclude(region="").first()
    else:
        viewer = viewers.filter(role=Role.MANAGER).first()
    assert viewer is not None, "no such viewer in this database"
    client = Client()
    client.force_login(viewer)
    print(f"as {viewer.email} ({viewer.role}{', ' + viewer.region if viewer.region else ''})")
    today = dt.date(2026, 12, 5)
    rng = random.Random(13)
    print(f"load average before: {load()}")
    wanted = set(filter(None, args.only.split(",")))
    for name, url_name in REPORTS.items():
        if wanted and name not in wanted:
            continue
        url = reverse(url_name)
        timed(client, url, {"start": "2026-11-01", "end": "2026-11-30", "period": "week"})  # warm
        walls, cpus = [], []
        for _ in range(args.months):
            first = dt.date(rng.randint(2023, 2026), rng.randint(1, 12), 1)
            if first > today.replace(day=1):
                first = today.replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            q = {"start": str(first), "end": str(last), "period": "week"}
            wall, cpu = timed(client, url, q)
            walls.append(wall)
            cpus.append(cpu)
        year_walls, year_cpus = [], []
        for _ in range(args.years):
            q = {"start": "2025-12-01", "end": "2026-11-30", "period": "month"}
            wall, cpu = timed(client, url, q)
            year_walls.append(wall)
            year_cpus.append(cpu)
        print(
            f"{name:15s} month: p50 {statistics.median(walls):7.1f} ms"
            f"  p95 {pct(walls, 0.95):7.1f} ms"
            f"  (CPU p50 {statistics.median(cpus):6.1f} ms)   year: p50 "
            f"{statistics.median(year_walls):7.1f} ms  max {max(year_walls):7.1f} ms"
            f"  (CPU p50 {statistics.median(year_cpus):6.1f} ms)",
            flush=True,
        )
    print(f"load average after reports: {load()}")
    if args.skip_export:
        return
    url = reverse("console-queue")
    query = {"state": "closed", "sort": "oldest", "format": "csv"}
    before = rss_mb()
    peak = before
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, query)
    rows = size = 0
    samples = []
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\r\n")
        if rows // 100_000 > len(samples):
            samples.append(round(rss_mb()))
            peak = max(peak, rss_mb())
        if args.export_limit and rows >= args.export_limit:
            break
    elapsed = time.perf_counter() - wall
    used = time.process_time() - cpu
    rows -= 1  # the header line
    print(
        f"CSV export: {rows:,} rows, {size / 2**20:.0f} MiB in {elapsed:.1f} s = "
        f"{rows / elapsed:,.0f} rows/s wall, {rows / used:,.0f} rows/s per CPU-second; "
        f"RSS {before:.0f} MiB before, peak {peak:.0f} MiB, "
        f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"RSS every 100k rows: {samples}"
    )
    print(f"load average after export: {load()}")


if __name__ == "__main__":
    main()
