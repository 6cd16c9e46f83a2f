"""Customer portal pages (B2-B10, A2, A5, A6): render, open, update, close, re-open, priority."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from casedesk.accounts.models import ApiToken
from casedesk.accounts.services import contact_refuse
from casedesk.cases.models import Case, CaseEvent, EventKind
from tests.factories import PASSWORD, make_user

from .helpers import close_case, open_form_data, request_info, url

pytestmark = pytest.mark.django_db


# --- rendering -----------------------------------------------------------------------


def test_login_page_renders_for_anonymous(client):
    response = client.get(url("login"))
    assert response.status_code == 200
    assert b'<label class="field__label" for="id_username"' in response.content


def test_anonymous_is_sent_to_login(client, world):
    for target in (url("home"), url("portal-case-list"), url("console-queue")):
        response = client.get(target)
        assert response.status_code == 302 and response.url.startswith(url("login"))


def test_login_then_dashboard(client, world):
    # R: A2
    response = client.post(
        url("login"),
        {"username": "alice@acme.example", "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302 and response.url == url("home")


def test_logout_get_asks_and_only_post_logs_out(as_user, world):
    # R: A2 — a GET (old bookmark, typed address) shows a button; it never logs out, so a
    # link or image on another site cannot sign people out.
    client = as_user(world.alice)
    page = client.get(url("logout"))
    assert page.status_code == 200
    assert f'<form method="post" action="{url("logout")}">' in page.content.decode()
    assert client.get(url("home")).status_code == 200  # still logged in
    assert client.post(url("logout")).status_code == 302
    assert client.get(url("home")).status_code == 302  # now logged out
    assert client.get(url("logout")).url == url("login")


def test_dashboard_shows_counts_recent_cases_and_maintenance(as_user, world):
    # R: B10, A5
    response = as_user(world.alice).get(url("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Open a case" in body
    assert world.alice_case.number in body
    assert world.carol_case.number not in body
    assert world.acme_contract.number in body and "Maintenance paid through" in body
    assert "waiting on you" in body


def test_support_home_redirects_to_queue(as_user, world):
    response = as_user(world.engineer).get(url("home"))
    assert response.status_code == 302 and response.url == url("console-queue")


def test_my_cases_list(as_user, world):
    # R: B10, A3
    response = as_user(world.alice).get(url("portal-case-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "My open cases" in body and world.alice_case.number in body
    assert world.carol_case.number not in body
    assert "All cases" not in body  # no colleague visibility, no nav entry


def test_all_cases_needs_colleague_visibility(as_user, world):
    # R: A3
    body = as_user(world.bob).get(url("portal-case-list") + "?scope=all").content.decode()
    assert "All open cases" in body
    assert world.alice_case.number in body and world.carol_case.number in body
    assert world.gina_case.number not in body
    # Without the permission, scope=all quietly stays "mine".
    body = as_user(world.alice).get(url("portal-case-list") + "?scope=all").content.decode()
    assert "My open cases" in body and world.carol_case.number not in body


def test_list_filters_and_empty_state(as_user, world):
    # R: B10
    client = as_user(world.alice)
    body = client.get(url("portal-case-list") + "?state=closed").content.decode()
    assert "No closed cases." in body
    body = client.get(url("portal-case-list") + "?q=nothing-like-this").content.decode()
    assert "No cases match these filters." in body
    body = client.get(
        url("portal-case-list") + f"?q={world.alice_case.number}&sort=priority&priority=medium"
        "&product_group=999999&page=x"
    ).content.decode()
    assert world.alice_case.number in body  # bad product group and page fall back


def test_empty_open_list_invites_opening(as_user, world):
    contact = make_user("new@acme.example", organisation=world.acme)
    body = as_user(contact).get(url("portal-case-list")).content.decode()
    assert "No open cases." in body and url("portal-case-new") in body


def test_list_pagination(as_user, world):
    # R: B10
    for i in range(26):
        world.open_case(world.alice, subject=f"Bulk {i}")
    client = as_user(world.alice)
    first = client.get(url("portal-case-list")).content.decode()
    assert 'rel="next"' in first and "page=2" in first
    second = client.get(url("portal-case-list") + "?page=2").content.decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_case_detail_shows_public_timeline_only(as_user, world):
    # R: B5, A4
    from casedesk.cases import services

    services.case_add_update(
        case=world.alice_case,
        actor=world.engineer,
        body="Secret engineer musing",
        now=world.now,
        internal=True,
    )
    services.case_add_update(
        case=world.alice_case, actor=world.engineer, body="Please send logs", now=world.now
    )
    response = as_user(world.alice).get(url("portal-case-detail", world.alice_case.number))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.alice_case.subject in body and "Please send logs" in body
    assert "Secret engineer musing" not in body
    assert "Open" in body and "New" in body  # status and sub-status badge
    assert "High and Critical priority are set by support after a phone call" in body


def test_profile_shows_pin_and_tokens(as_user, world):
    # R: A2
    body = as_user(world.alice).get(url("portal-profile")).content.decode()
    assert world.alice.support_pin in body and "alice@acme.example" in body and "Acme" in body


def test_profile_pin_regenerates(as_user, world):
    # R: A2
    old = world.alice.support_pin
    client = as_user(world.alice)
    assert client.get(url("portal-profile-pin")).status_code == 405
    response = client.post(url("portal-profile-pin"), follow=True)
    world.alice.refresh_from_db()
    assert response.status_code == 200
    assert world.alice.support_pin in response.content.decode()
    assert world.alice.support_pin != old or len(world.alice.support_pin) == 6


def test_token_shown_once_then_revoked(as_user, world):
    client = as_user(world.alice)
    response = client.post(url("portal-profile-token-create"), {"name": "CI"})
    body = response.content.decode()
    assert response.status_code == 200 and "shown only once" in body
    token = ApiToken.objects.get(user=world.alice)
    assert "cdk_" in body
    again = client.get(url("portal-profile")).content.decode()
    assert "shown only once" not in again and token.prefix in again
    client.post(url("portal-profile-token-revoke", token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_of_someone_else_is_not_revoked(as_user, world):
    from casedesk.accounts.services import api_token_create

    api_token_create(user=world.gina, name="gina", now=world.now)
    token = ApiToken.objects.get(user=world.gina)
    as_user(world.alice).post(url("portal-profile-token-revoke", token.pk))
    token.refresh_from_db()
    assert token.revoked_at is None


# --- opening (B2, B3, A5, A6) ----------------------------------------------------------


def test_open_form_renders_guided_fields(as_user, world):
    # R: B2, B3
    response = as_user(world.alice).get(url("portal-case-new"))
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Preparatory questions",
        "What should happen instead?",
        "All recent changes",
        "Load at the time",
        "High: the system runs but usability is severely impacted.",
        "Primary server down or no dial tone",
        '<optgroup label="Contact Centre">',
    ):
        assert text in body, text
    assert 'for="id_subject"' in body
    assert re.search(r'name="priority" value="low"[^>]*checked', body)  # B2: defaults to Low


def test_open_case_happy_path(as_user, world):
    # R: B2
    response = as_user(world.alice).post(url("portal-case-new"), open_form_data(world))
    case = Case.objects.latest("pk")
    assert response.status_code == 302
    assert response.url == url("portal-case-detail", case.number)
    assert case.contact == world.alice and case.channel == "web"
    assert case.priority == "medium" and case.recent_changes == "Upgraded to 9.2.1"
    assert case.deployment == world.acme_contract.deployment


def test_open_production_down_without_criterion_is_refused(as_user, world):
    # R: B3
    before = Case.objects.count()
    response = as_user(world.alice).post(
        url("portal-case-new"), open_form_data(world, priority="critical", production_down="on")
    )
    assert response.status_code == 400
    assert "Production Down requires choosing the emergency criterion." in response.content.decode()
    assert Case.objects.count() == before


def test_open_production_down_on_non_critical_is_refused_on_the_form(as_user, world):
    # R: B3 — the form refuses what its guidance says it does not take, with the other errors.
    before = Case.objects.count()
    response = as_user(world.alice).post(
        url("portal-case-new"),
        open_form_data(world, production_down="on", emergency_criterion="server_down"),
    )
    assert response.status_code == 400
    assert "Production Down applies to Critical cases only." in response.content.decode()
    assert Case.objects.count() == before


def test_open_production_down_with_criterion(as_user, world):
    # R: B3
    response = as_user(world.alice).post(
        url("portal-case-new"),
        open_form_data(
            world, priority="critical", production_down="on", emergency_criterion="server_down"
        ),
    )
    assert response.status_code == 302
    case = Case.objects.latest("pk")
    assert case.production_down and case.emergency_criterion == "server_down"


def test_open_missing_subject_keeps_the_rest(as_user, world):
    # R: B2
    response = as_user(world.alice).post(url("portal-case-new"), open_form_data(world, subject=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert "A subject is required." in body
    assert "Upgraded to 9.2.1" in body  # nothing typed is lost
    assert 'class="error-summary"' in body


def test_open_subject_too_long(as_user, world):
    # R: B2 — refused with the reason on the field, the rest kept, no case opened
    before = Case.objects.count()
    response = as_user(world.alice).post(
        url("portal-case-new"), open_form_data(world, subject="x" * 201)
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters (it has 201)." in body
    assert "Upgraded to 9.2.1" in body  # nothing typed is lost
    assert Case.objects.count() == before


def test_open_with_lapsed_maintenance_tells_about_accounts_receivable(as_user, world):
    # R: A5
    world.acme_contract.paid_through = world.now.date() - dt.timedelta(days=1)
    world.acme_contract.save()
    client = as_user(world.alice)
    page = client.get(url("portal-case-new")).content.decode()
    assert "Maintenance has lapsed" in page and "Accounts Receivable" in page
    response = client.post(url("portal-case-new"), open_form_data(world))
    assert response.status_code == 422
    assert "Accounts Receivable" in response.content.decode()


def test_refused_contact_sees_why(as_user, world):
    # R: A6
    contact_refuse(
        actor=world.care,
        contact=world.alice,
        category="abusive",
        reason="Shouting",
        now=world.now,
    )
    client = as_user(world.alice)
    page = client.get(url("portal-case-new")).content.decode()
    assert "Support has been refused" in page
    response = client.post(url("portal-case-new"), open_form_data(world))
    assert response.status_code == 422 and "Support has been refused" in response.content.decode()


def test_open_with_another_orgs_contract_is_refused(as_user, world):
    # R: A4 — a contract id from another organisation is not a choice.
    response = as_user(world.alice).post(
        url("portal-case-new"), open_form_data(world, contract=str(world.globex_contract.pk))
    )
    assert response.status_code == 400
    assert "Contract: Select a valid choice." in re.sub(r"<[^>]+>", "", response.content.decode())
    assert Case.objects.filter(contract=world.globex_contract, contact=world.alice).count() == 0


def test_open_admin_case(as_user, world):
    # R: B1
    response = as_user(world.alice).post(
        url("portal-case-new"),
        open_form_data(
            world, kind="admin", admin_category="portal", product="", major_version="", patch=""
        ),
    )
    assert response.status_code == 302
    assert Case.objects.latest("pk").admin_category == "portal"


# --- working the case --------------------------------------------------------------------


def test_customer_update_moves_awaiting_info_to_customer_responded(as_user, world):
    # R: B5
    request_info(world, world.alice_case)
    response = as_user(world.alice).post(
        url("portal-case-update", world.alice_case.number), {"body": "Logs attached."}
    )
    assert response.status_code == 302
    world.alice_case.refresh_from_db()
    assert (world.alice_case.status, world.alice_case.sub_status) == (
        "open",
        "customer_responded",
    )
    assert CaseEvent.objects.filter(
        case=world.alice_case, kind=EventKind.CUSTOMER_UPDATE, body="Logs attached."
    ).exists()


def test_empty_update_is_refused(as_user, world):
    response = as_user(world.alice).post(
        url("portal-case-update", world.alice_case.number), {"body": ""}
    )
    assert response.status_code == 400 and "Write something first." in response.content.decode()


def test_close_with_resolved_and_comment(as_user, world):
    # R: B6
    case = world.alice_case
    response = as_user(world.alice).post(
        url("portal-case-close", case.number),
        {"sub_status": "resolved", "comment": "Fixed by the patch.", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.sub_status, case.close_reason) == (
        "closed",
        "resolved",
        "solution_accepted",
    )


def test_close_without_comment_is_refused(as_user, world):
    # R: B6
    case = world.alice_case
    response = as_user(world.alice).post(
        url("portal-case-close", case.number),
        {"sub_status": "cancelled", "comment": "", "version": case.version},
    )
    assert response.status_code == 400
    assert "A closure comment is required." in response.content.decode()


def test_close_with_stale_version_is_409_and_keeps_text(as_user, world):
    # R: B4 — optimistic concurrency: nothing the user typed is lost.
    case = world.alice_case
    stale = case.version
    request_info(world, case)
    response = as_user(world.alice).post(
        url("portal-case-close", case.number),
        {"sub_status": "resolved", "comment": "My careful closing words", "version": stale},
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body
    assert "My careful closing words" in body
    case.refresh_from_db()
    assert case.status == "awaiting_info"
    assert f'name="version" value="{case.version}"' in body  # resending is now deliberate


def test_reopen_request_within_window(as_user, world):
    # R: B7
    case = world.alice_case
    close_case(world, case)
    client = as_user(world.alice)
    page = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "Request to re-open" in page
    response = client.post(
        url("portal-case-reopen", case.number), {"information": "It is back after a reboot."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.sub_status == "customer_requested_reopen"


def test_reopen_needs_information(as_user, world):
    # R: B7 — refused with the reason; the case stays closed and nothing is recorded
    case = close_case(world, world.alice_case)
    events = case.events.count()
    response = as_user(world.alice).post(
        url("portal-case-reopen", case.number), {"information": "  "}
    )
    assert response.status_code == 400
    assert "Re-opening needs new supporting information." in response.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.sub_status, fresh.version) == (
        case.status,
        case.sub_status,
        case.version,
    )
    assert fresh.is_closed and fresh.events.count() == events


def test_after_30_days_offers_linked_new_case(as_user, world, time_machine):
    # R: B7
    case = world.alice_case
    close_case(world, case)
    time_machine.move_to(world.now + dt.timedelta(days=31), tick=False)
    client = as_user(world.alice)
    page = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "Request to re-open" not in page
    assert url("portal-case-follow-on", case.number) in page
    response = client.post(url("portal-case-reopen", case.number), {"information": "Back again"})
    assert response.status_code == 422 and "more than 30 days" in response.content.decode()


def test_follow_on_form_prefilled_and_links(as_user, world):
    # R: B7
    case = world.alice_case
    close_case(world, case)
    client = as_user(world.alice)
    page = client.get(url("portal-case-follow-on", case.number)).content.decode()
    assert f"Follow-on to {case.number}" in page
    response = client.post(
        url("portal-case-follow-on", case.number),
        open_form_data(world, subject=f"Follow-on to {case.number}"),
    )
    assert response.status_code == 302
    new = Case.objects.latest("pk")
    assert new.linked_from_id == case.pk


def test_follow_on_of_open_case_redirects(as_user, world):
    response = as_user(world.alice).get(url("portal-case-follow-on", world.alice_case.number))
    assert response.status_code == 302


def test_priority_low_to_medium_with_note(as_user, world):
    # R: B8
    case = world.open_case(world.alice, priority="low")
    client = as_user(world.alice)
    page = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "Ask for Medium" in page
    response = client.post(
        url("portal-case-priority", case.number),
        {"note": "Now affects billing too", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "medium"


def test_priority_request_without_note_is_refused(as_user, world):
    # R: B8
    case = world.open_case(world.alice, priority="low")
    response = as_user(world.alice).post(
        url("portal-case-priority", case.number), {"note": "", "version": case.version}
    )
    assert response.status_code == 400
    assert "A priority change needs a reason." in response.content.decode()


def test_priority_request_on_medium_case_is_refused(as_user, world):
    # R: B8 — a crafted POST cannot raise beyond what the policy allows.
    case = world.alice_case  # medium
    events = case.events.count()
    response = as_user(world.alice).post(
        url("portal-case-priority", case.number), {"note": "please", "version": case.version}
    )
    assert response.status_code == 422
    assert "The case is already Medium." in response.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.priority, fresh.version) == ("medium", case.version)
    assert fresh.events.count() == events


def test_priority_stale_version_is_409(as_user, world):
    # R: B8
    case = world.open_case(world.alice, priority="low")
    stale = case.version
    request_info(world, case)
    response = as_user(world.alice).post(
        url("portal-case-priority", case.number), {"note": "Urgent now", "version": stale}
    )
    assert response.status_code == 409
    assert "Urgent now" in response.content.decode()


def test_support_on_portal_case_url_goes_to_console(as_user, world):
    response = as_user(world.engineer).get(url("portal-case-detail", world.alice_case.number))
    assert response.status_code == 302
    assert response.url == url("console-case-detail", world.alice_case.number)


def test_open_reports_missing_product_with_other_errors(as_user, world):
    # R: B2 — every missing field is reported at once.
    response = as_user(world.alice).post(
        url("portal-case-new"), open_form_data(world, subject="", product="", major_version="")
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "A subject is required." in body and "Choose the product." in body
    assert "Choose the major version." in body


def test_stylesheet_is_found_by_staticfiles():
    from django.contrib.staticfiles import finders

    assert finders.find("casedesk/app.css")


def test_login_failures_are_rate_limited(client, world):
    # R: security rule 12 — the page and the API share one counter per e-mail and address.
    for _ in range(10):
        response = client.post("/login/", {"username": world.alice.email, "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post("/login/", {"username": world.alice.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post("/login/", {"username": world.bob.email, "password": PASSWORD})
    assert other.status_code == 302
