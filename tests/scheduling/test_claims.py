"""Deadline claims and leases at their boundaries (convention 4, security rule 7; issue 16).

A deadline is due at ``due_at`` exactly; a claim holds until ``claimed_until`` and another
worker may take over strictly after it; only the claim holder (its tag) may run it. Leases
are set and judged by the database's clock (``NOW()``), so these tests move a lease by
rewriting ``claimed_until`` relative to the database's clock, never by passing a later
Python ``now``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import Now

from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.registry import HANDLERS
from casedesk.scheduling.services import deadline_run, deadline_schedule, deadlines_claim
from tests.db_clock import frozen_db_clock

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=300)  # DEFAULT_LEASE_SECONDS


@pytest.fixture(autouse=True)
def _default_lease(settings):
    """The code's own default lease, whatever the environment configures."""
    if hasattr(settings, "DEADLINE_LEASE_SECONDS"):
        del settings.DEADLINE_LEASE_SECONDS


@pytest.fixture
def ran():
    """A handler that records which deadlines ran."""
    seen: list[int] = []

    def run(deadline, now):
        seen.append(deadline.pk)
        return deadline.payload.get("outcome", f"ran at {now:%H:%M}")

    HANDLERS["test_record"] = run
    yield seen
    del HANDLERS["test_record"]


def schedule(key: str, due_at: dt.datetime, kind: str = "test_record", **payload) -> Deadline:
    return deadline_schedule(kind=kind, key=key, due_at=due_at, now=T0, payload=payload)


def db_now(d: Deadline) -> dt.datetime:
    """The database's clock, read in the same way the claim statements read it."""
    return Deadline.objects.filter(pk=d.pk).annotate(t=Now()).values_list("t", flat=True).get()


def lease_ends(d: Deadline, delta: dt.timedelta) -> None:
    """Move ``d``'s lease to end ``delta`` after the database's now (negative: lapsed)."""
    Deadline.objects.filter(pk=d.pk).update(claimed_until=Now() + delta)


def claim_checking_lease(d: Deadline, claim, lease: dt.timedelta) -> list[int]:
    """Run ``claim()``; ``d``'s lease must end at the database's now (at the claim) plus
    ``lease``. Returns what ``claim()`` returned."""
    before = db_now(d)
    claimed = claim()
    after = db_now(d)
    d.refresh_from_db()
    assert before + lease <= d.claimed_until <= after + lease
    return claimed


def test_due_exactly_now_is_claimed_a_moment_later_is_not(ran):
    on_time = schedule("on-time", T0)
    schedule("early", T0 + dt.timedelta(microseconds=1))
    assert deadlines_claim(worker="a", now=T0) == [on_time.pk]


def test_a_claim_records_worker_lease_and_attempt(ran):
    d = schedule("d", T0)
    claimed = claim_checking_lease(d, lambda: deadlines_claim(worker="a", now=T0), LEASE)
    assert claimed == [d.pk]
    assert (d.claimed_by, d.attempts) == ("a", 1)


def test_the_lease_length_comes_from_settings(settings, ran):
    settings.DEADLINE_LEASE_SECONDS = 45
    d = schedule("d", T0)
    claimed = claim_checking_lease(
        d, lambda: deadlines_claim(worker="a", now=T0), dt.timedelta(seconds=45)
    )
    assert claimed == [d.pk]


def test_the_lease_holds_until_its_end_and_lapses_just_after(ran):
    d = schedule("d", T0)
    assert deadlines_claim(worker="a", now=T0) == [d.pk]
    # A live lease holds whatever the claiming worker's own clock says.
    assert deadlines_claim(worker="b", now=T0 + dt.timedelta(days=1)) == []
    lease_ends(d, dt.timedelta(seconds=1))
    assert deadlines_claim(worker="b", now=T0) == []
    lease_ends(d, -dt.timedelta(microseconds=1))
    claimed = claim_checking_lease(d, lambda: deadlines_claim(worker="b", now=T0), LEASE)
    assert claimed == [d.pk]
    assert (d.claimed_by, d.attempts) == ("b", 2)


