"""Worker benchmark at 1M cases (issue: the clock, C5 scale).

Against the database loaded by ``load_cases.py`` (``CASEDESK_DATABASE_URL``):

1. one pending follow-up deadline, due in the future, for every active case plus
   ~1,000,000 far-future purge-style deadlines, so the pending table is large;
2. a worker tick with nothing due, timed N times (p50/p95/max);
3. 10,000 follow-up deadlines made due at once (cases put in Awaiting Info with the
   matching ``waiting_since``), then ticks until none is due: wall time and rate. Each
   tick runs the worker's deadline step and then its outbox step, as ``casedesk worker``
   does, sending the reminders to an SMTP sink (its own process, loopback): the
   headline is *due follow-ups with their reminders delivered*, with the CPU
   milliseconds per follow-up of the workers, their PostgreSQL backends and the sink.
   ``--no-mail`` leaves the reminders queued (the figure of the earlier runs).

Everything it adds is tagged ``bench:`` in ``Deadline.key`` and removed at the end
(the cases it touched stay in Awaiting Info with a reminder on their timeline).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from procstat import cpu_seconds, load_average  # noqa: E402 — a sibling script
from smtp_sink import SINKS, run_sink_process  # noqa: E402 — a sibling script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filler", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500, help="deadlines claimed per tick")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (SKIP LOCKED keeps them apart)"
    )
    parser.add_argument(
        "--no-mail", action="store_true", help="deadlines only: the reminders stay queued"
    )
    parser.add_argument(
        "--sink", choices=SINKS, default="lean", help="bench/smtp_sink.py (lean) or aiosmtpd"
    )
    args = parser.parse_args()
    mail = not args.no_mail
    if mail:  # the sink first, in its own process, so it does not share our GIL
        ctx = mp.get_context("spawn")
        port_queue, result, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        sink = ctx.Process(
            target=run_sink_process, args=(args.sink, port_queue, stop, result), daemon=True
        )
        sink.start()
        port = port_queue.get(timeout=60)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from casedesk.cases.models import Case
    from casedesk.notifications.models import MessageState, OutboundMessage
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
    if mail:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        queued = OutboundMessage.objects.filter(state=MessageState.PENDING).count()
        if queued:
            print(f"note: {queued:,} mails were already queued; they go out in this run too")
        sink_cpu = cpu_seconds(sink.pid)
    load_before = load_average()
    first_id = OutboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
    t0 = time.perf_counter()
    if args.workers > 1:
        outcomes = _drain_in_processes(args.workers, args.batch, mail)
    else:
        outcomes = [_drain("bench", args.batch, mail)]
    elapsed = time.perf_counter() - t0
    total, sent = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    cpu = {"workers": sum(o[2] for o in outcomes), "PostgreSQL": sum(o[3] for o in outcomes)}
    reminders = OutboundMessage.objects.filter(id__gt=first_id, kind="followup")
    what = "with their reminders delivered" if mail else "(reminders queued, not sent)"
    print(
        f"due follow-ups {what}: {total:,} in {elapsed:.1f} s ({total / elapsed:,.0f}/s) "
        f"by {args.workers} worker(s), batches of {args.batch}; load average before "
        f"{load_before}, after {load_average()}"
    )
    if mail:
        cpu["sink"] = cpu_seconds(sink.pid) - sink_cpu
        stop.set()
        received, unique, _recipients = result.get(timeout=600)
        sink.join(timeout=10)
        unsent = reminders.exclude(state=MessageState.SENT).count()
        print(
            f"reminders: {reminders.count():,} queued, {sent:,} sent; the sink received "
            f"{received:,} ({unique:,} distinct Message-IDs); not sent: {unsent:,}"
        )
    per = {k: 1000 * v / max(total, 1) for k, v in cpu.items()}
    print(
        "CPU ms per follow-up: "
        + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
        + f", total {sum(per.values()):.2f} → {2000 / max(sum(per.values()), 1e-9):,.0f} "
        "follow-ups/s on 2 idle cores"
    )
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM scheduling_deadline WHERE key LIKE 'bench:%%' "
            "OR (kind = 'followup' AND case_id = ANY(%s))",
            [ids],
        )
    return 0


def _drain(name: str, batch: int, mail: bool) -> tuple[int, int, float, float]:
    """Tick (deadlines, then the outbox) until neither has work: (deadlines done, mails
    sent, own CPU s, PostgreSQL backend CPU s)."""
    from django.db import connection

    from casedesk.notifications.sending import outbox_pump
    from casedesk.scheduling.services import worker_tick

    try:  # as casedesk worker: the deadline step hands its mails to the outbox step
        from casedesk.notifications.handover import outbox_handover
    except ImportError:  # code before the handover
        outbox_handover = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_cpu, own = cpu_seconds(backend), time.process_time()
    total = sent = 0
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # cProfile of this process, to that path + name
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    while True:
        handed: list = []
        if outbox_handover is not None and mail:
            with outbox_handover(name, handed):
                done = worker_tick(worker=name, now=dt.datetime.now(tz=dt.UTC), limit=batch)
        else:
            done = worker_tick(worker=name, now=dt.datetime.now(tz=dt.UTC), limit=batch)
        pump = {"handed": handed} if handed else {}
        mailed = (
            outbox_pump(worker=name, now=dt.datetime.now(tz=dt.UTC), limit=batch, **pump)
            if mail
            else 0
        )
        total, sent = total + done, sent + mailed
        if not done and not mailed:
            break
    if profile is not None:
        profile.disable()
        profile.dump_stats(f"{os.environ['BENCH_PROFILE']}.{name}")
    try:  # the pump keeps its SMTP session open between ticks
        from casedesk.notifications import smtp_pipe

        if getattr(smtp_pipe._local, "session", None) is not None:
            smtp_pipe._local.session.close()
    except ImportError:  # code before the pipelined session
        pass
    return total, sent, time.process_time() - own, cpu_seconds(backend) - backend_cpu


def _drain_in_processes(
    workers: int, batch: int, mail: bool
) -> list[tuple[int, int, float, float]]:
    """Several worker processes on the same queue, as ``casedesk worker`` would run."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each forked process opens its own connection
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        return pool.starmap(_drain, [(f"bench-{i}", batch, mail) for i in range(workers)])


if __name__ == "__main__":
    raise SystemExit(main())
