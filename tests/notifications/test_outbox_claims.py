"""Outbox claims, leases and back-off at their boundaries (security rules 7 and 8; issue 16).

Rows are written directly (no case, no rendering needed): these tests are about who may
send a message when, not about what it says. ``mark_sent`` is called directly: the race
it guards (a lease lapsing while the message is on the wire) cannot be staged over SMTP
without timing. Leases are set and judged by the database's clock (``NOW()``), so these
tests move a lease by rewriting ``claimed_until`` relative to the database's clock, never by
passing a later Python ``now``; the claim tag (``claim_tag``) is the fencing token.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import Now

from casedesk.notifications.marks import mark_sent
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import backoff, outbox_claim
from casedesk.scheduling.services import claim_tag
from tests.db_clock import frozen_db_clock

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


def db_now(m: OutboundMessage) -> dt.datetime:
    """The database's clock, read in the same way the claim statements read it."""
    rows = OutboundMessage.objects.filter(pk=m.pk)
    return rows.annotate(t=Now()).values_list("t", flat=True).get()


def lease_ends(delta: dt.timedelta, *messages: OutboundMessage) -> None:
    """Move the leases to end ``delta`` after the database's now (negative: lapsed)."""
    OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        claimed_until=Now() + delta
    )


def claim_checking_lease(m: OutboundMessage, claim, lease: dt.timedelta) -> list[int]:
    """Run ``claim()``; ``m``'s lease must end at the database's now (at the claim) plus
    ``lease``. Returns what ``claim()`` returned."""
    before = db_now(m)
    claimed = claim()
    after = db_now(m)
    m.refresh_from_db()
    assert before + lease <= m.claimed_until <= after + lease
    return claimed


def claimed_by_a_dead_worker(*names: str) -> list[OutboundMessage]:
    """Messages a worker claimed and then died on: their leases lapsed two hours ago."""
    rows = [message(name, T0 - dt.timedelta(hours=2)) for name in names]
    outbox_claim(worker=claim_tag("dead"), now=T0 - dt.timedelta(hours=2))
    lease_ends(-dt.timedelta(hours=2), *rows)
    return rows


def test_due_exactly_now_is_claimed_a_moment_later_is_not():
    on_time = message("on-time", T0)
    message("early", T0 + dt.timedelta(microseconds=1))
    assert outbox_claim(worker="a", now=T0) == [on_time.pk]


def test_a_claim_records_worker_lease_and_attempt():
    m = message("m", T0)
    assert claim_checking_lease(m, lambda: outbox_claim(worker="a", now=T0), LEASE) == [m.pk]
    assert (m.state, m.claimed_by, m.attempts) == (MessageState.SENDING, "a", 1)


def test_the_lease_length_comes_from_settings(settings):
    settings.OUTBOX_LEASE_SECONDS = 45
    m = message("m", T0)
    claimed = claim_checking_lease(
        m, lambda: outbox_claim(worker="a", now=T0), dt.timedelta(seconds=45)
    )
    assert claimed == [m.pk]


def test_the_lease_holds_until_its_end_and_lapses_just_after():
    m = message("m", T0)
    assert outbox_claim(worker="a", now=T0) == [m.pk]
    # A live lease holds whatever the claiming worker's own clock says.
    assert outbox_claim(worker="b", now=T0 + dt.timedelta(days=1)) == []
    lease_ends(dt.timedelta(seconds=1), m)
    assert outbox_claim(worker="b", now=T0) == []
    lease_ends(-dt.timedelta(microseconds=1), m)
    assert claim_checking_lease(m, lambda: outbox_claim(worker="b", now=T0), LEASE) == [m.pk]
    assert (m.state, m.claimed_by, m.attempts) == (MessageState.SENDING, "b", 2)


