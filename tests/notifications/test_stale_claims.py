"""A worker whose claim has lapsed never acts (issue 15 item 15; rule 7, E1).

Real ``casedesk worker`` processes on PostgreSQL and a real SMTP server. Leases run on the
database's clock, and each send re-checks its claim (the fencing token) first.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter

import pytest
from django.db import connection
from django.db.models.functions import Now

from casedesk.notifications.models import MessageState, OutboundMessage
from tests.factories import build_world
from tests.workerprocs import PATIENCE, start_worker, stop_workers, wait_for, worker_env

from .smtp_sink import start_sink

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set CASEDESK_DATABASE_URL (CI runs this leg)",
    ),
]

MESSAGES = 12
FAKETIME = shutil.which("faketime")


@pytest.fixture
def sink():
    controller, handler = start_sink()
    handler.port = controller.port
    yield handler
    handler.release()
    controller.stop()


def _queue(count: int) -> list[str]:
    """``count`` rendered messages due now; their Message-IDs."""
    world = build_world(now=dt.datetime.now(tz=dt.UTC))
    OutboundMessage.objects.all().delete()
    now = dt.datetime.now(tz=dt.UTC)
    ids = [f"<stale-{n}@casedesk.example>" for n in range(count)]
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            case=world.alice_case,
            kind="update",
            to=["alice@acme.example"],
            subject=f"Update {n}",
            text_body=f"Update number {n}.",
            message_id=message_id,
            idempotency_key=f"stale:{n}",
            next_attempt_at=now - dt.timedelta(minutes=1),
            created_at=now,
        )
        for n, message_id in enumerate(ids)
    )
    return ids


def _env(sink, **extra: str) -> dict[str, str]:
    return worker_env(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink.port),
        SMTP_TIMEOUT="120",
        **extra,
    )


def _arrived(sink) -> Counter[str]:
    with sink.lock:
        return Counter(m.message["Message-ID"] for m in sink.messages)


def _run_once(env: dict[str, str], prefix: tuple[str, ...] = ()) -> None:
    worker = start_worker(env, prefix=prefix, once=True)
    try:
        assert worker.wait(timeout=PATIENCE) == 0, worker.stderr.read().decode()
    finally:
        stop_workers(worker)


def test_a_worker_paused_past_its_lease_sends_nothing_more(sink):
    # R: issue 15 item 15, rule 7 — worker A stalls mid-send (SIGSTOP while the SMTP server
    # holds its first DATA), its lease lapses, worker B retakes and sends everything; A
    # resumes and must not send the rest again (before: 11 of 12 arrived twice).
    ids = _queue(MESSAGES)
    env = _env(sink, OUTBOX_LEASE_SECONDS="2")
    sink.hold()
    stale = start_worker(env)
    try:
        wait_for(sink.holding.is_set, "worker A to be mid-send")
        os.kill(stale.pid, signal.SIGSTOP)
        live = OutboundMessage.objects.filter(state=MessageState.SENDING, claimed_until__gte=Now())
        wait_for(lambda: not live.exists(), "worker A's lease to lapse (database clock)")
        _run_once(env)  # worker B
        assert set(_arrived(sink)) == set(ids)
        os.kill(stale.pid, signal.SIGCONT)
        sink.release()
        wait_for(lambda: sum(_arrived(sink).values()) > MESSAGES, "A's in-flight message")
    finally:
        stop_workers(stale)  # A finishes its tick, then exits
    arrived = _arrived(sink)
    assert set(arrived) == set(ids)
    twice = [message_id for message_id, count in arrived.items() if count > 1]
    # The one message in flight when A stalled is the window left (see notifications.sending);
    # every other message arrived exactly once.
    assert twice == [ids[0]], arrived
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == MESSAGES


@pytest.mark.skipif(FAKETIME is None, reason="needs Debian's faketime (apt-get install faketime)")
def test_a_worker_with_its_clock_an_hour_ahead_takes_no_live_claim(sink):
    # R: issue 15 item 15 — leases are judged by the database's clock, so a worker whose
    # clock runs an hour ahead (libfaketime; PostgreSQL's clock is untouched) sees A's claims
    # as live and sends nothing; before, it retook them and every message went out twice.
    ids = _queue(MESSAGES)
    env = _env(sink, OUTBOX_LEASE_SECONDS="600")
    ahead_by = (FAKETIME, "-f", "+1h")
    probe = subprocess.run(  # noqa: S603 (a fixed command line)
        [*ahead_by, sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    ahead = float(probe.stdout) - dt.datetime.now(tz=dt.UTC).timestamp()
    assert ahead > 3000, "faketime does not move the clock here"
    sink.hold()
    holder = start_worker(env)
    try:
        wait_for(sink.holding.is_set, "worker A to be mid-send")
        _run_once(env, prefix=ahead_by)  # worker B, an hour ahead
        assert sum(_arrived(sink).values()) == 0
        sink.release()
        wait_for(lambda: len(_arrived(sink)) == MESSAGES, "A to send its batch")
    finally:
        stop_workers(holder)
    assert _arrived(sink) == Counter(dict.fromkeys(ids, 1))
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == MESSAGES
