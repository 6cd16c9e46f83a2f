"""Outbox claims, leases and back-off at their boundaries (security rules 7 and 8; issue 16).

Rows are written directly (no case, no rendering needed): these tests are about who may
send a message when, not about what it says.
"""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import backoff, outbox_claim

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=300)  # OUTBOX_LEASE_SECONDS default


@pytest.fixture(autouse=True)
def _default_lease(settings):
    if hasattr(settings, "OUTBOX_LEASE_SECONDS"):
        del settings.OUTBOX_LEASE_SECONDS


def message(name: str, due: dt.datetime, **fields) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind="test",
        to=["alice@acme.example"],
        message_id=f"<{name}@casedesk.test>",
        idempotency_key=name,
        next_attempt_at=due,
        created_at=T0 - dt.timedelta(hours=1),
        **fields,
    )


def test_due_exactly_now_is_claimed_a_moment_later_is_not():
    on_time = message("on-time", T0)
    message("early", T0 + dt.timedelta(microseconds=1))
    assert outbox_claim(worker="a", now=T0) == [on_time.pk]


def test_a_claim_records_worker_lease_and_attempt():
    m = message("m", T0)
    assert outbox_claim(worker="a", now=T0) == [m.pk]
    m.refresh_from_db()
    assert (m.state, m.claimed_by, m.claimed_until, m.attempts) == (
        MessageState.SENDING,
        "a",
        T0 + LEASE,
        1,
    )


def test_the_lease_length_comes_from_settings(settings):
    settings.OUTBOX_LEASE_SECONDS = 45
    m = message("m", T0)
    outbox_claim(worker="a", now=T0)
    m.refresh_from_db()
    assert m.claimed_until == T0 + dt.timedelta(seconds=45)


def test_the_lease_holds_until_its_end_and_lapses_just_after():
    m = message("m", T0)
    outbox_claim(worker="a", now=T0)
    assert outbox_claim(worker="b", now=T0 + LEASE) == []
    after = T0 + LEASE + dt.timedelta(microseconds=1)
    assert outbox_claim(worker="b", now=after) == [m.pk]
    m.refresh_from_db()
    assert (m.state, m.claimed_by, m.claimed_until, m.attempts) == (
        MessageState.SENDING,
        "b",
        after + LEASE,
        2,
    )


def test_due_rows_first_in_due_order_then_lapsed_leases_within_the_limit():
    lapsed = message("lapsed", T0 - dt.timedelta(hours=2))
    outbox_claim(worker="dead", now=T0 - dt.timedelta(hours=2))
    late = message("late", T0 - dt.timedelta(minutes=1))
    early = message("early", T0 - dt.timedelta(minutes=5))
    assert outbox_claim(worker="a", now=T0, limit=1) == [early.pk]
    assert outbox_claim(worker="b", now=T0, limit=2) == [late.pk, lapsed.pk]
    assert outbox_claim(worker="c", now=T0) == []


def test_a_full_batch_of_due_rows_leaves_lapsed_leases_for_the_next_tick():
    lapsed = message("lapsed", T0 - dt.timedelta(hours=2))
    outbox_claim(worker="dead", now=T0 - dt.timedelta(hours=2))
    due = [message(f"due{n}", T0) for n in range(2)]
    assert outbox_claim(worker="a", now=T0, limit=2) == [d.pk for d in due]
    assert outbox_claim(worker="b", now=T0, limit=2) == [lapsed.pk]


def test_the_default_limit_is_a_hundred():
    for n in range(101):
        message(f"m{n}", T0)
    assert len(outbox_claim(worker="a", now=T0)) == 100
    assert len(outbox_claim(worker="b", now=T0)) == 1


@pytest.mark.parametrize("state", [MessageState.SENT, MessageState.FAILED])
def test_finished_messages_are_never_claimed(state):
    message("m", T0, state=state)
    assert outbox_claim(worker="a", now=T0 + dt.timedelta(days=1)) == []


def test_a_sending_row_without_a_lease_is_not_taken_over():
    # Only a lease that ran out frees a "sending" row; no lease at all is not "ran out".
    message("m", T0, state=MessageState.SENDING, claimed_by="a")
    assert outbox_claim(worker="b", now=T0 + dt.timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (9, 256), (10, 360), (30, 360)],
)
def test_backoff_doubles_from_one_minute_up_to_six_hours(attempts, minutes):
    assert backoff(attempts) == dt.timedelta(minutes=minutes)
