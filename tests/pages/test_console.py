"""Support console pages (B4-B10, A7, C4, H1): queue, case page, one form per action."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.models import Certification
from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent, EventKind

from .helpers import close_case, open_form_data, request_info, url

pytestmark = pytest.mark.django_db


def test_queue_renders_waiting_on_support_oldest_first(as_user, world):
    # R: B10
    response = as_user(world.engineer).get(url("console-queue"))
    body = response.content.decode()
    assert response.status_code == 200
    for case in (world.alice_case, world.carol_case, world.gina_case):
        assert case.number in body
    assert "On this page:" in body and "Contact Centre" in body
    assert "Care admin" not in body  # engineers do not get the admin link


def test_queue_filters(as_user, world):
    # R: B10, C2
    client = as_user(world.engineer)
    body = client.get(url("console-queue") + "?region=brazil").content.decode()
    assert world.gina_case.number in body and world.alice_case.number not in body
    request_info(world, world.alice_case)
    body = client.get(url("console-queue") + "?state=waiting_on_customer").content.decode()
    assert world.alice_case.number in body and world.carol_case.number not in body
    body = client.get(url("console-queue") + "?assignee=me").content.decode()
    assert "Nothing" in body or "No cases match" in body
    body = client.get(url("console-queue") + "?state=bogus&sort=bogus&page=-3").content.decode()
    assert world.carol_case.number in body


def test_care_and_manager_see_admin_link(as_user, world):
    for user in (world.care, world.manager):
        body = as_user(user).get(url("console-queue")).content.decode()
        assert "Care admin" in body and 'href="/admin/"' in body


def test_case_page_shows_everything_with_internal_notes_and_certifications(as_user, world):
    # R: A7, B5
    Certification.objects.create(
        contact=world.alice,
        product=world.catalogue["product"],
        version="9",
        function="Administrator",
        valid_until=dt.date(2027, 6, 30),
    )
    services.case_add_update(
        case=world.alice_case,
        actor=world.engineer,
        body="Looks like a DB lock",
        now=world.now,
        internal=True,
    )
    response = as_user(world.engineer).get(url("console-case-detail", world.alice_case.number))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Looks like a DB lock" in body and "Internal note" in body
    assert "Administrator" in body and "valid until 30 Jun 2027" in body
    assert "alice@acme.example" in body and "40 agents idle" in body
    # Only edges of the status table open to support from Open / New are offered.
    assert "Request information → Info Required" in body
    assert "Propose solution → Replied" in body
    assert "Re-open case →" not in body and "Request to re-open" not in body


def test_public_reply_and_internal_note(as_user, world):
    # R: B5
    client = as_user(world.engineer)
    case = world.alice_case
    client.post(url("console-case-reply", case.number), {"body": "Hello", "visibility": "public"})
    client.post(url("console-case-reply", case.number), {"body": "psst", "visibility": "internal"})
    kinds = list(case.events.values_list("kind", "public", "body"))
    assert (EventKind.REPLY, True, "Hello") in kinds
    assert (EventKind.NOTE, False, "psst") in kinds


def test_reply_too_long_is_refused(as_user, world):
    # R: B5 — refused with the limit named; no reply is written, no mail queued
    from casedesk.notifications.models import OutboundMessage

    case = world.alice_case
    events, mails = case.events.count(), OutboundMessage.objects.count()
    response = as_user(world.engineer).post(
        url("console-case-reply", case.number),
        {"body": "x" * 20_001, "visibility": "public"},
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 20000 characters (it has 20001)." in (
        response.content.decode()
    )
    assert case.events.count() == events and OutboundMessage.objects.count() == mails
    assert Case.objects.get(pk=case.pk).version == case.version


def test_transition_request_info(as_user, world):
    # R: B4
    case = world.alice_case
    response = as_user(world.engineer).post(
        url("console-case-transition", case.number),
        {"move": "request_info:info_required", "reason": "Need logs", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.sub_status) == ("awaiting_info", "info_required")
    event = case.events.filter(kind=EventKind.TRANSITION).get()
    assert event.actor == world.engineer and event.body == "Need logs"


def test_transition_not_offered_is_refused(as_user, world):
    # R: B4 — the server refuses what the page does not offer.
    case = world.alice_case
    response = as_user(world.engineer).post(
        url("console-case-transition", case.number),
        {"move": "reopen:investigation", "reason": "x", "version": case.version},
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.sub_status == "new"


def test_support_close_needs_close_reason(as_user, world):
    # R: B6
    case = world.alice_case
    client = as_user(world.engineer)
    response = client.post(
        url("console-case-transition", case.number),
        {"move": "close:resolved", "reason": "Customer confirmed", "version": case.version},
    )
    assert response.status_code == 400 and "Choose the close reason." in response.content.decode()
    response = client.post(
        url("console-case-transition", case.number),
        {
            "move": "close:resolved",
            "close_reason": "customer_request",
            "reason": "Customer confirmed",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.sub_status, case.close_reason) == ("resolved", "customer_request")


def test_transition_stale_version_is_409_and_keeps_text(as_user, world):
    # R: B4
    case = world.alice_case
    stale = case.version
    services.case_add_update(case=case, actor=world.alice, body="more info", now=world.now)
    response = as_user(world.engineer).post(
        url("console-case-transition", case.number),
        {"move": "request_info:info_required", "reason": "My long question", "version": stale},
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body and "My long question" in body
    case.refresh_from_db()
    assert case.status == "open"


def test_support_priority_with_production_down(as_user, world):
    # R: B3, B8
    case = world.alice_case
    client = as_user(world.engineer)
    response = client.post(
        url("console-case-priority", case.number),
        {
            "priority": "critical",
            "production_down": "on",
            "reason": "Phone call: site down",
            "version": case.version,
        },
    )
    assert response.status_code == 400
    assert "requires choosing the emergency criterion" in response.content.decode()
    response = client.post(
        url("console-case-priority", case.number),
        {
            "priority": "critical",
            "production_down": "on",
            "emergency_criterion": "core_mission",
            "reason": "Phone call: site down",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "critical" and case.production_down


def test_support_priority_stale_is_409(as_user, world):
    case = world.alice_case
    stale = case.version
    request_info(world, case)
    response = as_user(world.engineer).post(
        url("console-case-priority", case.number),
        {"priority": "high", "reason": "Called in", "version": stale},
    )
    assert response.status_code == 409 and "Called in" in response.content.decode()


def test_outcome_defect_needs_change_request(as_user, world):
    # R: B9
    case = world.alice_case
    client = as_user(world.engineer)
    response = client.post(url("console-case-outcome", case.number), {"outcome": "defect"})
    assert response.status_code == 422 and "change request" in response.content.decode()
    response = client.post(
        url("console-case-outcome", case.number),
        {"outcome": "defect", "change_request_id": "CR-42", "hot_fix": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.change_request_id == "CR-42" and case.hot_fix


def test_assign_to_me_and_back(as_user, world):
    case = world.alice_case
    client = as_user(world.engineer)
    client.post(url("console-case-assign", case.number), {"assignee": world.engineer.pk})
    case.refresh_from_db()
    assert case.assignee == world.engineer
    client.post(url("console-case-assign", case.number), {"assignee": ""})
    case.refresh_from_db()
    assert case.assignee is None
    response = client.post(url("console-case-assign", case.number), {"assignee": world.alice.pk})
    assert response.status_code == 400  # a contact is not a choice


def test_all_info_provided_once(as_user, world):
    # R: C4
    case = world.alice_case
    client = as_user(world.engineer)
    assert client.post(url("console-case-all-info", case.number)).status_code == 302
    case.refresh_from_db()
    assert case.all_info_at is not None
    response = client.post(url("console-case-all-info", case.number))
    assert response.status_code == 422 and "already marked" in response.content.decode()


def test_support_reopens_by_phone(as_user, world):
    # R: B7
    case = world.alice_case
    close_case(world, case)
    response = as_user(world.engineer).post(
        url("console-case-reopen", case.number), {"information": "Caller: it is back"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.sub_status) == ("open", "investigation")


def test_open_for_caller_by_pin(as_user, world):
    # R: H1, B2
    client = as_user(world.engineer)
    assert client.get(url("console-case-new")).status_code == 200
    page = client.get(url("console-case-new") + f"?who={world.alice.support_pin}")
    assert page.status_code == 200 and "Caller: Alice" in page.content.decode()
    missing = client.get(url("console-case-new") + "?who=nobody@nowhere.example")
    assert missing.status_code == 404 and "No active contact" in missing.content.decode()
    data = open_form_data(world, contact_id=str(world.alice.pk))
    response = client.post(url("console-case-new"), data)
    assert response.status_code == 302
    case = Case.objects.latest("pk")
    assert case.contact == world.alice and case.channel == "phone"
    opened = CaseEvent.objects.get(case=case, kind=EventKind.OPENED)
    assert opened.actor == world.engineer


def test_open_for_caller_errors_keep_text(as_user, world):
    response = as_user(world.engineer).post(
        url("console-case-new"),
        open_form_data(world, contact_id=str(world.alice.pk), subject=""),
    )
    assert response.status_code == 400 and "Upgraded to 9.2.1" in response.content.decode()
