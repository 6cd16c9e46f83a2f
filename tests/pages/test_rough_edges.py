"""The rough edges of the first hour (issue 11 item 8): contract choice, catalogue narrowing
data, priority guidance, stale status changes, clickable links, error pages, logout."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from casedesk.accounts.models import Contract, Site
from casedesk.cases import services
from casedesk.cases.models import Case
from casedesk.core.errors import StaleObject
from casedesk.policy.priority import PHONE_FOR_HIGHER

from .helpers import open_form_data, url

pytestmark = pytest.mark.django_db


# --- the open form -----------------------------------------------------------------------


def _second_contract(world) -> Contract:
    site = Site.objects.create(organisation=world.acme, name="Acme Leeds", country="GB")
    contract = Contract.objects.create(
        number="K-ACME-2",
        organisation=world.acme,
        site=site,
        deployment="cloud",
        region="americas",
        paid_through=world.acme_contract.paid_through,
    )
    contract.products.add(world.catalogue["product"])
    return contract


def _contract_select(body: str) -> str:
    return re.search(r'<select name="contract"[^>]*>(.*?)</select>', body, re.S).group(1)


def test_a_contact_with_several_contracts_must_choose_one(as_user, world):
    # R: B2 — the contract decides region and deployment: never silently the first.
    _second_contract(world)
    client = as_user(world.alice)
    options = _contract_select(client.get(url("portal-case-new")).content.decode())
    assert options.strip().startswith('<option value="" selected>— choose the contract —')
    assert options.count("selected") == 1
    before = Case.objects.count()
    response = client.post(url("portal-case-new"), open_form_data(world, contract=""))
    assert response.status_code == 400
    assert "Choose the contract this case is about." in response.content.decode()
    assert Case.objects.count() == before


def test_a_single_contract_is_the_choice(as_user, world):
    options = _contract_select(as_user(world.alice).get(url("portal-case-new")).content.decode())
    assert "choose the contract" not in options
    assert f'value="{world.acme_contract.pk}"' in options


def test_support_also_chooses_the_callers_contract(as_user, world):
    # R: B2, H1 — the console's open form is the same form.
    _second_contract(world)
    body = as_user(world.engineer).get(url("console-case-new"), {"who": world.alice.email})
    assert "— choose the contract —" in _contract_select(body.content.decode())


def test_the_form_carries_which_version_and_patch_belong_where(as_user, world):
    # R: B2 — the data the page's own script narrows the lists with; no extra request.
    body = as_user(world.alice).get(url("portal-case-new")).content.decode()
    data = re.search(
        r'<script id="case-catalogue" type="application/json">(.*?)</script>', body, re.S
    ).group(1)
    tree = json.loads(data)
    cat = world.catalogue
    assert tree["major_version"][str(cat["version"].pk)] == str(cat["product"].pk)
    assert tree["major_version"][str(cat["other_version"].pk)] == str(cat["other_product"].pk)
    assert tree["patch"] == {str(cat["patch"].pk): str(cat["version"].pk)}
    assert '<script src="/static/casedesk/js/catalogue.js" defer></script>' in body
    # Without the script every option is still there, grouped.
    assert f'<option value="{cat["other_version"].pk}">Voicemail 4</option>' in body


def test_priority_guidance_matches_what_the_form_accepts(as_user, world):
    # R: B2, B3 — the open form no longer says High and Critical are support's to set
    # (that is B8, for changes); it takes them, and says to phone as well.
    client = as_user(world.alice)
    body = client.get(url("portal-case-new")).content.decode()
    assert PHONE_FOR_HIGHER not in body
    assert "please also phone your regional support centre" in body
    response = client.post(url("portal-case-new"), open_form_data(world, priority="high"))
    assert response.status_code == 302
    assert Case.objects.latest("pk").priority == "high"


# --- a stale tab ---------------------------------------------------------------------------


def test_stale_status_change_says_the_case_changed_like_a_stale_priority_change(as_user, world):
    # R: B4 — the tab offered "work → Investigation"; meanwhile a colleague did just that.
    case = world.alice_case
    shown = case.version
    client = as_user(world.engineer)
    page = client.get(url("console-case-detail", case.number)).content.decode()
    assert 'value="work:investigation"' in page
    services.case_transition(
        case=case,
        actor=world.manager,
        action="work",
        to="investigation",
        reason="Looking at it",
        now=world.now,
    )
    response = client.post(
        url("console-case-transition", case.number),
        {"move": "work:investigation", "reason": "My careful words", "version": shown},
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert StaleObject.CASE_CHANGED in body
    assert "not one of the available choices" not in body
    assert "My careful words" in body  # kept for the person to send again
    case.refresh_from_db()
    assert re.search(rf'name="version" value="{case.version}"', body)

    priority = client.post(
        url("console-case-priority", case.number),
        {"priority": "high", "reason": "Called in", "version": shown},
    )
    assert priority.status_code == 409 and StaleObject.CASE_CHANGED in priority.content.decode()


def test_a_current_tab_offering_nothing_valid_still_gets_the_choice_error(as_user, world):
    # R: B4 — with the version current, a move not offered is a plain form error (400).
    case = world.alice_case
    response = as_user(world.engineer).post(
        url("console-case-transition", case.number),
        {"move": "reopen:investigation", "reason": "x", "version": case.version},
    )
    assert response.status_code == 400
    assert StaleObject.CASE_CHANGED not in response.content.decode()


# --- links in what people write --------------------------------------------------------


def test_links_in_updates_are_clickable_and_everything_else_stays_escaped(as_user, world):
    # R: B5, security rule 5
    case = world.alice_case
    services.case_add_update(
        case=case,
        actor=world.alice,
        body=(
            "Logs: https://files.acme.example/logs?id=7&day=2 and www.acme.example.\n"
            "<script>alert(1)</script> javascript:alert(2)"
        ),
        now=world.now,
    )
    for user, page in (
        (world.alice, url("portal-case-detail", case.number)),
        (world.engineer, url("console-case-detail", case.number)),
    ):
        body = as_user(user).get(page).content.decode()
        assert (
            '<a href="https://files.acme.example/logs?id=7&amp;day=2" rel="noopener nofollow">'
            "https://files.acme.example/logs?id=7&amp;day=2</a>" in body
        )
        www = '<a href="http://www.acme.example" rel="noopener nofollow">www.acme.example</a>.'
        assert www in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
        assert 'href="javascript:' not in body
        assert "www.acme.example</a>.<br>" in body  # line breaks kept


# --- error pages ---------------------------------------------------------------------------


def test_404_is_a_page_with_a_way_back(client, world):
    body = client.get("/no-such-page/").content.decode()
    assert "There is nothing here" in body and f'href="{url("home")}"' in body
    client.force_login(world.alice)
    response = client.get(url("portal-case-detail", "CS-999999"))
    assert response.status_code == 404
    assert f'href="{url("portal-case-list")}"' in response.content.decode()


def test_403_is_a_page_with_the_reason_and_no_traceback_in_the_log(as_user, world, caplog):
    # An engineer may see the case but not open its drop box (care only, D2).
    caplog.set_level(logging.WARNING, logger="django.request")
    response = as_user(world.engineer).post(url("console-dropbox-open", world.alice_case.number))
    assert response.status_code == 403
    body = response.content.decode()
    assert "You may not do that" in body and "Only Customer Care" in body
    assert f'href="{url("home")}"' in body and "Go to the queue" in body
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage().startswith("Forbidden (Only Customer Care")
    assert record.exc_info is None


def test_405_is_a_page_for_pages_and_json_for_the_api(as_user, world):
    client = as_user(world.alice)
    page = client.get(url("portal-profile-pin"))
    assert page.status_code == 405 and page["Allow"] == "POST"
    assert "This address does not work that way" in page.content.decode()
    api = client.delete("/api/v1/me")
    assert api.status_code == 405 and "This address does not work" not in api.content.decode()


def test_csrf_failure_is_explained(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    response = client.post(url("portal-profile-pin"))
    assert response.status_code == 403
    assert "The form expired before it was sent" in response.content.decode()


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("", include("casedesk.config.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_500_is_a_page_with_a_way_back():
    client = Client(raise_request_exception=False)
    logging.getLogger("django.request").disabled = True
    try:
        response = client.get("/boom/")
    finally:
        logging.getLogger("django.request").disabled = False
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and 'href="/"' in body


def test_error_pages_never_depend_on_who_asks_twice(client, world):
    # Security rule 3: a hidden case reads exactly like a missing one, also for the header.
    client.force_login(world.alice)
    hidden = client.get(url("portal-case-detail", world.gina_case.number))
    missing = client.get(url("portal-case-detail", "CS-999999"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
