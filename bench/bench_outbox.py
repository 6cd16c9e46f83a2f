"""Outbound mail benchmark (E1; convention 6): 10,000 notifications through the outbox.

1. Opens 100 cases, then writes 10,000 engineer replies (each its own transaction, as a
   web request would): every reply's outbox row is inserted inside it (rendered later by
   the pump, ADR 0004).
   Reports replies/s and the share spent in ``notify_case_event``.
2. Starts an aiosmtpd sink in a separate process on an ephemeral loopback port and runs
   the worker's send step (``outbox_pump``: claim a batch, render it, one SMTP
   connection per batch, mark each message sent) until the outbox is empty. Reports messages/s and
   checks the sink received every message exactly once.

SQLite in a temporary data directory by default; with ``CASEDESK_DATABASE_URL`` the
named (empty or casedesk-migrated) PostgreSQL database is migrated and used — its
outbox rows are deleted at the start.

    .venv/bin/python bench/bench_outbox.py [--replies 10000] [--batch 100]
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


def _sink(port_queue: mp.Queue, stop: mp.Event, result: mp.Queue) -> None:  # type: ignore[type-arg]
    from tests.notifications.smtp_sink import start_sink

    controller, handler = start_sink()
    port_queue.put(controller.port)
    stop.wait()
    controller.stop()
    ids = {r.message["Message-ID"] for r in handler.messages}
    result.put((len(handler.messages), len(ids)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="cProfile the send phase")
    args = parser.parse_args()

    # The sink runs in its own process (started before Django) so it does not share
    # the pump's interpreter lock.
    ctx = mp.get_context("spawn")
    port_queue, result, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    sink = ctx.Process(target=_sink, args=(port_queue, stop, result), daemon=True)
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
    from casedesk.notifications.sending import outbox_pump

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
    for n in range(args.replies):
        case_services.case_add_update(
            case=cases[n % len(cases)],
            actor=world.engineer,
            body=f"Reply {n}: please try the pacing setting <Max Calls> = 20.",
            now=now,
        )
    enqueue = time.perf_counter() - began
    case_events.notify_case_event = original
    queued = OutboundMessage.objects.count() - before

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    pending = OutboundMessage.objects.filter(state=MessageState.PENDING).count()
    import cProfile
    import pstats

    profile = cProfile.Profile()
    if args.profile:
        profile.enable()
    began = time.perf_counter()
    sent = batches = 0
    while True:
        done = outbox_pump(worker="bench", now=clock.now(), limit=args.batch)
        if not done:
            break
        sent += done
        batches += 1
    send = time.perf_counter() - began
    if args.profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    stop.set()
    received, unique = result.get(timeout=60)
    sink.join(timeout=10)

    print(f"database: {connection.vendor}; replies: {args.replies:,} over {args.cases} cases")
    print(
        f"enqueue: {queued:,} outbox rows in {enqueue:.1f} s = {args.replies / enqueue:,.0f} "
        f"replies/s (each: case write + event + outbox row, one transaction); "
        f"notify_case_event {spent / enqueue:.0%} of it, {spent / args.replies * 1000:.2f} ms "
        "per reply"
    )
    print(
        f"send: {sent:,} of {pending:,} pending in {send:.1f} s = {sent / send:,.0f} messages/s "
        f"({batches} batches of ≤{args.batch}, rendered in the pump, one SMTP connection each)"
    )
    print(f"sink received {received:,} messages, {unique:,} distinct Message-IDs")
    ok = sent == pending == received == unique
    print("exactly once: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
