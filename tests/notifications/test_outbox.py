"""Outbound mail through the outbox and a real SMTP conversation (E1, E4, C3; rules 5, 7)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
import time_machine
from django.db import transaction
from django.db.models.functions import Now

from casedesk.cases import services
from casedesk.cases.models import CaseEvent, EventKind
from casedesk.escalations.models import Escalation
from casedesk.escalations.services import (
    EscalationRequest,
    escalation_request,
    escalation_resolve,
)
from casedesk.mail.reference import find_reference_tokens, reference_token, reference_valid
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.rendering import thread_root
from casedesk.notifications.sending import backoff, outbox_claim, outbox_pump, outbox_send
from casedesk.notifications.services import notify_case_event
from casedesk.scheduling.services import worker_tick

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def pump(at: dt.datetime, worker: str = "test-worker") -> int:
    return outbox_pump(worker=worker, now=at, limit=500)


def tick(at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return worker_tick(worker="test-worker", now=at)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return text.get_content(), html.get_content()


def mails_to(smtp, address: str) -> list[EmailMessage]:
    return [r.message for r in smtp.messages if address in r.rcpt_tos]


def kinds(case) -> list[tuple[str, str]]:
    return [(m.kind, m.to[0]) for m in OutboundMessage.objects.filter(case=case).order_by("id")]


def test_case_opened_mail_over_real_smtp(smtp, world):
    # R: E1, E2 — reference ID in subject and body, threading headers, text + HTML parts.
    case = world.alice_case
    assert pump(world.now) == 3  # the world's three cases, one opening mail each
    [message] = mails_to(smtp, "alice@acme.example")
    token = reference_token(case.pk, case.organisation_id)
    subject = message["Subject"]
    assert subject.startswith(f"[{case.number}] Case opened: {case.subject}")
    assert subject.endswith(f"[{token}]")
    found = find_reference_tokens(subject)
    assert found == [token] and reference_valid(found[0], case.organisation_id)
    text, html = parts(message)
    for body in (text, html):
        assert str(token) in body and case.number in body
        assert f"https://support.casedesk.example/cases/{case.number}/" in body
    assert message["From"] == "support@casedesk.example"
    assert message["Message-ID"].endswith("@casedesk.example>")
    root = thread_root(case)
    assert message["In-Reply-To"] == root and message["References"] == root
    assert root.startswith(f"<case-{case.pk}.") and str(token.signature) not in root
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Casedesk-Case"] == case.number
    row = OutboundMessage.objects.get(case=case, kind="opened")
    assert row.state == MessageState.SENT and row.sent_at == world.now and row.attempts == 1
    assert row.message_id == message["Message-ID"]
    # Message-IDs are unique per message.
    ids = [r.message["Message-ID"] for r in smtp.messages]
    assert len(set(ids)) == len(ids)
    assert pump(world.now + dt.timedelta(minutes=5)) == 0  # nothing is sent twice
    assert len(smtp.messages) == 3


def test_every_e1_kind_reaches_its_recipients(smtp, world):
    # R: E1, B5, B6, B7 — one case walked through its life; who gets which mail.
    case, alice, eve = world.alice_case, world.alice, world.engineer
    at = world.now
    services.case_assign(case=case, actor=eve, assignee=eve, now=at)
    services.case_add_update(case=case, actor=eve, body="Which campaign?", now=at)
    services.case_add_update(case=case, actor=eve, body="Looks like pacing", now=at, internal=True)
    services.case_transition(
        case=case,
        actor=eve,
        action="request_info",
        to="info_required",
        reason="Send the log",
        now=at,
    )
    services.case_add_update(case=case, actor=alice, body="Log attached", now=at)
    services.case_transition(
        case=case,
        actor=eve,
        action="propose_solution",
        to="fixed_software_provided",
        reason="Install 9.2.2",
        now=at,
    )
    services.case_transition(
        case=case,
        actor=alice,
        action="close",
        to="resolved",
        reason="Works now",
        close_reason="solution_accepted",
        now=at,
    )
    services.case_reopen(case=case, actor=eve, information="Customer phoned: back", now=at)
    assert kinds(case) == [
        ("opened", "alice@acme.example"),
        ("reply", "alice@acme.example"),
        ("info_requested", "alice@acme.example"),
        ("customer_update", "eve@support.example"),
        ("solution_proposed", "alice@acme.example"),
        ("closed", "alice@acme.example"),
        ("reopened", "alice@acme.example"),
    ]
    pump(at)
    subjects = [m["Subject"] for m in mails_to(smtp, "alice@acme.example")]
    assert [s.split("] ", 1)[1].split(":")[0] for s in subjects] == [
        "Case opened",
        "New reply",
        "Information needed",
        "Solution proposed",
        "Case closed",
        "Case re-opened",
    ]
    [update] = mails_to(smtp, "eve@support.example")
    text, _ = parts(update)
    assert "Log attached" in text and f"/console/cases/{case.number}/" in text
    reopened = mails_to(smtp, "alice@acme.example")[-1]
    assert "Customer phoned: back" in parts(reopened)[0]
    closed = next(m for m in mails_to(smtp, "alice@acme.example") if "Case closed" in m["Subject"])
    assert "/survey/" in parts(closed)[0] and "/survey/" in parts(closed)[1]


def test_internal_notes_never_mail_the_customer(smtp, world):
    # R: E1, B5 — internal notes, assignments and milestones stay inside support.
    case = world.alice_case
    services.case_assign(case=case, actor=world.engineer, assignee=world.engineer, now=world.now)
    services.case_add_update(
        case=case,
        actor=world.engineer,
        body="secret internal pacing note",
        now=world.now,
        internal=True,
    )
    pump(world.now)
    for received in smtp.messages:
        assert b"secret internal" not in received.data
    assert [k for k, _ in kinds(case)] == ["opened"]


def test_followups_and_final_notice_with_survey(smtp, world):
    # R: E1, C5, B6 — reminders #1, #2 and the final notice (with the survey link, no
    # separate "closed" mail) to the contact.
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    case = services.case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the dialer log",
        now=start,
    )
    for day in (
        dt.datetime(2026, 11, 26, 14, tzinfo=UTC),
        dt.datetime(2026, 12, 1, 14, tzinfo=UTC),
        dt.datetime(2026, 12, 8, 14, tzinfo=UTC),
    ):
        assert tick(day) == 1
    assert [k for k, _ in kinds(case)] == [
        "opened",
        "info_requested",
        "followup",
        "followup",
        "final_notice",
    ]
    pump(dt.datetime(2026, 12, 8, 14, tzinfo=UTC))
    final = mails_to(smtp, "alice@acme.example")[-1]
    assert "Case closed (no response)" in final["Subject"]
    text, html = parts(final)
    assert "/survey/" in text and "/survey/" in html and "re-open" in text


def test_milestone_warning_and_breach_go_to_engineer_and_managers(smtp, world):
    # R: C3 — warnings before breach and a breach notice to the assigned engineer and manager.
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    services.case_assign(
        case=world.alice_case, actor=world.manager, assignee=world.engineer, now=start
    )
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=start
    )
    assert tick(dt.datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) == 1
    assert tick(dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC)) == 1
    rows = OutboundMessage.objects.filter(case=case, kind__startswith="milestone").order_by("id")
    assert [(r.kind, r.to, r.bcc) for r in rows] == [  # the managers in the envelope only
        ("milestone_warning", ["eve@support.example"], []),
        ("milestone_warning", [], ["max@support.example"]),
        ("milestone_breach", ["eve@support.example"], []),
        ("milestone_breach", [], ["max@support.example"]),
    ]
    pump(dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC))
    assert not [m for m in mails_to(smtp, "alice@acme.example") if "SLA target" in m["Subject"]]
    breach = mails_to(smtp, "max@support.example")[-1]
    assert "SLA target breached" in breach["Subject"]
    assert f"/console/cases/{case.number}/" in parts(breach)[0]


def test_escalation_goes_to_the_management_address(smtp, world):
    # R: E4, C6 — the request with its template fields, to CASEDESK_MANAGEMENT_EMAIL; the
    # outcome back to whoever asked.
    at = dt.datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    request = EscalationRequest(
        kind="standard",
        reason="Go-live <Monday> at risk",
        summary="Dialer stops",
        expectations="A fix plan",
        critical_dates="Go-live Mon 7 Dec",
    )
    escalation_request(case=world.alice_case, actor=world.alice, request=request, now=at)
    pump(at)
    [mail] = mails_to(smtp, "management@casedesk.example")
    assert "Escalation" in mail["Subject"] and world.alice_case.number in mail["Subject"]
    text, html = parts(mail)
    assert "Acme – CS-" in text and "Go-live <Monday> at risk" in text
    assert "Go-live &lt;Monday&gt; at risk" in html and "<Monday>" not in html  # rule 5
    escalation_resolve(
        escalation=Escalation.objects.get(case=world.alice_case),
        actor=world.manager,
        state="resolved",
        outcome="Hot fix 9.2.2-HF1 scheduled for Friday",
        now=at,
    )
    pump(at)
    [outcome] = mails_to(smtp, "alice@acme.example")[-1:]
    assert "Escalation outcome" in outcome["Subject"]
    assert "Hot fix 9.2.2-HF1" in parts(outcome)[0] and "/cases/CS-" in parts(outcome)[0]


def test_html_escapes_what_customers_write(smtp, world):
    # R: rule 5 — subject and body are escaped in HTML; no header injection from a subject.
    case = world.open_case(
        world.alice,
        subject="<script>alert(1)</script>\nBcc: evil@example.com",
        description="<img src=x onerror=alert(1)>",
    )
    pump(world.now)
    [mail] = [m for m in mails_to(smtp, "alice@acme.example") if case.number in m["Subject"]]
    _, html = parts(mail)
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert mail["Bcc"] is None and "\n" not in mail["Subject"]
    assert all("evil" not in rcpt for r in smtp.messages for rcpt in r.rcpt_tos)


def test_smtp_down_backs_off_then_sends_exactly_once(settings, dead_port, world):
    # R: rule 7, convention 6 — nothing lost while the server is down, nothing sent twice.
    from .smtp_sink import start_sink

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", dead_port, 2
    at = world.now
    assert pump(at) == 0
    row = OutboundMessage.objects.get(case=world.alice_case)
    assert row.state == MessageState.PENDING and row.attempts == 1
    assert row.next_attempt_at == at + backoff(1) and "Connection refused" in row.last_error
    assert pump(at + dt.timedelta(seconds=59)) == 0  # still backing off: not even tried
    row.refresh_from_db()
    assert row.attempts == 1
    assert pump(at + backoff(1)) == 0
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == at + backoff(1) + backoff(2)
    controller, handler = start_sink()
    try:
        settings.EMAIL_PORT = controller.port
        later = at + dt.timedelta(hours=1)
        assert pump(later) == 3
        assert pump(later + dt.timedelta(hours=1)) == 0
        assert sum("alice@acme.example" in r.rcpt_tos for r in handler.messages) == 1
    finally:
        controller.stop()
    row.refresh_from_db()
    assert row.state == MessageState.SENT and row.attempts == 3 and row.sent_at == later


def test_gives_up_after_max_attempts_and_on_permanent_refusal(settings, smtp, world):
    # R: rule 7 — a failed message stays visible with its error.
    smtp.refuse.add("alice@acme.example")
    pump(world.now)
    row = OutboundMessage.objects.get(case=world.alice_case)
    assert row.state == MessageState.FAILED and "550" in row.last_error
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == 2
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.EMAIL_PORT = 1  # nothing listens on port 1
    case = world.open_case(world.bob)
    pump(world.now)
    pump(world.now + dt.timedelta(hours=1))
    row = OutboundMessage.objects.get(case=case)
    assert row.state == MessageState.FAILED and row.attempts == 2


def test_rollback_leaves_no_outbox_row(world):
    # R: convention 6, rule 7 — a change that rolled back mails nobody.
    before = OutboundMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_add_update(
            case=world.alice_case, actor=world.engineer, body="never sent", now=world.now
        )
        assert OutboundMessage.objects.count() == before + 1
        raise RuntimeError("the request failed after the write")
    assert OutboundMessage.objects.count() == before
    assert not CaseEvent.objects.filter(body="never sent").exists()


def test_one_event_never_yields_two_mails_to_one_recipient(world):
    # R: rule 7 — the idempotency key holds when the notification code runs again.
    event = CaseEvent.objects.filter(case=world.alice_case, kind=EventKind.OPENED).get()
    with transaction.atomic():
        notify_case_event(event=event, now=world.now)
        notify_case_event(event=event, now=world.now)
    assert OutboundMessage.objects.filter(event=event).count() == 1
    row = OutboundMessage.objects.get(event=event)
    assert row.idempotency_key == f"event:{event.pk}:opened:alice@acme.example"


def test_claims_are_exclusive_and_leases_lapse(settings, world):
    # R: rule 7, rule 8 — two workers never hold the same message; a dead worker's lease ends.
    first = outbox_claim(worker="a", now=world.now, limit=2)
    second = outbox_claim(worker="b", now=world.now, limit=10)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert outbox_claim(worker="c", now=world.now, limit=10) == []
    # A worker whose clock runs an hour ahead still sees the claims as live: leases run
    # on the database's clock (issue 15 item 15).
    later = world.now + dt.timedelta(hours=1)
    assert outbox_claim(worker="c", now=later, limit=10) == []
    # The leases run out on the database's clock: now they are retaken.
    OutboundMessage.objects.update(claimed_until=Now() - dt.timedelta(seconds=1))
    assert sorted(outbox_claim(worker="c", now=world.now, limit=10)) == sorted(first + second)
    # Worker "a" comes back: its claim is gone, so it neither sends nor marks anything.
    assert outbox_send(ids=first, worker="a", now=later).sent == 0


def test_auto_submitted_events_mail_nobody(world):
    # R: E1 — an event the inbound path records for an auto-reply never answers it.
    with transaction.atomic():
        event = CaseEvent.objects.create(
            case=world.alice_case,
            at=world.now,
            actor=world.alice,
            kind=EventKind.CUSTOMER_UPDATE,
            body="Out of office",
            data={"auto_submitted": True},
        )
        assert notify_case_event(event=event, now=world.now) == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_sends_the_outbox(smtp, now):
    # R: E1, convention 6 — `casedesk worker` sends mail each tick, besides deadlines.
    from casedesk.scheduling.worker import run_worker
    from tests.factories import build_world

    world = build_world(now=now)
    run_worker(once=True, idle_sleep=0)
    assert len(mails_to(smtp, "alice@acme.example")) == 1
    assert OutboundMessage.objects.filter(state=MessageState.SENT).count() == 3
    assert world.alice_case.number in mails_to(smtp, "alice@acme.example")[0]["Subject"]


def test_care_sees_failed_mail_and_sends_it_again(client, settings, smtp, world):
    # R: rule 7 — a failed message is visible in the back office and can be queued again.
    smtp.refuse.add("alice@acme.example")
    pump(world.now)
    row = OutboundMessage.objects.get(case=world.alice_case)
    assert row.state == MessageState.FAILED
    client.force_login(world.care)
    world.care.is_superuser = True
    world.care.save()
    listing = client.get("/admin/notifications/outboundmessage/", {"state__exact": "failed"})
    assert listing.status_code == 200 and world.alice_case.number.encode() in listing.content
    smtp.refuse.clear()
    with time_machine.travel(world.now, tick=False):
        client.post(
            "/admin/notifications/outboundmessage/",
            {"action": "retry", "_selected_action": [row.pk]},
        )
    assert pump(world.now + dt.timedelta(minutes=1)) == 1
    row.refresh_from_db()
    assert row.state == MessageState.SENT and len(mails_to(smtp, "alice@acme.example")) == 1
