"""Escalation in the portal, API and console (C6, E4): eligibility, the template, the outcome."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from casedesk.accounts.services import api_token_create
from casedesk.cases.models import EventKind
from casedesk.escalations.models import Escalation, EscalationState

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# alice_case: Medium, London, opened Tue 24 Nov 2026 14:00 → eligible Fri 27 Nov 14:00 (C6).
EARLY = dt.datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
LATE = dt.datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
TEMPLATE = {
    "kind": "standard",
    "reason": "Go-live Monday at risk",
    "summary": "Dialler stops after ten calls",
    "critical_dates": "Go-live Mon 30 Nov",
    "expectations": "A fix plan by Friday",
}


def api(user, world):
    token = api_token_create(user=user, name="t", now=world.now)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_portal_page_says_not_yet_why_and_from_when(client, world, time_machine):
    # R: C6
    time_machine.move_to(EARLY, tick=False)
    client.force_login(world.alice)
    page = client.get(reverse("portal-case-detail", args=[world.alice_case.number]))
    body = page.content.decode()
    assert "not eligible" in body and "eligible from Fri 27 Nov 14:00 London time" in body
    assert "Low priority cases are not escalated" not in body
    response = client.post(
        reverse("portal-case-escalate", args=[world.alice_case.number]), TEMPLATE
    )
    assert response.status_code == 422
    assert "not yet" in response.content.decode()
    assert not Escalation.objects.exists()


def test_portal_request_with_the_template_lands_on_the_timeline(client, world, time_machine):
    # R: C6, E4
    time_machine.move_to(LATE, tick=False)
    client.force_login(world.alice)
    case = world.alice_case
    form = client.get(reverse("portal-case-escalate", args=[case.number]))
    text = form.content.decode()
    assert f"Acme – {case.number} – {case.subject}" in text  # subject filled from the case
    assert world.catalogue["product"].name in text
    response = client.post(reverse("portal-case-escalate", args=[case.number]), TEMPLATE)
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.subject == f"Acme – {case.number} – {case.subject}"
    assert escalation.critical_dates == "Go-live Mon 30 Nov"
    assert case.events.filter(kind=EventKind.ESCALATION).count() == 1
    page = client.get(reverse("portal-case-detail", args=[case.number])).content.decode()
    assert "Open" in page and "Requested" in page


def test_portal_form_errors_are_400_not_500(client, world, time_machine):
    time_machine.move_to(LATE, tick=False)
    client.force_login(world.alice)
    url = reverse("portal-case-escalate", args=[world.alice_case.number])
    assert client.post(url, {**TEMPLATE, "kind": "urgent"}).status_code == 400
    assert client.post(url, {**TEMPLATE, "summary": ""}).status_code == 400
    assert client.post(url, {**TEMPLATE, "reason": "\x00"}).status_code in (400, 422)
    assert not Escalation.objects.exists()


def test_other_organisation_gets_404_on_the_request_page(client, world, time_machine):
    # R: A4, C6
    time_machine.move_to(LATE, tick=False)
    client.force_login(world.gina)
    url = reverse("portal-case-escalate", args=[world.alice_case.number])
    assert client.get(url).status_code == 404
    assert client.post(url, TEMPLATE).status_code == 404
    assert not Escalation.objects.exists()


def test_api_eligibility_and_request(world, time_machine):
    # R: C6
    time_machine.move_to(EARLY, tick=False)
    client = Client()
    auth = api(world.alice, world)
    number = world.alice_case.number
    status = client.get(f"/api/v1/cases/{number}/escalation", **auth).json()
    by_kind = {o["kind"]: o for o in status["options"]}
    assert by_kind["standard"]["eligible"] is False
    assert by_kind["standard"]["eligible_from"].startswith("2026-11-27T14:00")
    assert "3 business days" in by_kind["standard"]["reason"]
    assert by_kind["root_cause"]["eligible"] is False
    assert "analysis has not started" in by_kind["root_cause"]["reason"]
    refused = client.post(
        f"/api/v1/cases/{number}/escalations",
        json.dumps(TEMPLATE),
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 422 and "not yet" in refused.json()["detail"]
    time_machine.move_to(LATE, tick=False)
    made = client.post(
        f"/api/v1/cases/{number}/escalations",
        json.dumps(TEMPLATE),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    out = made.json()
    assert out["case_number"] == number and out["state"] == "open"
    assert out["subject"] == f"Acme – {number} – {world.alice_case.subject}"
    again = client.post(
        f"/api/v1/cases/{number}/escalations",
        json.dumps(TEMPLATE),
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 422 and "already" in again.json()["detail"]
    status = client.get(f"/api/v1/cases/{number}/escalation", **auth).json()
    assert status["options"][0]["active_escalation_id"] == out["id"]
    assert [e["id"] for e in status["escalations"]] == [out["id"]]


def test_api_refuses_unknown_fields_and_other_organisations(world, time_machine):
    # R: A4, rule 4
    time_machine.move_to(LATE, tick=False)
    client = Client()
    number = world.alice_case.number
    bad = client.post(
        f"/api/v1/cases/{number}/escalations",
        json.dumps({**TEMPLATE, "state": "resolved"}),
        content_type="application/json",
        **api(world.alice, world),
    )
    assert bad.status_code == 422
    gina = api(world.gina, world)
    assert client.get(f"/api/v1/cases/{number}/escalation", **gina).status_code == 404
    assert not Escalation.objects.exists()


def _escalate(client, world):
    client.force_login(world.alice)
    client.post(reverse("portal-case-escalate", args=[world.alice_case.number]), TEMPLATE)
    client.logout()
    return Escalation.objects.get()


def test_manager_works_the_escalation_to_an_outcome(client, world, time_machine):
    # R: C6, E4
    time_machine.move_to(LATE, tick=False)
    escalation = _escalate(client, world)
    client.force_login(world.manager)
    queue = client.get(reverse("console-escalations")).content.decode()
    assert escalation.subject in queue
    url = reverse("console-escalation", args=[escalation.pk])
    page = client.get(url).content.decode()
    assert "Go-live Mon 30 Nov" in page and "Work this escalation" in page
    assert client.post(url, {"state": "resolved", "outcome": ""}).status_code == 422
    response = client.post(url, {"state": "resolved", "outcome": "Patch 9.2.2 scheduled Fri"})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.RESOLVED and escalation.handled_by == world.manager
    events = list(world.alice_case.events.filter(kind=EventKind.ESCALATION))
    assert events[-1].body == "Patch 9.2.2 scheduled Fri" and events[-1].public
    assert escalation.subject not in client.get(reverse("console-escalations")).content.decode()
    resolved = client.get(reverse("console-escalations"), {"state": "resolved"})
    assert escalation.subject in resolved.content.decode()
    client.force_login(world.alice)
    portal = client.get(reverse("portal-case-detail", args=[world.alice_case.number]))
    assert "Patch 9.2.2 scheduled Fri" in portal.content.decode()
    assert "Escalation to management: resolved" in portal.content.decode()
    assert "Escalation to management: requested" in portal.content.decode()


def test_engineers_read_the_queue_but_only_managers_decide(client, world, time_machine):
    # R: C6
    time_machine.move_to(LATE, tick=False)
    escalation = _escalate(client, world)
    client.force_login(world.engineer)
    url = reverse("console-escalation", args=[escalation.pk])
    assert escalation.subject in client.get(reverse("console-escalations")).content.decode()
    page = client.get(url).content.decode()
    assert "Work this escalation" not in page
    response = client.post(url, {"state": "declined", "outcome": "No"})
    assert response.status_code == 403
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN


def test_contacts_never_reach_the_escalation_console(client, world, time_machine):
    # R: A4
    time_machine.move_to(LATE, tick=False)
    escalation = _escalate(client, world)
    client.force_login(world.alice)  # the requester herself
    assert client.get(reverse("console-escalations")).status_code == 404
    url = reverse("console-escalation", args=[escalation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"state": "resolved", "outcome": "x"}).status_code == 404
    assert client.get(reverse("console-escalation", args=[999999])).status_code == 404
    unchanged = Escalation.objects.get(pk=escalation.pk)
    assert (unchanged.state, unchanged.outcome) == (escalation.state, escalation.outcome)
