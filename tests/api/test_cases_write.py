"""Writing to cases through the API: every action the pages offer, and who may take it."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases.models import Case, CaseEvent
from casedesk.cases.services import case_transition

from .conftest import field_errors


def open_body(world, **overrides):  # type: ignore[no-untyped-def]
    body = {
        "contract_id": world.acme_contract.pk,
        "subject": "IVR loops on the main menu",
        "description": "Callers hear the main menu again after choosing 2.",
        "product_id": world.catalogue["product"].pk,
        "major_version_id": world.catalogue["version"].pk,
    }
    body.update(overrides)
    return body


def reload(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- opening --------------------------------------------------------------------------


def test_contact_opens_a_case(world, as_user):  # R: B2, B11
    response = as_user(world.alice).post(
        "/cases", open_body(world, frequency="always", environment="dev")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CS-")
    assert body["priority"] == "low"  # B2 default
    assert body["channel"] == "api"
    assert body["environment"] == "dev"
    assert body["deployment"] == "premise"  # from the contract
    assert body["contact"]["email"] == "alice@acme.example"
    assert body["version"] == 1


def test_opening_costs_a_fixed_handful_of_statements(
    world, as_user, django_assert_max_num_queries
):  # R: B2, E1 (issue 2: opening at 300/s)
    # token; one read of contract, catalogue, refusal and policy version; case, queue-owner
    # alert deadline (issue 11), event and outbox inserts; the transaction's savepoint and
    # release. The centre's engineers are cached (sla.staffing), read here once and cached.
    client = as_user(world.alice)
    client.post("/cases", open_body(world, patch_id=world.catalogue["patch"].pk))
    with django_assert_max_num_queries(8) as captured:
        response = client.post("/cases", open_body(world, patch_id=world.catalogue["patch"].pk))
    assert response.status_code == 201, response.content
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 4
    body = response.json()
    assert body["site"] == "Acme HQ" and body["contract"] == world.acme_contract.number
    assert body["product_group"]["name"] == world.catalogue["group"].name
    assert body["patch"]["id"] == world.catalogue["patch"].pk


def test_contact_cannot_open_on_another_organisations_contract(world, as_user):  # R: A4, B2
    response = as_user(world.alice).post(
        "/cases", open_body(world, contract_id=world.globex_contract.pk)
    )
    assert response.status_code == 422
    assert "body.contract_id" in field_errors(response)


def test_contact_cannot_open_for_someone_else(world, as_user):  # R: B2 (security rule 4)
    before = Case.objects.count()
    response = as_user(world.alice).post(
        "/cases", open_body(world, contact_email="carol@acme.example")
    )
    assert response.status_code == 422
    assert "body.contact_email" in field_errors(response)
    assert Case.objects.count() == before


def test_support_opens_by_phone_for_a_contact(world, as_user):  # R: B2, H1
    response = as_user(world.engineer).post(
        "/cases", open_body(world, contact_email="Alice@acme.example ", priority="medium")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "phone"
    assert body["contact"]["email"] == "alice@acme.example"
    assert body["priority"] == "medium"


def test_support_must_name_the_contact(world, as_user):  # R: A8
    response = as_user(world.engineer).post("/cases", open_body(world))
    assert response.status_code == 422
    assert "body.contact_email" in field_errors(response)
    unknown = as_user(world.engineer).post(
        "/cases", open_body(world, contact_email="end.user@example.com")
    )
    assert unknown.status_code == 422


def test_production_down_needs_a_criterion(world, as_user):  # R: B3
    api = as_user(world.alice)
    response = api.post("/cases", open_body(world, priority="critical", production_down=True))
    assert response.status_code == 422
    assert "body.emergency_criterion" in field_errors(response)
    ok = api.post(
        "/cases",
        open_body(
            world, priority="critical", production_down=True, emergency_criterion="server_down"
        ),
    )
    assert ok.status_code == 201
    assert ok.json()["production_down"] is True


def test_lapsed_maintenance_is_refused_with_the_reason(world, as_user):  # R: A5
    world.acme_contract.paid_through = world.now.date() - dt.timedelta(days=1)
    world.acme_contract.save()
    response = as_user(world.alice).post("/cases", open_body(world))
    assert response.status_code == 422
    assert "body.contract_id" in field_errors(response)


# --- updates ------------------------------------------------------------------------------


def test_contact_update_moves_a_waiting_case_back_to_support(world, as_user):  # R: B5
    case = world.alice_case
    case_transition(
        case=case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Need logs",
        now=world.now,
    )
    response = as_user(world.alice).post(f"/cases/{case.number}/updates", {"body": "Logs below"})
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "customer_update"
    assert reload(case).sub_status == "customer_responded"


def test_engineer_posts_internal_note(world, as_user):  # R: B5
    response = as_user(world.engineer).post(
        f"/cases/{world.alice_case.number}/updates", {"body": "Check bug 42", "internal": True}
    )
    assert response.status_code == 201
    assert response.json()["public"] is False
    assert response.json()["kind"] == "note"


def test_contact_cannot_write_internal_notes(world, as_user):  # R: B5 (security rule 4)
    before = CaseEvent.objects.count()
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/updates", {"body": "psst", "internal": True}
    )
    assert response.status_code == 403
    assert CaseEvent.objects.count() == before


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "closed"},
        {"sub_status": "resolved"},
        {"assignee": "eve@support.example"},
        {"assignee_id": 1},
        {"organisation": 2},
        {"priority": "critical"},
        {"public": False},
    ],
)
def test_contact_cannot_set_fields_outside_the_allowlist(world, as_user, extra):  # R: B4 (rule 4)
    case = world.alice_case
    before = reload(case)
    events = CaseEvent.objects.count()
    body = {"body": "Any news?", **extra}
    response = as_user(world.alice).post(f"/cases/{case.number}/updates", body)
    assert response.status_code == 422
    field = f"body.{next(iter(extra))}"
    assert field in field_errors(response)
    after = reload(case)
    for name in ("status", "sub_status", "assignee_id", "organisation_id", "priority", "version"):
        assert getattr(after, name) == getattr(before, name)
    assert CaseEvent.objects.count() == events


def test_updates_to_closed_cases_are_refused(world, as_user):  # R: B7
    api = as_user(world.alice)
    number = world.alice_case.number
    api.post(f"/cases/{number}/close", {"sub_status": "resolved", "comment": "Works now"})
    response = api.post(f"/cases/{number}/updates", {"body": "One more thing"})
    assert response.status_code == 422
    assert "re-open" in response.json()["detail"]


# --- transitions and close ------------------------------------------------------------


def test_engineer_walks_the_status_table(world, as_user):  # R: B4
    api = as_user(world.engineer)
    number = world.alice_case.number
    step = api.post(
        f"/cases/{number}/transitions",
        {"action": "work", "to": "investigation", "reason": "Looking", "version": 1},
    )
    assert step.status_code == 200, step.content
    assert step.json()["sub_status"] == "investigation"
    assert step.json()["version"] == 2
    proposed = api.post(
        f"/cases/{number}/transitions",
        {"action": "propose_solution", "to": "replied", "reason": "Try patch 9.2.2"},
    )
    assert proposed.json()["status"] == "solution_proposed"
    transition = CaseEvent.objects.filter(case=world.alice_case, kind="transition").last()
    assert transition.actor == world.engineer
    assert transition.body == "Try patch 9.2.2"


def test_illegal_transition_is_409_with_the_reason(world, as_user):  # R: B4
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/transitions",
        {"action": "work", "to": "investigation", "reason": "let me"},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "“Set working status” is not possible while the case is Open / New."
    )
    assert reload(world.alice_case).sub_status == "new"


def test_reopen_actions_go_through_reopen(world, as_user):  # R: B7
    response = as_user(world.engineer).post(
        f"/cases/{world.alice_case.number}/transitions",
        {"action": "reopen", "to": "investigation", "reason": "x"},
    )
    assert response.status_code == 422
    assert "re-open" in response.json()["detail"]


def test_stale_version_is_409_and_nothing_changes(world, as_user):  # R: B4
    number = world.alice_case.number
    engineer = as_user(world.engineer)
    engineer.post(f"/cases/{number}/updates", {"body": "First reply"})  # version 1 → 2
    stale = engineer.post(
        f"/cases/{number}/transitions",
        {"action": "request_info", "to": "info_required", "reason": "logs?", "version": 1},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert reload(world.alice_case).status == "open"
    priority = engineer.post(
        f"/cases/{number}/priority", {"priority": "high", "reason": "call", "version": 1}
    )
    assert priority.status_code == 409
    close = as_user(world.alice).post(
        f"/cases/{number}/close", {"sub_status": "resolved", "comment": "ok", "version": 1}
    )
    assert close.status_code == 409
    assert reload(world.alice_case).priority == "medium"


def test_contact_closes_with_comment(world, as_user):  # R: B6
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/close",
        {"sub_status": "cancelled", "comment": "Found it was our firewall", "version": 1},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["sub_status"]) == ("closed", "cancelled")
    assert body["close_reason"] == "customer_request"
    assert body["closed_at"] is not None
    assert {a["action"] for a in body["available_actions"]} == {"request_reopen"}


def test_close_needs_a_comment_and_a_fitting_reason(world, as_user):  # R: B6
    api = as_user(world.alice)
    url = f"/cases/{world.alice_case.number}/close"
    blank = api.post(url, {"sub_status": "resolved", "comment": "  "})
    assert blank.status_code == 422
    assert "body.comment" in field_errors(blank)
    wrong_reason = api.post(
        url, {"sub_status": "resolved", "comment": "ok", "close_reason": "duplicate"}
    )
    assert wrong_reason.status_code == 409
    assert "not available" in wrong_reason.json()["detail"]
    not_contacts = api.post(url, {"sub_status": "redirected", "comment": "ok"})
    assert not_contacts.status_code == 422
    assert "body.sub_status" in field_errors(not_contacts)


# --- re-open and follow-on ------------------------------------------------------------


def test_contact_requests_reopen_within_30_days(world, as_user):  # R: B7
    api = as_user(world.alice)
    number = world.alice_case.number
    api.post(f"/cases/{number}/close", {"sub_status": "resolved", "comment": "Fixed"})
    empty = api.post(f"/cases/{number}/reopen", {"information": "  "})
    assert empty.status_code == 422
    response = api.post(f"/cases/{number}/reopen", {"information": "It came back at 9:00"})
    assert response.status_code == 200, response.content
    assert response.json()["sub_status"] == "customer_requested_reopen"
    accepted = as_user(world.engineer).post(
        f"/cases/{number}/reopen", {"information": "Customer called, accepted"}
    )
    assert accepted.json()["sub_status"] == "investigation"


def test_after_the_window_a_linked_follow_on(world, as_user, time_machine):  # R: B7
    api = as_user(world.alice)
    old = world.alice_case.number
    api.post(f"/cases/{old}/close", {"sub_status": "resolved", "comment": "Fixed"})
    time_machine.shift(dt.timedelta(days=31))
    late = api.post(f"/cases/{old}/reopen", {"information": "It came back"})
    assert late.status_code == 422
    assert "linked" in late.json()["detail"]
    response = api.post(f"/cases/{old}/follow-on", {"description": "It came back"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["linked_from"] == old
    assert body["subject"].startswith(f"Follow-on to {old}")
    assert body["product"]["id"] == world.catalogue["product"].pk
    assert CaseEvent.objects.filter(case=world.alice_case, kind="linked").exists()


def test_follow_on_needs_a_closed_case(world, as_user):  # R: B7
    cases = Case.objects.count()
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/follow-on", {"description": "more"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The earlier case is still open; update it instead."
    assert Case.objects.count() == cases
    assert not CaseEvent.objects.filter(case=world.alice_case, kind="linked").exists()


# --- priority, outcome, assignment, all-info ------------------------------------------


def test_contact_raises_low_to_medium_only(world, as_user):  # R: B8
    low = world.open_case(world.alice, priority="low")
    api = as_user(world.alice)
    higher = api.post(f"/cases/{low.number}/priority", {"priority": "high", "reason": "urgent"})
    assert higher.status_code == 422
    assert "phone call" in higher.json()["detail"]
    ok = api.post(f"/cases/{low.number}/priority", {"priority": "medium", "reason": "10 agents"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["priority"] == "medium"
    flag = api.post(
        f"/cases/{low.number}/priority",
        {"priority": "critical", "reason": "down", "production_down": True},
    )
    assert flag.status_code == 422


def test_support_sets_production_down(world, as_user):  # R: B3, B8
    response = as_user(world.engineer).post(
        f"/cases/{world.alice_case.number}/priority",
        {
            "priority": "critical",
            "reason": "Customer called: no dial tone",
            "production_down": True,
            "emergency_criterion": "server_down",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["priority"], body["production_down"]) == ("critical", True)
    assert body["emergency_criterion"] == "server_down"


def test_support_records_the_outcome(world, as_user):  # R: B9
    url = f"/cases/{world.alice_case.number}/outcome"
    no_cr = as_user(world.engineer).post(url, {"outcome": "defect"})
    assert no_cr.status_code == 422
    assert "body.change_request_id" in field_errors(no_cr)
    response = as_user(world.engineer).post(
        url, {"outcome": "defect", "change_request_id": "CR-1234", "hot_fix": True}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["change_request_status"]) == ("defect", "submitted")
    assert body["hot_fix"] is True
    assert as_user(world.alice).post(url, {"outcome": "fix"}).status_code == 403


def test_assign_and_unassign(world, as_user):  # R: B10
    api = as_user(world.engineer)
    url = f"/cases/{world.alice_case.number}/assign"
    response = api.post(url, {"assignee_email": "eve@support.example"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["email"] == "eve@support.example"
    mine = api.get("/cases", scope="mine")
    assert [i["number"] for i in mine.json()["items"]] == [world.alice_case.number]
    back = api.post(url, {"assignee_email": None})
    assert back.json()["assignee"] is None
    contact_as_assignee = api.post(url, {"assignee_email": "alice@acme.example"})
    assert contact_as_assignee.status_code == 422
    assert "body.assignee_email" in field_errors(contact_as_assignee)
    assert api.post(url, {}).status_code == 422  # null must be said explicitly


def test_contacts_cannot_assign(world, as_user):  # R: A4
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/assign", {"assignee_email": "nobody@x.example"}
    )
    assert response.status_code == 403
    assert reload(world.alice_case).assignee_id is None


def test_all_information_provided(world, as_user):  # R: C4
    url = f"/cases/{world.alice_case.number}/all-info"
    assert as_user(world.alice).post(url).status_code == 403
    api = as_user(world.engineer)
    response = api.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["all_info_at"] is not None
    again = api.post(url)
    assert again.status_code == 422
    assert "already" in again.json()["detail"]


# --- nobody writes to a case they cannot see ------------------------------------------

WRITES = [
    ("updates", {"body": "hi"}),
    (
        "transitions",
        {"action": "close", "to": "resolved", "reason": "x", "close_reason": "solution_accepted"},
    ),
    ("close", {"sub_status": "resolved", "comment": "x"}),
    ("reopen", {"information": "x"}),
    ("follow-on", {"description": "x"}),
    ("priority", {"priority": "medium", "reason": "x"}),
    ("outcome", {"outcome": "fix"}),
    ("assign", {"assignee_email": None}),
    ("all-info", None),
]


@pytest.mark.parametrize(("action", "body"), WRITES)
@pytest.mark.parametrize("who", ["gina", "carol"])
def test_writes_to_invisible_cases_are_404(world, as_user, who, action, body):  # R: A3, A4
    case = world.alice_case
    before = reload(case)
    events = CaseEvent.objects.count()
    response = as_user(getattr(world, who)).post(f"/cases/{case.number}/{action}", body)
    assert response.status_code == 404
    assert response.json()["detail"] == "No such case."
    assert reload(case).version == before.version
    assert CaseEvent.objects.count() == events


def test_refused_contact_cannot_open_cases(world, as_user):  # R: A6
    from casedesk.accounts.services import contact_refuse

    contact_refuse(
        actor=world.care, contact=world.alice, category="abusive", reason="Shouted", now=world.now
    )
    response = as_user(world.alice).post("/cases", open_body(world))
    assert response.status_code == 422
    assert "refused" in response.json()["detail"]
