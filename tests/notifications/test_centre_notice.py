"""A new case's notice to the centre on shift is one message (issue 17 item 4; B, C2, E1,
rules 5 and 7, convention 6).

One outbox row, one rendering, one SMTP transaction with an RCPT TO per engineer; the
engineers are in the envelope only (``bcc``), so none sees another's address. Who hears
of a case is what it was with one row per engineer. A server that refuses some of the
recipients (a real aiosmtpd server here) leaves the message sent for the others and the
refused ones on a row of their own that follows the rules for a refused recipient.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction

from casedesk.accounts.models import Role
from casedesk.cases.models import CaseEvent, EventKind
from casedesk.cases.services import case_open
from casedesk.notifications import services as notify
from casedesk.notifications.marks import mark_sent_partly
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import backoff, outbox_claim, outbox_pump
from casedesk.scheduling.services import claim_tag
from casedesk.sla.models import Duty, RegionDuty
from tests.factories import draft, make_user, quiet
from tests.scenarios.desk import at, desk_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_smtp_session")]

LENA, OLGA, NATE = "lena@support.example", "olga@support.example", "nate@support.example"
MORNING = at(2026, 11, 25, 10)  # Wed: London's business hours
T0 = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    """London's two engineers (Olga also on call), New York's one."""
    cache.clear()  # the centre's engineers are cached a minute (sla.staffing)
    people = {
        "lena": make_user(LENA, role=Role.ENGINEER, region="emea"),
        "olga": make_user(OLGA, role=Role.ENGINEER, region="emea"),
        "nate": make_user(NATE, role=Role.ENGINEER, region="americas"),
    }
    RegionDuty.objects.create(user=people["olga"], region="emea", duty=Duty.ON_CALL)
    return people


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def sink(request, smtp):
    smtp.pipelining = request.param
    return smtp


def rows_of(case) -> list[tuple[str, list[str], list[str]]]:
    rows = OutboundMessage.objects.filter(case=case).order_by("id")
    return [(m.kind, m.to, sorted(m.bcc)) for m in rows]


def received(smtp, case) -> list:
    return [r for r in smtp.messages if r.message["X-Casedesk-Case"] == case.number]


def test_the_centre_hears_of_a_new_case_in_one_message_nobody_sees_the_others(staff, smtp):
    # R: B, C2, E1, issue 17 item 4 — one row and one SMTP transaction for the centre, the
    # customer's mail first; no engineer's address anywhere in what the engineers receive.
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, MORNING)
    assert rows_of(case) == [
        ("opened", ["alice@acme.example"], []),
        ("new_case", [], [LENA, OLGA]),
    ]
    assert outbox_pump(worker="w", now=MORNING, limit=500) >= 2
    opened, notice = received(smtp, case)
    assert opened.rcpt_tos == ["alice@acme.example"]
    assert sorted(notice.rcpt_tos) == [LENA, OLGA]
    message = notice.message
    assert message["To"] == "undisclosed-recipients:;" and message["Bcc"] is None
    assert message["Cc"] is None
    for address in (LENA, OLGA):
        assert address.encode() not in notice.data.lower()  # headers and both bodies
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "New case" in message["Subject"] and f"/console/cases/{case.number}/" in text
    row = OutboundMessage.objects.get(case=case, kind="new_case")
    routing = row.context["extra"]["routing"]
    assert routing and routing in text  # staff-only: how the case was routed
    customer = opened.message.get_body(preferencelist=("plain",)).get_content()
    assert "/console/" not in customer and routing not in customer
    assert row.state == MessageState.SENT and row.bcc == notice.rcpt_tos
    assert row.message_id == message["Message-ID"]


def test_the_centre_on_shift_follows_the_sun(staff):
    # R: C2 — at 22:00 UTC London is closed and New York serves the case.
    desk = desk_at(at(2026, 11, 24, 14))
    evening = desk.open(desk.world.alice, at(2026, 11, 25, 22))
    assert rows_of(evening) == [
        ("opened", ["alice@acme.example"], []),
        ("new_case", [], [NATE]),
    ]


def test_a_critical_case_at_night_is_one_urgent_message_to_the_on_call(staff):
    # R: B, C3 — Sat 03:00 UTC, Production Down: London's engineers through on-call.
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(
        desk.world.alice,
        at(2026, 11, 28, 3),
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
    )
    assert rows_of(case) == [
        ("opened", ["alice@acme.example"], []),
        ("urgent_case", [], [LENA, OLGA]),
    ]
    notice = OutboundMessage.objects.get(case=case, kind="urgent_case")
    assert notice.context["staff"] is True and notice.context["extra"]["on_call"] is True


def test_an_engineer_opening_a_case_by_phone_is_not_told_of_it(staff):
    # R: B, C2 — the opener is left out of the notice; the contact is never in it.
    desk = desk_at(at(2026, 11, 24, 14))
    world = desk.world
    case = quiet(
        case_open(
            contact=world.alice,
            draft=draft(world.acme_contract, world.catalogue),
            now=MORNING,
            opened_by=staff["lena"],
        )
    )
    assert rows_of(case) == [
        ("opened", ["alice@acme.example"], []),
        ("new_case", [], [OLGA]),
    ]


def test_a_new_case_notice_is_queued_once_however_often_its_event_is_notified(staff):
    # R: rule 7 — the idempotency key is per event, kind and group of recipients.
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, MORNING)
    event = CaseEvent.objects.get(case=case, kind=EventKind.OPENED)
    with transaction.atomic():
        notify.notify_case_event(event=event, now=MORNING)
    assert rows_of(case) == [
        ("opened", ["alice@acme.example"], []),
        ("new_case", [], [LENA, OLGA]),
    ]


def test_a_large_centre_is_split_into_messages_a_server_must_take(staff, monkeypatch):
    # R: RFC 5321 4.5.3.1.8 — at most MAX_RECIPIENTS envelope recipients per message.
    monkeypatch.setattr(notify, "MAX_RECIPIENTS", 1)
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, MORNING)
    notices = OutboundMessage.objects.filter(case=case, kind="new_case").order_by("id")
    assert [m.bcc for m in notices] == [[LENA], [OLGA]]
    assert len({m.message_id for m in notices}) == 2
    assert all(m.idempotency_key.endswith(f":people{n}") for n, m in enumerate(notices))


def test_djangos_backends_get_the_engineers_as_bcc(staff, settings):
    # The demo's file backend and the tests' memory backend: same envelope, same header.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, MORNING)
    mail.outbox.clear()
    outbox_pump(worker="w", now=MORNING, limit=500)
    ours = [m for m in mail.outbox if m.extra_headers.get("X-Casedesk-Case") == case.number]
    assert [m.to for m in ours] == [["alice@acme.example"], []]
    notice = ours[1]
    assert notice.to == [] and sorted(notice.bcc) == [LENA, OLGA]
    assert sorted(notice.recipients()) == [LENA, OLGA]
    header = notice.message()
    assert header["To"] == "undisclosed-recipients:;" and header["Bcc"] is None


def queue(*, to=(), bcc=(), staff=False, prefix="m", due=T0) -> OutboundMessage:
    """A rendered message due at ``due``."""
    return OutboundMessage.objects.create(
        kind="new_case" if staff else "reply",
        to=list(to),
        bcc=list(bcc),
        subject=f"Subject {prefix}",
        text_body=f"Body {prefix}.",
        html_body=f"<p>Body {prefix}.</p>",
        message_id=f"<{prefix}@casedesk.test>",
        idempotency_key=prefix,
        context={"staff": staff},
        next_attempt_at=due,
        created_at=T0,
    )


A, B, C = "a@support.example", "b@support.example", "c@support.example"


def test_a_recipient_the_server_refuses_gets_a_failed_message_of_its_own(sink):
    # R: E1, convention 6 — 550 for B: the message is sent to A and C (one transaction),
    # B's copy is a failed row for care, with the same text and its own Message-ID.
    row = queue(bcc=[A, B, C])
    sink.refuse.add(B)
    now = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=now) == 1
    [got] = sink.messages
    assert got.rcpt_tos == [A, C]
    row.refresh_from_db()
    assert (row.state, row.bcc, row.sent_at) == (MessageState.SENT, [A, C], now)
    assert B in row.last_error and "550" in row.last_error
    moved = OutboundMessage.objects.exclude(pk=row.pk).get()
    assert (moved.state, moved.to, moved.bcc, moved.attempts) == (MessageState.FAILED, [], [B], 1)
    assert "550" in moved.last_error and moved.message_id != row.message_id
    assert (moved.subject, moved.text_body, moved.html_body) == (
        row.subject,
        row.text_body,
        row.html_body,
    )
    assert moved.idempotency_key == f"outbox:{row.pk}:refused"
    assert sink.connections == 1
    assert outbox_pump(worker="w", now=now + dt.timedelta(days=1)) == 0  # nothing again


def test_a_recipient_deferred_by_the_server_is_retried_alone_after_the_back_off(sink):
    # R: E1, rule 7 — 450 for C and 550 for B: A gets it now; B's copy fails; C's backs
    # off like any deferred message and goes to C alone when due. Each gets it once.
    row = queue(bcc=[A, B, C])
    sink.refuse.add(B)
    sink.defer.add(C)
    now = T0 + dt.timedelta(minutes=1)
    assert outbox_pump(worker="w", now=now) == 1
    rows = {tuple(m.bcc): m for m in OutboundMessage.objects.all()}
    assert set(rows) == {(A,), (B,), (C,)} and rows[(A,)].pk == row.pk
    assert rows[(A,)].state == MessageState.SENT
    assert rows[(B,)].state == MessageState.FAILED
    deferred = rows[(C,)]
    assert (deferred.state, deferred.attempts) == (MessageState.PENDING, 1)
    assert deferred.next_attempt_at == now + backoff(1) and "450" in deferred.last_error
    assert outbox_pump(worker="w", now=now + dt.timedelta(seconds=30)) == 0  # backing off
    sink.defer.clear()
    assert outbox_pump(worker="w", now=now + backoff(1)) == 1
    deferred.refresh_from_db()
    assert (deferred.state, deferred.attempts) == (MessageState.SENT, 2)
    assert [r.rcpt_tos for r in sink.messages] == [[A], [C]]
    assert outbox_pump(worker="w", now=now + dt.timedelta(days=1)) == 0


def test_a_deferred_recipient_on_the_last_attempt_is_failed(sink, settings):
    # R: convention 6 — OUTBOX_MAX_ATTEMPTS counts across the move.
    settings.OUTBOX_MAX_ATTEMPTS = 1
    queue(bcc=[A, C])
    sink.defer.add(C)
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 1
    moved = next(m for m in OutboundMessage.objects.all() if m.bcc == [C])
    assert moved.state == MessageState.FAILED and "450" in moved.last_error


@pytest.mark.parametrize(
    ("code_set", "state"), [("refuse", MessageState.FAILED), ("defer", MessageState.PENDING)]
)
def test_every_recipient_refused_is_a_failed_attempt_as_before(sink, code_set, state):
    # R: E1 — no recipient took it: nothing is sent and nothing moves; the row fails (5xx)
    # or backs off (4xx) as a whole.
    row = queue(bcc=[A, B])
    getattr(sink, code_set).update({A, B})
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 0
    assert not sink.messages
    row.refresh_from_db()
    assert row.state == state and row.bcc == [A, B] and row.sent_at is None
    assert OutboundMessage.objects.count() == 1


def test_an_address_that_cannot_be_written_is_refused_alone(sink):
    # R: rule 5 — a line break in one address must not cost the others their mail.
    queue(bcc=[A, "evil@example.com\r\nBcc: x@example.com"])
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 1
    assert [r.rcpt_tos for r in sink.messages] == [[A]]
    moved = next(m for m in OutboundMessage.objects.all() if m.bcc != [A])
    assert moved.state == MessageState.FAILED and "553" in moved.last_error


def test_a_partial_mark_needs_our_own_claim():
    # R: rule 7 — a stale worker marks nothing and moves nobody.
    row = queue(bcc=[A, B])
    ours, theirs = claim_tag("a"), claim_tag("b")
    outbox_claim(worker=ours, now=T0)
    row.refresh_from_db()
    assert mark_sent_partly(row, theirs, T0, {B: (550, b"no")}) is None
    row.refresh_from_db()
    assert row.state == MessageState.SENDING and row.bcc == [A, B]
    assert OutboundMessage.objects.count() == 1
    assert mark_sent_partly(row, ours, T0, {B: (550, b"no")}) == [MessageState.FAILED]


def test_customer_mail_goes_before_staff_notices_in_a_batch(sink):
    # An earlier case's notice to the centre is due first; the next case's "case opened"
    # mail still leaves before it.
    queue(bcc=[A, B], staff=True, prefix="notice", due=T0)
    queue(to=["alice@acme.example"], prefix="opened", due=T0 + dt.timedelta(seconds=1))
    assert outbox_pump(worker="w", now=T0 + dt.timedelta(minutes=1)) == 2
    assert [r.message["Message-ID"] for r in sink.messages] == [
        "<opened@casedesk.test>",
        "<notice@casedesk.test>",
    ]


def test_an_opening_queues_the_customers_mail_ahead_of_the_notice(staff):
    # The claim takes rows in due order, then id: the customer's mail is inserted first.
    desk = desk_at(at(2026, 11, 24, 14))
    OutboundMessage.objects.all().delete()
    case = desk.open(desk.world.alice, MORNING)
    claimed = outbox_claim(worker=claim_tag("w"), now=MORNING, limit=1)
    assert OutboundMessage.objects.get(pk=claimed[0]).kind == "opened"
    assert OutboundMessage.objects.filter(case=case).count() == 2