def test_a_lease_that_ends_exactly_now_still_holds():
    # Security rule 7: a lapsed lease may be retaken strictly after its end. With the
    # database's clock frozen, the claim sets the end to its NOW() + lease exactly; at that
    # very instant the message stays with its worker, one microsecond later it is retaken.
    m = message("m", T0)
    claimed_at = dt.datetime(2026, 11, 24, 14, 0, 0, 500_000, tzinfo=dt.UTC)
    with frozen_db_clock(claimed_at) as db_clock:
        assert outbox_claim(worker="a", now=T0) == [m.pk]
        m.refresh_from_db()
        assert m.claimed_until == claimed_at + LEASE
        db_clock.move_to(claimed_at + LEASE)
        assert outbox_claim(worker="b", now=T0 + dt.timedelta(days=1)) == []
        db_clock.move_to(claimed_at + LEASE + dt.timedelta(microseconds=1))
        assert outbox_claim(worker="b", now=T0) == [m.pk]
    m.refresh_from_db()
    assert (m.state, m.claimed_by, m.attempts) == (MessageState.SENDING, "b", 2)


def test_due_rows_first_in_due_order_then_lapsed_leases_within_the_limit():
    [lapsed] = claimed_by_a_dead_worker("lapsed")
    late = message("late", T0 - dt.timedelta(minutes=1))
    early = message("early", T0 - dt.timedelta(minutes=5))
    assert outbox_claim(worker="a", now=T0, limit=1) == [early.pk]
    assert outbox_claim(worker="b", now=T0, limit=2) == [late.pk, lapsed.pk]
    assert outbox_claim(worker="c", now=T0) == []


def test_a_full_batch_of_due_rows_leaves_lapsed_leases_for_the_next_tick():
    [lapsed] = claimed_by_a_dead_worker("lapsed")
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


def test_a_sent_row_is_never_taken_over_whatever_its_lease_says():
    message("m", T0, state=MessageState.SENT, claimed_until=T0 - dt.timedelta(hours=1))
    assert outbox_claim(worker="a", now=T0) == []


def test_lapsed_leases_fill_what_the_due_rows_leave_of_the_limit():
    lapsed = claimed_by_a_dead_worker("lapsed1", "lapsed2", "lapsed3")
    due = message("due", T0)
    claimed = outbox_claim(worker="a", now=T0, limit=3)
    assert claimed == [due.pk, lapsed[0].pk, lapsed[1].pk]


def test_marking_sent_needs_our_own_claim(caplog):
    # Our claim lapsed and a later tick took the message: our late "sent" must not
    # overwrite its claim, and says it may have been a duplicate. The fencing token is the
    # tick's claim tag, so even the same worker's next tick is "another claim".
    m = message("m", T0)
    first_tick, next_tick = claim_tag("a"), claim_tag("a")
    assert outbox_claim(worker=first_tick, now=T0) == [m.pk]
    lease_ends(-dt.timedelta(seconds=1), m)
    assert outbox_claim(worker=next_tick, now=T0) == [m.pk]
    m.refresh_from_db()
    assert mark_sent(m, first_tick, T0) is False
    m.refresh_from_db()
    assert (m.state, m.claimed_by, m.sent_at) == (MessageState.SENDING, next_tick, None)
    assert f"outbox {m.pk}: sent, but our claim had lapsed (possible duplicate)" in caplog.messages
    assert mark_sent(m, next_tick, T0) is True


def test_marking_sent_clears_the_claim_and_the_last_error_and_keeps_what_was_rendered():
    m = message("m", T0, last_error="SMTPServerDisconnected: earlier attempt")
    outbox_claim(worker="a", now=T0)
    m.refresh_from_db()
    m.subject, m.text_body, m.html_body = "Case opened", "Hello", "<p>Hello</p>"
    m.rendered_now = True
    assert mark_sent(m, "a", T0) is True
    m.refresh_from_db()
    assert (m.state, m.sent_at, m.claimed_until, m.last_error) == (
        MessageState.SENT,
        T0,
        None,
        "",
    )
    assert (m.subject, m.text_body, m.html_body) == ("Case opened", "Hello", "<p>Hello</p>")
