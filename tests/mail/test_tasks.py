"""django-tasks at work: a stored message the receiver could not process is processed by
``casedesk worker`` (issue 16 item 5a, ADR 0001; E2, rule 6).
"""

from __future__ import annotations

import smtplib

import pytest
from django.db import OperationalError
from django_tasks_db.models import DBTaskResult

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core import clock
from casedesk.mail import smtp as smtp_receiver
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.services import mail_store
from casedesk.mail.tasks import mail_process_stored
from casedesk.scheduling.worker import run_worker

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_message_is_processed_once_by_the_worker(world, waiting_case, token):
    # R: E2, rule 7 — the job appends the reply; running it again changes nothing.
    raw = reply_bytes(sender="Alice <alice@acme.example>", subject=f"Re: Dialer [{token}]")
    stored = mail_store(
        raw=raw,
        source="smtp",
        envelope_from="alice@acme.example",
        envelope_to=["support@casedesk.invalid"],
        now=clock.now(),
    )
    first, again = mail_process_stored.enqueue(stored.pk), mail_process_stored.enqueue(stored.pk)
    assert InboundMessage.objects.get().state == State.RECEIVED  # nothing runs until the worker
    run_worker(once=True, idle_sleep=0)
    for job in (first, again):
        job.refresh()
        assert (job.status, job.return_value) == ("SUCCESSFUL", State.APPENDED)
    assert InboundMessage.objects.get().state == State.APPENDED
    assert CaseEvent.objects.filter(kind=EventKind.CUSTOMER_UPDATE).count() == 1
    world.alice_case.refresh_from_db()
    assert world.alice_case.status == "open"


def test_the_receiver_hands_a_message_it_could_not_process_to_the_worker(
    world, waiting_case, token, settings, monkeypatch
):
    # R: rule 6 — stored and acknowledged, then processed by the worker, not at the next start.
    settings.MAIL_MAX_BYTES = 64 * 1024

    def database_gone(**kwargs):  # stands for the database failing mid-processing
        raise OperationalError("database is locked")

    monkeypatch.setattr(smtp_receiver, "mail_process_batch", database_gone)
    controller = smtp_receiver.start_receiver(host="127.0.0.1", port=0)
    try:
        raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]")
        with smtplib.SMTP("127.0.0.1", controller.port) as client:
            assert client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw) == {}
    finally:
        controller.stop()
    stored = InboundMessage.objects.get()
    assert stored.state == State.RECEIVED
    job = DBTaskResult.objects.get()
    assert (job.task_path, job.args_kwargs["args"]) == (
        "casedesk.mail.tasks.mail_process_stored",
        [stored.pk],
    )
    monkeypatch.undo()
    run_worker(once=True, idle_sleep=0)
    stored.refresh_from_db()
    assert stored.state == State.APPENDED
