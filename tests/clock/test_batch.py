"""Batched deadline processing keeps the guarantees (C5, convention 4, rule 7).

One transaction per batch, yet one failing handler neither undoes nor blocks the others,
its own writes roll back, and it backs off with its error recorded.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import Now

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.registry import HANDLERS
from casedesk.scheduling.services import deadline_schedule, deadlines_claim, worker_tick

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def boom():
    """A handler that writes a timeline event, then fails: its write must not survive."""

    def run(deadline, now):
        CaseEvent.objects.create(
            case_id=deadline.case_id, at=now, kind=EventKind.NOTE, body="half-done", public=False
        )
        raise RuntimeError("printer on fire")

    HANDLERS["test_boom"] = run
    yield
    del HANDLERS["test_boom"]


def ask(world, case, at):
    from casedesk.cases import services

    services.case_transition(
        case=case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="logs please",
        now=at,
    )


def test_one_failure_does_not_roll_back_the_batch(world, boom):
    # R: C5 — reminder #1 for three cases plus one failing deadline, in one batch.
    cases = [world.alice_case, world.carol_case, world.gina_case]
    for case in cases:
        ask(world, case, world.now)
    deadline_schedule(
        kind="test_boom", key="boom:1", due_at=world.now, now=world.now, case_id=cases[0].pk
    )
    later = world.now + dt.timedelta(days=20)
    assert worker_tick(worker="w", now=later, limit=10) == 3
    reminders = CaseEvent.objects.filter(kind=EventKind.FOLLOW_UP)
    assert sorted(reminders.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert not CaseEvent.objects.filter(body="half-done").exists()
    failed = Deadline.objects.get(key="boom:1")
    assert failed.state == DeadlineState.PENDING and "printer on fire" in failed.last_error
    assert failed.due_at == later + dt.timedelta(seconds=30) and failed.claimed_by == ""
    # The next rungs were scheduled by the batch (reminder #2 for each case).
    assert Deadline.objects.filter(kind="followup", state=DeadlineState.PENDING).count() == 3


def test_claims_are_disjoint_and_leased(world):
    # R: C5, rule 7 — a claimed deadline is not claimed again until its lease runs out.
    ask(world, world.alice_case, world.now)
    later = world.now + dt.timedelta(days=20)
    first = deadlines_claim(worker="a", now=later)
    assert len(first) == 1
    assert deadlines_claim(worker="b", now=later) == []
    # A worker whose clock runs hours ahead still sees the claim as live: leases run on the
    # database's clock (issue 15 item 15).
    assert deadlines_claim(worker="b", now=later + dt.timedelta(hours=6)) == []
    Deadline.objects.filter(pk__in=first).update(claimed_until=Now() - dt.timedelta(seconds=1))
    assert deadlines_claim(worker="b", now=later) == first
    # Worker a lost its lease: running its batch now changes nothing.
    from casedesk.scheduling.services import deadlines_run_batch

    assert deadlines_run_batch(deadline_ids=first, worker="a", now=later) == 0
    assert not CaseEvent.objects.filter(kind=EventKind.FOLLOW_UP).exists()
    assert deadlines_run_batch(deadline_ids=first, worker="b", now=later) == 1
    assert CaseEvent.objects.filter(kind=EventKind.FOLLOW_UP).count() == 1


def test_nothing_due_is_one_cheap_query(world, django_assert_max_num_queries):
    # R: C5 scale — an idle tick does not grow with what is pending.
    ask(world, world.alice_case, world.now)
    with django_assert_max_num_queries(1):  # one index probe, no transaction
        assert worker_tick(worker="w", now=world.now) == 0


def test_batched_reminders_queue_their_mails_with_the_event(world):
    # R: C5, E1 — the reminder's event is inserted with the batch, then its mail is queued
    # in the same transaction, pointing at that event.
    from casedesk.notifications.models import OutboundMessage

    cases = [world.alice_case, world.carol_case, world.gina_case]
    for case in cases:
        ask(world, case, world.now)
    OutboundMessage.objects.all().delete()
    assert worker_tick(worker="w", now=world.now + dt.timedelta(days=20), limit=10) == 3
    reminders = CaseEvent.objects.filter(kind=EventKind.FOLLOW_UP)
    mails = OutboundMessage.objects.filter(event__in=reminders)
    assert sorted(mails.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
