"""``casedesk worker`` killed with SIGKILL mid-batch, then restarted (issue 15 item 13; C5,
E1, rule 7): every follow-up and every mail takes effect exactly once.

Real worker processes on PostgreSQL and a real SMTP server. The kill lands while the
worker waits for the SMTP server's answer to a DATA (the server holds it), with follow-ups
still pending, so both the deadline batches and the outbox are cut mid-way. The message in
flight was never acknowledged, so it counts as not delivered; the restarted worker sends
it again. Every Message-ID must arrive exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections import Counter

import pytest
from django.db import connection

from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.scheduling.models import Deadline, DeadlineState
from tests.factories import build_world
from tests.workerprocs import start_worker, stop_workers, wait_for, worker_env

from .smtp_sink import start_sink

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set CASEDESK_DATABASE_URL (CI runs this leg)",
    ),
]

CASES = 150  # more than one batch (100) of follow-ups


@pytest.fixture
def sink():
    controller, handler = start_sink()
    handler.port = controller.port
    yield handler
    handler.release()
    controller.stop()


def test_sigkill_mid_batch_then_restart_every_action_exactly_once(sink):
    real_now = dt.datetime.now(tz=dt.UTC)
    world = build_world(now=real_now - dt.timedelta(days=40))
    cases = [world.alice_case] + [world.open_case(world.alice) for _ in range(CASES - 1)]
    for case in cases:
        services.case_transition(
            case=case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="logs please",
            now=real_now - dt.timedelta(days=30),  # the whole ladder is due
        )
    env = worker_env(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink.port),
        DEADLINE_LEASE_SECONDS="2",
        OUTBOX_LEASE_SECONDS="2",
    )
    followups = Deadline.objects.filter(kind="followup")
    worker = start_worker(env)
    try:
        wait_for(lambda: len(sink.messages) >= 5, "the first mails")
        sink.hold()
        wait_for(sink.holding.is_set, "the worker to be mid-send")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        # Killed mid-way: follow-ups still pending, mails claimed but not sent.
        assert followups.filter(state=DeadlineState.PENDING).exists()
        assert OutboundMessage.objects.filter(state=MessageState.SENDING).exists()
        worker = start_worker(env)
        unsent = OutboundMessage.objects.exclude(state=MessageState.SENT)
        wait_for(
            lambda: (
                not followups.filter(state=DeadlineState.PENDING).exists() and not unsent.exists()
            ),
            "the restarted worker to finish everything",
            patience=240,
        )
    finally:
        stop_workers(worker)
    assert not Deadline.objects.filter(state=DeadlineState.FAILED).exists()
    ids = [c.pk for c in cases]
    steps: dict[int, list[int]] = {}
    for case_id, data in CaseEvent.objects.filter(
        case_id__in=ids, kind=EventKind.FOLLOW_UP
    ).values_list("case_id", "data"):
        steps.setdefault(case_id, []).append(data["step"])
    assert {k: sorted(v) for k, v in steps.items()} == {pk: [1, 2, 3] for pk in ids}
    assert all(c.is_closed for c in Case.objects.filter(pk__in=ids))
    with sink.lock:
        arrived = Counter(m.message["Message-ID"] for m in sink.messages)
    expected = set(OutboundMessage.objects.values_list("message_id", flat=True))
    assert set(arrived) == expected
    assert max(arrived.values()) == 1, [k for k, n in arrived.items() if n > 1]
