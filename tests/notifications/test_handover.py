"""The deadline step hands its mails to the outbox step of the same tick (issue 17 item 4;
C5, E1, convention 6, rule 7).

The reminders are inserted already claimed — as the claim statement would leave them,
the lease on the database's clock — and travel in memory to the outbox step. They must
still go out exactly once: not claimable by anyone else meanwhile, sent by a pump that
takes over when the worker dies before sending, and never handed over from a
transaction that rolled back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.models.functions import Now

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core import clock
from casedesk.notifications.handover import Handed, outbox_handover
from casedesk.notifications.marks import backoff
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import outbox_claim, outbox_pump
from casedesk.notifications.services import notify_case_event, notify_case_events
from casedesk.scheduling import worker
from casedesk.scheduling.services import worker_tick

pytestmark = pytest.mark.django_db(transaction=True)
LEASE = dt.timedelta(seconds=300)


@pytest.fixture(autouse=True)
def _earlier_mail_sent(due_world, settings):
    """On top of ``due_world`` (tests/conftest.py): every mail before the follow-up already
    sent, and the default outbox lease."""
    if hasattr(settings, "OUTBOX_LEASE_SECONDS"):
        del settings.OUTBOX_LEASE_SECONDS
    while outbox_pump(worker="before", now=clock.now(), limit=500):
        pass
    mail.outbox.clear()


def reminders():
    return OutboundMessage.objects.filter(kind="followup")


def lease_left(row: OutboundMessage) -> dt.timedelta:
    rows = OutboundMessage.objects.filter(pk=row.pk).annotate(t=Now())
    until, now = rows.values_list("claimed_until", "t").get()
    return until - now


def test_the_tick_inserts_its_reminders_claimed_and_the_outbox_step_sends_them(due_world):
    handed: list[Handed] = []
    with outbox_handover("w1", handed):
        assert worker_tick(worker="w1", now=clock.now()) >= 1
    (row,) = reminders()
    assert len(handed) == 1 and handed[0].tag.startswith("w1#")
    assert (row.state, row.claimed_by, row.attempts) == (MessageState.SENDING, handed[0].tag, 1)
    assert LEASE - dt.timedelta(seconds=30) < lease_left(row) <= LEASE  # the database's clock
    assert outbox_claim(worker="w2", now=clock.now() + dt.timedelta(days=1)) == []
    assert [m.pk for m in handed[0].messages] == [row.pk]

    assert outbox_pump(worker="w1", now=clock.now(), handed=handed) == 1
    assert handed == []
    row.refresh_from_db()
    assert row.state == MessageState.SENT
    assert [m.to for m in mail.outbox] == [[due_world.alice_case.contact.email]]
    assert "Reminder #1" in mail.outbox[0].body
    assert outbox_pump(worker="w1", now=clock.now()) == 0  # nothing left to send twice


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="NOW() is per transaction there")
def test_the_lease_runs_from_the_insert_not_from_the_start_of_a_long_batch(due_world):
    # rule 7: the sender's safe window (half the lease from just before the insert) must
    # end inside the lease the database holds, however long the batch ran before it.
    # Django's Now() is PostgreSQL's STATEMENT_TIMESTAMP(); NOW() (the transaction's
    # start) would end the lease early by the batch's run time, and fail this.
    handed: list[Handed] = []
    with outbox_handover("w1", handed), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.05), clock_timestamp()")
            (_, before_insert) = cursor.fetchone()
        assert worker_tick(worker="w1", now=clock.now()) >= 1
    (row,) = reminders()
    assert row.claimed_until >= before_insert + LEASE


def test_the_worker_loop_sends_the_reminder_in_the_tick_that_queued_it(due_world):
    worker.run_worker(once=True, idle_sleep=0)
    (row,) = reminders()
    assert row.state == MessageState.SENT and row.attempts == 1
    assert len(mail.outbox) == 1


def test_a_worker_that_dies_before_sending_leaves_them_to_any_pump_once_the_lease_ends(
    due_world,
):
    handed: list[Handed] = []
    with outbox_handover("dies", handed):
        worker_tick(worker="dies", now=clock.now())
    # The worker is gone: its handed claim is never sent. Until the lease ends nobody
    # else may take the reminder; then the lapsed-lease path does, exactly once.
    assert outbox_pump(worker="other", now=clock.now()) == 0
    reminders().update(claimed_until=Now() - dt.timedelta(seconds=1))
    assert outbox_pump(worker="other", now=clock.now()) == 1
    assert outbox_pump(worker="other", now=clock.now()) == 0
    assert len(mail.outbox) == 1
    (row,) = reminders()
    assert row.state == MessageState.SENT and row.attempts == 2


def test_a_rolled_back_transaction_hands_nothing_over(due_world):
    case = due_world.alice_case
    handed: list[Handed] = []
    with outbox_handover("w1", handed), pytest.raises(RuntimeError), transaction.atomic():
        event = CaseEvent.objects.create(
            case=case, at=clock.now(), kind=EventKind.FOLLOW_UP, body="x", data={"step": 1}
        )
        notify_case_event(event=event, now=clock.now())
        assert reminders().count() == 1
        raise RuntimeError("the batch failed")
    assert handed == [] and not reminders().exists()


def test_a_mail_queued_again_is_not_handed_over_twice(due_world):
    """A batch run again after a crash finds its mail queued already (idempotency key):
    the row stays as it is and is not part of the new claim."""
    case = due_world.alice_case
    with transaction.atomic():
        event = CaseEvent.objects.create(
            case=case, at=clock.now(), kind=EventKind.FOLLOW_UP, body="x", data={"step": 1}
        )
        notify_case_event(event=event, now=clock.now())
    handed: list[Handed] = []
    with outbox_handover("w1", handed), transaction.atomic():
        (again,) = notify_case_event(event=event, now=clock.now())
    # Not written, so not claimed: not even the returned instance says otherwise.
    assert again.pk is None
    assert (again.state, again.claimed_by, again.attempts) == (MessageState.PENDING, "", 0)
    (row,) = reminders()
    assert row.state == MessageState.PENDING and row.claimed_by == ""
    assert [h.messages for h in handed] == [[]]
    assert outbox_pump(worker="w1", now=clock.now(), handed=handed) == 1
    assert len(mail.outbox) == 1


def test_in_a_batch_only_the_rows_written_are_claimed_and_sent_by_the_handover(due_world):
    """One INSERT, one row queued already and one new: the claim is the new row's alone;
    the old one is left to the ordinary pump, and each mail goes out once."""
    case = due_world.alice_case
    with transaction.atomic():
        first = CaseEvent.objects.create(
            case=case, at=clock.now(), kind=EventKind.FOLLOW_UP, body="x", data={"step": 1}
        )
        notify_case_event(event=first, now=clock.now())
    handed: list[Handed] = []
    with outbox_handover("w1", handed), transaction.atomic():
        second = CaseEvent.objects.create(
            case=case, at=clock.now(), kind=EventKind.FOLLOW_UP, body="y", data={"step": 2}
        )
        skipped, written = notify_case_events(events=[first, second], now=clock.now())
    (claim,) = handed
    assert skipped.pk is None and (skipped.state, skipped.claimed_by) == (MessageState.PENDING, "")
    assert written.pk is not None and (written.state, written.claimed_by) == (
        MessageState.SENDING,
        claim.tag,
    )
    assert claim.messages == [written]
    old = reminders().get(event=first)
    assert (old.state, old.claimed_by, old.attempts) == (MessageState.PENDING, "", 0)

    assert outbox_pump(worker="w1", now=clock.now(), handed=handed) == 2
    assert outbox_pump(worker="w1", now=clock.now()) == 0
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        reminders().values_list("message_id", flat=True)
    )
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("trouble", ["deferred", "server down"])
def test_a_handed_reminder_whose_send_fails_backs_off_and_is_released_at_once(
    due_world, smtp, settings, dead_port, fresh_smtp_session, trouble
):
    """A failed send of a handed-over reminder is recorded as the ordinary pump records
    its own (E1, rule 7): the attempt, the error, the back-off, and the claim released —
    not held until the lease ends. After the back-off any pump sends it, once."""
    alice = due_world.alice_case.contact.email
    port = settings.EMAIL_PORT
    if trouble == "deferred":
        smtp.defer.add(alice.lower())  # 450 to RCPT TO: try again later
    else:
        settings.EMAIL_PORT = dead_port
    at = clock.now()
    handed: list[Handed] = []
    with outbox_handover("w1", handed):
        worker_tick(worker="w1", now=at)
    assert outbox_pump(worker="w1", now=at, handed=handed) == 0
    (row,) = reminders()
    assert (row.state, row.attempts, row.claimed_by, row.claimed_until) == (
        MessageState.PENDING,
        1,
        "",
        None,
    )
    assert row.next_attempt_at == at + backoff(1)
    assert ("(450, " if trouble == "deferred" else "Connection refused") in row.last_error

    smtp.defer.clear()
    settings.EMAIL_PORT = port
    assert outbox_pump(worker="w2", now=at + backoff(1) - dt.timedelta(seconds=1)) == 0
    assert outbox_pump(worker="w2", now=at + backoff(1)) == 1  # no lease to wait out
    assert outbox_pump(worker="w2", now=at + dt.timedelta(hours=1)) == 0
    assert [r.rcpt_tos for r in smtp.messages] == [[alice]]
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (MessageState.SENT, 2, "")