def test_a_lease_that_ends_exactly_now_still_holds(ran):
    # Security rule 7: another worker may take over strictly after the lease's end. With
    # the database's clock frozen, the claim sets the end to its NOW() + lease exactly;
    # at that very instant the lease holds, one microsecond later it has lapsed.
    d = schedule("d", T0)
    claimed_at = dt.datetime(2026, 11, 24, 14, 0, 0, 500_000, tzinfo=dt.UTC)
    with frozen_db_clock(claimed_at) as db_clock:
        assert deadlines_claim(worker="a", now=T0) == [d.pk]
        d.refresh_from_db()
        assert d.claimed_until == claimed_at + LEASE
        db_clock.move_to(claimed_at + LEASE)
        assert deadlines_claim(worker="b", now=T0 + dt.timedelta(days=1)) == []
        db_clock.move_to(claimed_at + LEASE + dt.timedelta(microseconds=1))
        assert deadlines_claim(worker="b", now=T0) == [d.pk]
    d.refresh_from_db()
    assert (d.claimed_by, d.attempts) == ("b", 2)


def test_oldest_first_and_at_most_limit(ran):
    late = schedule("late", T0 - dt.timedelta(minutes=1))
    early = schedule("early", T0 - dt.timedelta(minutes=5))
    middle = schedule("middle", T0 - dt.timedelta(minutes=3))
    assert deadlines_claim(worker="a", now=T0, limit=2) == [early.pk, middle.pk]
    assert deadlines_claim(worker="b", now=T0, limit=2) == [late.pk]
    assert deadlines_claim(worker="c", now=T0) == []


def test_the_default_limit_is_a_hundred(ran):
    for n in range(101):
        schedule(f"d{n}", T0)
    assert len(deadlines_claim(worker="a", now=T0)) == 100
    assert len(deadlines_claim(worker="b", now=T0)) == 1


@pytest.mark.parametrize(
    "state", [DeadlineState.DONE, DeadlineState.CANCELLED, DeadlineState.FAILED]
)
def test_finished_deadlines_are_never_claimed(ran, state):
    d = schedule("d", T0)
    Deadline.objects.filter(pk=d.pk).update(state=state)
    assert deadlines_claim(worker="a", now=T0 + dt.timedelta(days=1)) == []


def test_run_by_the_claim_holder_marks_it_done(ran):
    d = schedule("d", T0)
    deadlines_claim(worker="a", now=T0)
    later = T0 + dt.timedelta(minutes=1)
    assert deadline_run(deadline_id=d.pk, worker="a", now=later) is True
    d.refresh_from_db()
    assert (d.state, d.finished_at, d.outcome, d.claimed_until) == (
        DeadlineState.DONE,
        later,
        "ran at 14:01",
        None,
    )
    assert ran == [d.pk]


def test_running_one_deadline_finishes_only_that_one(ran):
    first, second = schedule("first", T0), schedule("second", T0)
    assert deadlines_claim(worker="a", now=T0) == [first.pk, second.pk]
    assert deadline_run(deadline_id=first.pk, worker="a", now=T0) is True
    second.refresh_from_db()
    assert (second.state, second.claimed_by) == (DeadlineState.PENDING, "a")
    assert ran == [first.pk]


def test_the_outcome_is_kept_up_to_2000_characters(ran):
    d = schedule("d", T0, outcome="x" * 2500)
    deadlines_claim(worker="a", now=T0)
    deadline_run(deadline_id=d.pk, worker="a", now=T0)
    d.refresh_from_db()
    assert d.outcome == "x" * 2000


def test_run_by_another_worker_changes_nothing(ran, caplog):
    d = schedule("d", T0)
    deadlines_claim(worker="a", now=T0)
    assert deadline_run(deadline_id=d.pk, worker="b", now=T0) is False
    assert f"deadline {d.pk}: claim lost, nothing committed" in caplog.messages
    d.refresh_from_db()
    assert (d.state, d.claimed_by, d.attempts) == (DeadlineState.PENDING, "a", 1)
    assert ran == []


def test_a_finished_deadline_does_not_run_again(ran):
    d = schedule("d", T0)
    deadlines_claim(worker="a", now=T0)
    assert deadline_run(deadline_id=d.pk, worker="a", now=T0) is True
    assert deadline_run(deadline_id=d.pk, worker="a", now=T0) is False
    assert ran == [d.pk]


def test_an_unknown_kind_is_recorded_as_a_failure(caplog):
    d = schedule("d", T0, kind="no_such_kind")
    deadlines_claim(worker="a", now=T0)
    assert deadline_run(deadline_id=d.pk, worker="a", now=T0) is False
    assert f"deadline {d.pk} failed" in caplog.messages
    d.refresh_from_db()
    assert d.state == DeadlineState.PENDING
    assert "no handler for deadline kind 'no_such_kind'" in d.last_error
    assert d.claimed_by == ""
