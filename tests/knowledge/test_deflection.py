"""Deflection while opening a case (T12): suggestions as the contact types (JSON, or the
no-JS button), recorded per visit, tied to the case if one is opened anyway, and a
manager's page of which articles deflect."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from casedesk.knowledge.models import Suggestion
from casedesk.knowledge.selectors import deflection_report
from tests.pages.helpers import open_form_data

from .conftest import publish

pytestmark = pytest.mark.django_db


def _login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def articles(world):
    return {
        "login": publish(world, "Agents cannot log in after an upgrade", "Clear the SSO cache."),
        "internal": publish(world, "Login internals", "x", visibility="internal"),
        "voicemail": publish(
            world, "Login to voicemail fails", "x", product=world.catalogue["other_product"]
        ),
    }


def test_json_suggestions_follow_subject_product_and_visibility(world, articles):
    alice = _login(world.alice)
    product = world.catalogue["product"].pk
    response = alice.post(
        "/kb/suggest/", {"subject": "agents cannot log", "product": product, "token": "v1"}
    )
    data = json.loads(response.content)
    titles = [a["title"] for a in data["articles"]]
    assert titles == ["Agents cannot log in after an upgrade"]
    assert data["articles"][0]["url"].endswith("?s=v1")
    assert set(Suggestion.objects.values_list("token", "article_id")) == {
        ("v1", articles["login"].pk)
    }
    # Asking again in the same visit records nothing twice.
    alice.post("/kb/suggest/", {"subject": "agents cannot log", "product": product, "token": "v1"})
    assert Suggestion.objects.count() == 1
    assert json.loads(alice.post("/kb/suggest/", {"subject": "ag"}).content) == {"articles": []}
    assert alice.post("/kb/suggest/", {"subject": "x", "product": "abc"}).status_code == 200
    assert _login(world.engineer).post("/kb/suggest/", {"subject": "login"}).status_code == 403
    assert Client().post("/kb/suggest/", {"subject": "login"}).status_code == 403


def test_without_javascript_the_button_suggests_and_opens_nothing(world, articles):
    alice = _login(world.alice)
    page = alice.get("/cases/new/")
    token = page.context["suggest_token"]
    assert b"Look for answers first" in page.content and b"suggest.js" in page.content
    data = open_form_data(world, suggest="1", suggest_token=token)
    before = world.alice.opened_cases.count()
    response = alice.post("/cases/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/kb/{articles['login'].pk}/?s={token}" in body
    assert "Login internals" not in body and f"/kb/{articles['internal'].pk}/" not in body
    assert world.alice.opened_cases.count() == before
    assert b"Since the 9.2.1 upgrade" in response.content  # what was typed is kept


def test_opening_anyway_ties_the_visit_to_the_case_and_the_report_counts_it(world, articles):
    alice, bob = _login(world.alice), _login(world.bob)
    product = world.catalogue["product"].pk
    for client, token in ((alice, "visitA"), (bob, "visitB")):
        client.post(
            "/kb/suggest/", {"subject": "agents cannot", "product": product, "token": token}
        )
    bob.get(f"/kb/{articles['login'].pk}/?s=visitB")  # bob reads it and goes away
    response = alice.post("/cases/new/", open_form_data(world, suggest_token="visitA"))
    assert response.status_code == 302
    row = Suggestion.objects.get(token="visitA")
    assert row.case is not None and row.case.contact == world.alice
    assert Suggestion.objects.get(token="visitB").clicked_at is not None
    [report] = deflection_report(since=world.now - dt.timedelta(days=1))
    assert (report.shown, report.clicked, report.opened_anyway, report.deflected) == (2, 1, 1, 1)
    # A token from someone else's visit cannot be claimed.
    alice.get(f"/kb/{articles['login'].pk}/?s=visitB")
    assert Suggestion.objects.filter(clicked_at__isnull=False).count() == 1


def test_deflection_page_is_for_managers_and_care(world, articles):
    page = _login(world.manager).get("/console/kb/deflection/", {"days": "bogus"})
    assert page.status_code == 200
    assert _login(world.engineer).get("/console/kb/deflection/").status_code == 404
    assert _login(world.alice).get("/console/kb/deflection/").status_code == 404


def test_open_form_links_self_help_for_the_chosen_product(world, articles):
    alice = _login(world.alice)
    data = open_form_data(world, suggest="1", subject="zzz")
    page = alice.post("/cases/new/", data).content.decode()
    assert f"/self-help/{world.catalogue['product'].pk}/" in page
