"""The pipelined SMTP session of the send pump (issue 17 item 3; E1, rule 7, convention 6).

A real aiosmtpd server (``smtp`` fixture), with and without PIPELINING advertised. What
must hold whatever the wire does: a message is marked ``sent`` only once the server's 250
for it was read; nothing accepted is sent again; a message whose claim is no longer ours
is never sent.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections import Counter

import pytest
from django.db.models.functions import Now

from casedesk.notifications import sending, smtp_pipe
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import backoff, outbox_claim, outbox_pump, outbox_send
from casedesk.scheduling.services import claim_tag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_smtp_session")]

T0 = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def sink(request, smtp):
    smtp.pipelining = request.param
    return smtp


def queue(count: int, *, prefix: str = "m") -> list[str]:
    """``count`` rendered messages due at T0, in due order; their Message-IDs."""
    ids = [f"<{prefix}-{n}@casedesk.test>" for n in range(count)]
    for n, message_id in enumerate(ids):
        OutboundMessage.objects.create(
            kind="test",
            to=[f"person{n}@acme.example"],
            subject=f"Update {n}",
            text_body=f"Update number {n}.\n.\nA line that is only a dot, above.",
            html_body=f"<p>Update number {n}.</p>" if n % 2 else "",
            message_id=message_id,
            idempotency_key=message_id,
            next_attempt_at=T0 + dt.timedelta(seconds=n),
            created_at=T0,
        )
    return ids


def arrived(sink) -> Counter[str]:
    with sink.lock:
        return Counter(r.message["Message-ID"] for r in sink.messages)


def sent_ids() -> set[str]:
    return set(
        OutboundMessage.objects.filter(state=MessageState.SENT).values_list("message_id", flat=True)
    )


def test_every_message_arrives_once_with_its_body_intact(sink):
    ids = queue(7)
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 7
    assert arrived(sink) == Counter(dict.fromkeys(ids, 1))
    first = next(r.message for r in sink.messages if r.message["Message-ID"] == ids[1])
    assert first["Subject"] == "Update 1" and first["Auto-Submitted"] == "auto-generated"
    text = first.get_body(preferencelist=("plain",)).get_content()
    assert text.splitlines() == ["Update number 1.", ".", "A line that is only a dot, above."]
    assert sent_ids() == set(ids)


def test_a_session_dropped_mid_batch_marks_only_what_was_accepted(sink):
    # R: issue 17 item 3 — the server drops the connection at the 5th DATA: the 4 it
    # accepted are marked sent, the one in flight and the rest back off (not sent), and
    # the next attempt sends exactly those; every Message-ID arrives once.
    ids = queue(10)
    sink.drop_after = 4
    at = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=at) == 4
    assert arrived(sink) == Counter(dict.fromkeys(ids[:4], 1))
    assert sent_ids() == set(ids[:4])
    rest = OutboundMessage.objects.exclude(state=MessageState.SENT)
    assert rest.count() == 6
    assert all(
        m.state == MessageState.PENDING and m.attempts == 1 and m.next_attempt_at == at + backoff(1)
        for m in rest
    )
    assert outbox_pump(worker="w", now=at + dt.timedelta(seconds=30)) == 0  # backing off
    assert outbox_pump(worker="w", now=at + backoff(1)) == 6
    assert arrived(sink) == Counter(dict.fromkeys(ids, 1))
    assert sent_ids() == set(ids)


def test_a_refused_recipient_fails_alone_and_the_session_goes_on(sink):
    ids = queue(5)
    sink.refuse.add("person2@acme.example")
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 4
    assert set(arrived(sink)) == set(ids) - {ids[2]}
    failed = OutboundMessage.objects.get(message_id=ids[2])
    assert failed.state == MessageState.FAILED and "550" in failed.last_error
    assert sink.connections == 1


def test_a_refused_sender_fails_each_message_and_sends_nothing(sink):
    queue(3)
    sink.refuse_sender = True
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 0
    assert not arrived(sink)
    rows = OutboundMessage.objects.all()
    assert all(m.state == MessageState.FAILED and "550" in m.last_error for m in rows)
    assert sink.connections == 1  # the session survived every refusal


def test_the_session_stays_open_across_pumps_and_is_replaced_when_dead(sink):
    queue(3, prefix="a")
    at = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=at) == 3
    queue(2, prefix="b")
    assert outbox_pump(worker="w", now=at) == 2
    assert sink.connections == 1  # one EHLO for both ticks
    # The connection died while idle (as when the server times an idle session out).
    smtp_pipe._local.session.smtp.sock.shutdown(socket.SHUT_RDWR)
    queue(2, prefix="c")
    assert outbox_pump(worker="w", now=at) == 2
    assert sink.connections == 2
    assert sum(arrived(sink).values()) == len(arrived(sink)) == 7


def test_a_claim_lost_at_the_point_of_no_return_sends_nothing_of_that_message(sink, monkeypatch):
    # R: rule 7 — the claim is checked after the server's 354 and before the content.
    # Refused for message 2: its DATA is abandoned by closing the connection (the server
    # stores nothing), the message after it goes back to the queue unspent, and the next
    # tick sends it. Message 2 stays with whoever holds its claim.
    ids = queue(3)
    second = OutboundMessage.objects.get(message_id=ids[1]).pk
    holds = sending._Claim.holds
    monkeypatch.setattr(sending._Claim, "holds", lambda self, pk: pk != second and holds(self, pk))
    at = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=at) == 1
    assert arrived(sink) == Counter({ids[0]: 1})
    rows = {m.message_id: m for m in OutboundMessage.objects.all()}
    assert rows[ids[1]].state == MessageState.SENDING
    assert (rows[ids[2]].state, rows[ids[2]].claimed_by, rows[ids[2]].attempts) == (
        MessageState.PENDING,
        "",
        0,
    )
    monkeypatch.undo()
    assert outbox_pump(worker="w", now=at) == 1
    assert arrived(sink) == Counter({ids[0]: 1, ids[2]: 1})


def test_the_claim_check_drops_messages_another_claim_holds():
    ids = queue(3)
    at = T0 + dt.timedelta(minutes=1)
    ours, theirs = claim_tag("a"), claim_tag("b")
    claimed = outbox_claim(worker=ours, now=at)
    second = OutboundMessage.objects.get(message_id=ids[1]).pk
    OutboundMessage.objects.filter(pk=second).update(claimed_by=theirs)
    claim = sending._Claim(ours, claimed, claimed_at=None)  # no local estimate: ask the DB
    assert [claim.holds(pk) for pk in claimed] == [True, False, True]


def test_a_lapsed_claim_is_renewed_before_sending_when_still_ours(sink):
    # The local lease estimate ran out (no claimed_at): one UPDATE renews the batch's
    # claim by the database's clock, and the batch goes out.
    ids = queue(4)
    at = T0 + dt.timedelta(minutes=1)
    tag = claim_tag("a")
    claimed = outbox_claim(worker=tag, now=at)
    OutboundMessage.objects.update(claimed_until=Now() + dt.timedelta(seconds=1))
    assert outbox_send(ids=claimed, worker=tag, now=at).sent == 4
    assert arrived(sink) == Counter(dict.fromkeys(ids, 1))


def test_no_server_backs_off_every_message(settings, dead_port):
    ids = queue(3)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", dead_port, 2
    at = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=at) == 0
    rows = OutboundMessage.objects.filter(message_id__in=ids)
    assert all(m.state == MessageState.PENDING and m.attempts == 1 for m in rows)
    assert all("Connection refused" in m.last_error for m in rows)


@pytest.mark.postgres_only
@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql", reason="needs PostgreSQL"
)
@pytest.mark.parametrize("durable", [False, True])
def test_quick_commits_last_for_the_send_loop_only(sink, settings, monkeypatch, durable):
    # The marks skip the WAL flush wait (notifications.commits) unless told otherwise; the
    # worker's other steps, after the pump, commit durably again.
    from django.db import connection

    settings.OUTBOX_DURABLE_MARKS = durable
    seen = []

    def show():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    real = sending.mark_sent
    monkeypatch.setattr(sending, "mark_sent", lambda *a: seen.append(show()) or real(*a))
    queue(2)
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 2
    assert seen == (["on", "on"] if durable else ["off", "off"])
    assert show() == "on"
