"""Worker benchmark at 1M cases (issue: the clock, C5 scale).

Against the database loaded by ``load_cases.py`` (``CASEDESK_DATABASE_URL``):

1. one pending follow-up deadline, due in the future, for every active case plus
   ~1,000,000 far-future purge-style deadlines, so the pending table is large;
2. a worker tick with nothing due, timed N times (p50/p95/max);
3. 10,000 follow-up deadlines made due at once (cases put in Awaiting Info with the
   matching ``waiting_since``), then ticks until none is due: wall time and rate.

Everything it adds is tagged ``bench:`` in ``Deadline.key`` and removed at the end
(the cases it touched stay in Awaiting Info with a reminder on their timeline).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filler", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500, help="deadlines claimed per tick")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (SKIP LOCKED keeps them apart)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from casedesk.cases.models import Case
    from casedesk.scheduling.services import worker_tick

    if connection.vendor != "postgresql":
        print("needs PostgreSQL: set CASEDESK_DATABASE_URL", file=sys.stderr)
        return 2
    now = dt.datetime.now(tz=dt.UTC)
    far = now + dt.timedelta(days=3650)
    print(f"cases: {Case.objects.count():,}")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM scheduling_deadline WHERE key LIKE 'bench:%%'")
        began = time.perf_counter()
        cur.execute(
            """INSERT INTO scheduling_deadline
               (kind, case_id, due_at, key, payload, state, claimed_by, attempts,
                last_error, outcome, created_at)
               SELECT 'bench_filler', NULL, %s + (g || ' seconds')::interval,
                      'bench:filler:' || g, '{}', 'pending', '', 0, '', '', %s
               FROM generate_series(1, %s) g""",
            [far, now, args.filler],
        )
        cur.execute("ANALYZE scheduling_deadline")
        print(f"filler: {args.filler:,} pending deadlines in {time.perf_counter() - began:.1f} s")

    timings = []
    for _ in range(args.ticks):
        t0 = time.perf_counter()
        done = worker_tick(worker="bench", now=dt.datetime.now(tz=dt.UTC))
        timings.append((time.perf_counter() - t0) * 1000)
        assert done == 0
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"idle tick: p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
        f"max {timings[-1]:.2f} ms over {args.ticks} ticks"
    )

    ids = list(Case.objects.filter(status="open").values_list("id", flat=True)[: args.due])
    started = now - dt.timedelta(days=3)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE cases_case SET status='awaiting_info', sub_status='info_required', "
            "production_down=false, waiting_since=%s WHERE id = ANY(%s)",
            [started, ids],
        )
        cur.execute(
            """INSERT INTO scheduling_deadline
               (kind, case_id, due_at, key, payload, state, claimed_by, attempts,
                last_error, outcome, created_at)
               SELECT 'followup', c, %s, 'bench:followup:' || c,
                      jsonb_build_object('started_at', %s::text, 'step', 1,
                                         'action', 'reminder', 'reason', 'bench'),
                      'pending', '', 0, '', '', %s
               FROM unnest(%s::bigint[]) c""",
            [now - dt.timedelta(minutes=1), started.isoformat(), now, ids],
        )
    # waiting_since is compared as isoformat; store exactly what Django writes back.
    for case in Case.objects.filter(id__in=ids[:1]):
        assert case.waiting_since.isoformat() == started.isoformat()
    t0 = time.perf_counter()
    if args.workers > 1:
        total = _drain_in_processes(args.workers, args.batch)
    else:
        total = _drain("bench", args.batch)
    elapsed = time.perf_counter() - t0
    print(
        f"due follow-ups: {total:,} processed in {elapsed:.1f} s ({total / elapsed:,.0f}/s) "
        f"by {args.workers} worker(s), batches of {args.batch}"
    )
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM scheduling_deadline WHERE key LIKE 'bench:%%' "
            "OR (kind = 'followup' AND case_id = ANY(%s))",
            [ids],
        )
    return 0


def _drain(name: str, batch: int) -> int:
    """Tick until nothing is due; how many deadlines took effect."""
    from casedesk.scheduling.services import worker_tick

    total = 0
    while done := worker_tick(worker=name, now=dt.datetime.now(tz=dt.UTC), limit=batch):
        total += done
    return total


def _drain_in_processes(workers: int, batch: int) -> int:
    """Several worker processes on the same queue, as ``casedesk worker`` would run."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each forked process opens its own connection
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        return sum(pool.starmap(_drain, [(f"bench-{i}", batch) for i in range(workers)]))


if __name__ == "__main__":
    raise SystemExit(main())
