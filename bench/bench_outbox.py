"""Outbound mail benchmark (E1; convention 6): 10,000 notifications through the outbox.

1. Opens 100 cases, then writes 10,000 engineer replies (each its own transaction, as a
   web request would): every reply's outbox row is inserted inside it (rendered later by
   the pump, ADR 0004).
   Reports replies/s and the share spent in ``notify_case_event``.
   Bodies vary (one-liners, paragraphs with quoted history, non-ASCII text, lines that
   start with a dot).
2. Starts an SMTP sink in a separate process on an ephemeral loopback port (it
   advertises PIPELINING; ``--no-pipelining`` turns that off) and runs ``--workers``
   worker processes (default 2) of the send step (``outbox_pump``: claim a batch, render
   it, send it, mark each message sent) until the outbox is empty. Reports messages/s,
   the CPU milliseconds per message of the workers, their PostgreSQL backends and the
   sink, the load average, and checks the sink received every message exactly once.

SQLite in a temporary data directory by default; with ``CASEDESK_DATABASE_URL`` the
named (empty or casedesk-migrated) PostgreSQL database is migrated and used — its
outbox rows are deleted at the start.

    .venv/bin/python bench/bench_outbox.py [--replies 10000] [--batch 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from procstat import cpu_seconds, load_average  # noqa: E402 — a sibling script
from smtp_sink import SINKS, run_sink_process  # noqa: E402 — a sibling script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="send worker processes")
    parser.add_argument("--no-pipelining", action="store_true", help="the sink hides PIPELINING")
    parser.add_argument(
        "--sink", choices=SINKS, default="lean", help="bench/smtp_sink.py (lean) or aiosmtpd"
    )
    parser.add_argument(
        "--enqueue-batch", type=int, default=1, help="replies per transaction when enqueueing"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the send phase")
    args = parser.parse_args()

    # The sink runs in its own process (started before Django) so it does not share
    # the pump's interpreter lock.
    ctx = mp.get_context("spawn")
    port_queue, result, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    sink = ctx.Process(
        target=run_sink_process,
        args=(args.sink, port_queue, stop, result, not args.no_pipelining),
        daemon=True,
    )
    sink.start()
    port = port_queue.get(timeout=30)

    if not os.environ.get("CASEDESK_DATABASE_URL"):
        os.environ["CASEDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="casedesk-bench-outbox-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from tests.factories import build_world

    import casedesk.cases.services as case_services
    from casedesk.accounts.models import User
    from casedesk.cases.services import _common as case_events  # looks up notify_case_event
    from casedesk.core import clock
    from casedesk.notifications.models import MessageState, OutboundMessage

    OutboundMessage.objects.all().delete()
    now = clock.now()
    stamp = int(time.time())
    if User.objects.filter(email="alice@acme.example").exists():
        print("database already holds the test world; use an empty database", file=sys.stderr)
        return 2
    world = build_world(now=now)
    cases = [
        world.open_case(world.alice, subject=f"Dialer stops after ten calls ({stamp}/{n})")
        for n in range(args.cases)
    ]
    world.engineer.refresh_from_db()

    spent = 0.0
    original = case_events.notify_case_event

    def timed(**kwargs):  # type: ignore[no-untyped-def]
        nonlocal spent
        began = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            spent += time.perf_counter() - began

    case_events.notify_case_event = timed
    before = OutboundMessage.objects.count()
    began = time.perf_counter()
    from django.db import transaction

    for first in range(0, args.replies, args.enqueue_batch):
        with transaction.atomic():
            for n in range(first, min(first + args.enqueue_batch, args.replies)):
                case_services.case_add_update(
                    case=cases[n % len(cases)], actor=world.engineer, body=_body(n), now=now
                )
    enqueue = time.perf_counter() - began
    case_events.notify_case_event = original
    queued = OutboundMessage.objects.count() - before

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    pending = OutboundMessage.objects.filter(state=MessageState.PENDING).count()
    load_before = load_average()
    sink_cpu = cpu_seconds(sink.pid)
    began = time.perf_counter()
    if args.workers == 1 or args.profile:
        outcomes = [_pump_until_empty("bench-0", args.batch, args.profile)]
    else:
        connection.close()  # each forked worker opens its own
        fork = mp.get_context("fork")
        with fork.Pool(args.workers) as pool:
            outcomes = pool.starmap(
                _pump_until_empty, [(f"bench-{i}", args.batch, False) for i in range(args.workers)]
            )
    send = time.perf_counter() - began
    sink_cpu = cpu_seconds(sink.pid) - sink_cpu
    load_after = load_average()
    sent = sum(o[0] for o in outcomes)
    batches = sum(o[1] for o in outcomes)
    worker_cpu = sum(o[2] for o in outcomes)
    pg_cpu = sum(o[3] for o in outcomes)
    stop.set()
    received, unique, _recipients = result.get(timeout=600)
    sink.join(timeout=10)

    print(f"database: {connection.vendor}; replies: {args.replies:,} over {args.cases} cases")
    print(
        f"enqueue: {queued:,} outbox rows in {enqueue:.1f} s = {args.replies / enqueue:,.0f} "
        f"replies/s (each: case write + event + outbox row, one transaction); "
        f"notify_case_event {spent / enqueue:.0%} of it, {spent / args.replies * 1000:.2f} ms "
        "per reply"
    )
    per = 1000 / max(sent, 1)
    total_ms = (worker_cpu + pg_cpu + sink_cpu) * per
    print(
        f"send: {sent:,} of {pending:,} pending in {send:.1f} s = {sent / send:,.0f} messages/s "
        f"by {args.workers} worker process(es) ({batches} batches of ≤{args.batch}, rendered "
        f"in the pump; sink {'with' if not args.no_pipelining else 'without'} PIPELINING)"
    )
    print(
        f"CPU ms per message: workers {worker_cpu * per:.2f}, their PostgreSQL backends "
        f"{pg_cpu * per:.2f}, SMTP sink {sink_cpu * per:.2f}, total {total_ms:.2f} "
        f"→ {2000 / max(total_ms, 1e-9):,.0f} messages/s on 2 idle cores"
    )
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}")
    print(f"sink received {received:,} messages, {unique:,} distinct Message-IDs")
    ok = sent == pending == received == unique
    print("exactly once: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


BODIES = (
    "Reply {n}: please try the pacing setting <Max Calls> = 20.",
    "Hello,\n\nthank you for the logs of case {n}. The dialler stops because the pacing "
    "ratio drops below 1.0 when more than {n} agents are idle.\n\nPlease set\n"
    "  pacing.ratio = 1.2\n  pacing.min_agents = 3\nand restart the campaign.\n\n"
    "Best regards\n\n> On Monday the customer wrote:\n> The dialler stops after ten calls.\n"
    "> It happens every morning around 9:00 on the outbound campaign.\n> " + "x" * 60 + "\n",
    "Grüße aus München — the fix for ticket {n} costs nothing (0 €); see « notes » below.\n"
    "Ça marche? Спасибо! 日本語のテキストも。",
    ".\n.. lines that start with dots ({n})\n.\nend",
)


def _body(n: int) -> str:
    return BODIES[n % len(BODIES)].format(n=n) + ("\n" + "Detail line. " * 8) * (n % 7)


def _pump_until_empty(name: str, batch: int, profile: bool) -> tuple[int, int, float, float]:
    """One worker: pump until nothing is due. (sent, batches, own CPU s, backend CPU s)."""
    from django.db import connection

    from casedesk.core import clock
    from casedesk.notifications.sending import outbox_pump

    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    backend_cpu = cpu_seconds(backend) if backend else 0.0
    own = time.process_time()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    sent = batches = 0
    while done := outbox_pump(worker=name, now=clock.now(), limit=batch):
        sent += done
        batches += 1
    try:  # close the SMTP session the pump keeps open between ticks
        from casedesk.notifications import smtp_pipe

        if getattr(smtp_pipe._local, "session", None) is not None:
            smtp_pipe._local.session.close()
    except ImportError:  # code before the pipelined session
        pass
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    own = time.process_time() - own
    backend_cpu = (cpu_seconds(backend) - backend_cpu) if backend else 0.0
    return sent, batches, own, backend_cpu


if __name__ == "__main__":
    raise SystemExit(main())
