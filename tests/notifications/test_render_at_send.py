"""Outbox rows are queued cheaply and rendered by the send pump (E1, C5; rule 7; ADR 0004)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.mail.reference import reference_token
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.rendering import render_mail, thread_root
from casedesk.notifications.sending import outbox_pump
from casedesk.notifications.services import notify_case_events
from casedesk.scheduling.services import worker_tick

from .test_outbox import mails_to, parts

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def pump(at: dt.datetime) -> int:
    return outbox_pump(worker="test-worker", now=at, limit=500)


def outbox_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].startswith("INSERT") and 'INTO "notifications_outboundmessage"' in q["sql"]
        for q in queries.captured_queries
    )


def test_mail_rendered_at_send_time_matches_the_event_time_contract(smtp, world):
    # R: E1, E2, rule 7 — subject, headers and bodies are those of the event's moment, even
    # when the case's own fields change before the pump runs.
    case = Case.objects.get(pk=world.alice_case.pk)
    event = CaseEvent.objects.get(case=case, kind=EventKind.OPENED)
    extra = {"event": event, "actor": event.actor}
    expected = render_mail("opened", case=case, staff=False, extra=extra)
    row = OutboundMessage.objects.get(event=event)
    assert row.text_body == "" and row.subject == ""  # queued unrendered: cheap enqueue
    Case.objects.filter(pk=case.pk).update(subject="Renamed later", priority="critical")

    assert pump(world.now) == 3
    [message] = mails_to(smtp, "alice@acme.example")
    token = str(reference_token(case.pk, case.organisation_id))
    assert message["Subject"] == expected.subject and message["Subject"].endswith(f"[{token}]")
    assert "Renamed later" not in message["Subject"]
    text, html = parts(message)
    assert text.replace("\r\n", "\n").strip() == expected.text.strip()
    assert html.replace("\r\n", "\n").strip() == expected.html.strip()
    assert message["Message-ID"] == row.message_id
    assert message["In-Reply-To"] == message["References"] == thread_root(case)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Casedesk-Case"] == case.number
    row.refresh_from_db()  # the row keeps what went out, for care in the back office
    assert (row.state, row.subject, row.text_body) == (
        MessageState.SENT,
        expected.subject,
        expected.text,
    )


def test_recipients_are_fixed_when_the_event_happens(smtp, world):
    # R: E1, rule 7 — re-assigning the case after the update does not retarget its mail.
    case, eve = world.alice_case, world.engineer
    services.case_assign(case=case, actor=world.manager, assignee=eve, now=world.now)
    services.case_add_update(case=case, actor=world.alice, body="Log attached", now=world.now)
    Case.objects.filter(pk=case.pk).update(assignee=world.manager)
    pump(world.now)
    [update] = [m for m in smtp.messages if "Customer update" in m.message["Subject"]]
    assert update.rcpt_tos == ["eve@support.example"]


def test_a_mail_whose_event_is_gone_fails_and_does_not_block_the_batch(smtp, world):
    # R: rule 7 — nothing to render is a permanent failure, kept for care; the rest is sent.
    event = CaseEvent.objects.get(case=world.carol_case, kind=EventKind.OPENED)
    row = OutboundMessage.objects.get(event=event)
    CaseEvent.objects.filter(pk=event.pk).delete()
    assert pump(world.now) == 2
    row.refresh_from_db()
    assert row.state == MessageState.FAILED and "no longer exists" in row.last_error


def reminder(case: Case, at: dt.datetime, step: int = 1) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, at=at, kind=EventKind.FOLLOW_UP, body=f"Reminder #{step}", data={"step": step}
    )


def test_bulk_enqueue_one_row_per_recipient_in_one_insert_and_idempotent(world):
    # R: C5, E1, C3, rule 7 — many events, one INSERT; running it again adds nothing.
    services.case_assign(
        case=world.alice_case, actor=world.manager, assignee=world.engineer, now=world.now
    )
    OutboundMessage.objects.all().delete()
    cases = [Case.objects.get(pk=world.alice_case.pk), Case.objects.get(pk=world.carol_case.pk)]
    with transaction.atomic():
        events = [reminder(case, world.now) for case in cases]
        events.append(
            CaseEvent.objects.create(
                case=cases[0], at=world.now, kind=EventKind.MILESTONE, public=False, data={}
            )
        )
        with CaptureQueriesContext(connection) as queries:
            notify_case_events(events=events, now=world.now)
        assert outbox_inserts(queries) == 1
        assert len(queries.captured_queries) <= 4  # contacts+assignee, managers, insert (+sp)
        notify_case_events(events=events, now=world.now)
    rows = sorted((r.kind, r.to, r.bcc) for r in OutboundMessage.objects.all())
    assert rows == [
        ("followup", ["alice@acme.example"], []),
        ("followup", ["carol@acme.example"], []),
        ("milestone_warning", [], ["max@support.example"]),
        ("milestone_warning", ["eve@support.example"], []),
    ]


def test_bulk_enqueue_rolled_back_leaves_no_row(world):
    # R: rule 7, convention 6 — the rows live and die with the events' transaction.
    before = OutboundMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_case_events(events=[reminder(world.alice_case, world.now)], now=world.now)
        assert OutboundMessage.objects.count() == before + 1
        raise RuntimeError("the batch failed after the write")
    assert OutboundMessage.objects.count() == before


def test_worker_batch_queues_all_reminder_mails_with_one_insert(smtp, world):
    # R: C5, E1 — the batched worker's reminders share one outbox INSERT; each is sent once.
    at = world.now
    for case in (world.alice_case, world.carol_case, world.gina_case):
        services.case_transition(
            case=case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="logs please",
            now=at,
        )
    pump(at)
    smtp.messages.clear()
    later = at + dt.timedelta(days=20)
    with CaptureQueriesContext(connection) as queries:
        assert worker_tick(worker="w", now=later, limit=10) == 3
    assert outbox_inserts(queries) == 1
    assert pump(later) == 3 and pump(later) == 0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [
        "alice@acme.example",
        "carol@acme.example",
        "gina@globex.example",
    ]
    assert all("Reminder" in m.message["Subject"] for m in smtp.messages)
