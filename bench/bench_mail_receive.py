"""Inbound mail end to end: SMTP over loopback into cases (E2, E3; rule 6).

Builds a small desk in a fresh data directory (SQLite) or in the database named by
``CASEDESK_DATABASE_URL`` (its mail and case tables get the bench rows), opens
``--cases`` cases waiting on their contacts, starts the aiosmtpd receiver in-process on
a free loopback port, and sends ``--messages`` messages from ``--connections`` client
threads (smtplib, one SMTP session per thread, a new session every 500 messages).
``--care-share`` of them carry no reference ID and land in the care queue; the rest are
replies with a valid reference ID from the case's contact and are appended to the case
(the first reply moves it Awaiting Info → Open). The receiver answers 250 only after
the raw message is stored and processed, so the time to the last 250 is the end-to-end
time. Prints messages/s, per-message p50/p95 and the outcome counts.
"""

from __future__ import annotations

import argparse
import os
import random
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--care-share", type=float, default=0.1)
    parser.add_argument("--receiver-threads", type=int, default=4)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="casedesk-mailbench-")
    os.environ.setdefault("CASEDESK_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    Path(os.environ["CASEDESK_DATA_DIR"], "files").mkdir(parents=True, exist_ok=True)

    from tests.factories import build_world

    from casedesk.cases.models import Case
    from casedesk.cases.services import case_transition
    from casedesk.core import clock
    from casedesk.mail.models import InboundMessage
    from casedesk.mail.reference import reference_token
    from casedesk.mail.smtp import InboundHandler, ReceiverController

    if connection.vendor == "postgresql":
        InboundMessage.objects.all().delete()
    now = clock.now()
    tag = f"mb{int(time.time())}"
    world = build_world(now=now) if not Case.objects.exists() else None
    if world is None:
        print("database already has cases: use an empty database", file=sys.stderr)
        return 2
    cases = []
    for i in range(args.cases):
        contact = world.alice if i % 2 else world.bob
        case = world.open_case(contact, subject=f"{tag} case {i}")
        case_transition(
            case=case, actor=world.engineer, action="request_info", to="info_required",
            reason="Please send logs.", now=now,
        )  # fmt: skip
        cases.append((case, contact.email, str(reference_token(case.pk, case.organisation_id))))

    handler = InboundHandler(source="smtp", threads=args.receiver_threads)
    controller = ReceiverController(
        handler, hostname="127.0.0.1", port=0, data_size_limit=25 * 1024 * 1024
    )
    controller.start()
    port = controller.port
    rng = random.Random(7)
    plan = []
    for i in range(args.messages):
        case, sender, token = rng.choice(cases)
        if rng.random() < args.care_share:
            subject, sender = f"New problem {i}", sender
        else:
            subject = f"Re: [{token}] {tag}"
        body = (
            f"From: {sender}\r\nTo: support@casedesk.invalid\r\nSubject: {subject}\r\n"
            f"Message-ID: <{tag}-{i}@acme.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Update {i}: the dialer log shows a timeout at 09:{i % 60:02d}.\r\n\r\n"
            "On Tue, Support wrote:\r\n> Please send logs.\r\n"
        ).encode()
        plan.append((sender, body))
    latencies: list[float] = []
    lock = threading.Lock()

    def client(chunk: list[tuple[str, bytes]]) -> None:
        mine = []
        smtp = smtplib.SMTP("127.0.0.1", port)
        for n, (sender, raw) in enumerate(chunk, 1):
            began = time.perf_counter()
            smtp.sendmail(sender, ["support@casedesk.invalid"], raw)
            mine.append(time.perf_counter() - began)
            if n % 500 == 0:
                smtp.quit()
                smtp = smtplib.SMTP("127.0.0.1", port)
        smtp.quit()
        with lock:
            latencies.extend(mine)

    chunks = [plan[i :: args.connections] for i in range(args.connections)]
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    controller.stop()

    states: dict[str, int] = {}
    for state in InboundMessage.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    opened = Case.objects.filter(subject__startswith=tag, status="open").count()
    latencies.sort()
    print(f"database: {connection.vendor}; messages: {len(latencies):,} over "
          f"{args.connections} SMTP connections, "
          f"receiver threads {args.receiver_threads}")  # fmt: skip
    print(f"elapsed {elapsed:.1f} s → {len(latencies) / elapsed:.0f} messages/s end to end")
    print(f"per message (send → 250): p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms")  # fmt: skip
    print(f"outcomes: {states}; cases moved Awaiting Info → Open: {opened}/{len(cases)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
