"""The worker's steps fail alone (issue 16 item 5d, convention 4, E1).

Deadlines, the outbox and background jobs each run in their own ``try``: an error in one
is logged and never keeps the others from running in the same tick.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import OperationalError

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core import clock
from casedesk.mail.services import mail_store
from casedesk.mail.tasks import mail_process_stored
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.scheduling import worker
from casedesk.scheduling.models import Deadline, DeadlineState

pytestmark = pytest.mark.django_db(transaction=True)
# due_world (tests/conftest.py): alice's first follow-up due, the mail of her case still queued.


def followups(world):
    return CaseEvent.objects.filter(case=world.alice_case, kind=EventKind.FOLLOW_UP)


def test_a_failing_deadline_step_still_sends_the_outbox(due_world, monkeypatch, caplog):
    queued = OutboundMessage.objects.count()
    assert queued > 0 and not followups(due_world).exists()
    calls = []

    def broken_tick(**kwargs):  # stands for the deadline table being unreadable
        calls.append(kwargs)
        raise OperationalError("no such table: scheduling_deadline")

    monkeypatch.setattr(worker, "worker_tick", broken_tick)
    worker.run_worker(once=True, idle_sleep=0)
    assert len(calls) == 1
    assert "the deadlines step failed; the other steps go on" in caplog.text
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == queued
    assert len(mail.outbox) == queued
    assert not followups(due_world).exists()


def test_a_failing_outbox_still_runs_due_deadlines_and_background_jobs(due_world, settings, caplog):
    # A real failure: the configured mail backend cannot be imported.
    settings.EMAIL_BACKEND = "casedesk.no_such_module.EmailBackend"
    stored = mail_store(
        raw=b"From: someone@else.example\r\nSubject: hello\r\n\r\nhi\r\n",
        source="smtp",
        envelope_from="someone@else.example",
        envelope_to=["support@casedesk.invalid"],
        now=clock.now(),
    )
    job = mail_process_stored.enqueue(stored.pk)
    worker.run_worker(once=True, idle_sleep=0)
    assert "the outbox step failed; the other steps go on" in caplog.text
    assert not OutboundMessage.objects.filter(state=MessageState.SENT).exists()
    # Before it, the deadlines ran; after it, the background job.
    assert [e.data["step"] for e in followups(due_world)] == [1]
    assert Deadline.objects.filter(
        case=due_world.alice_case, kind="followup", state=DeadlineState.DONE
    ).exists()
    job.refresh()
    assert (job.status, job.return_value) == ("SUCCESSFUL", "needs_care")
    stored.refresh_from_db()
    assert stored.state == "needs_care"
