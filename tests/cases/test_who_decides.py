"""Who may do what (issue 11 item 4; A3, A5, B7, C7, C9).

A colleague who sees a case reads it and adds information; closing, priority changes,
escalation and re-open requests belong to the case's own contact and to support, in the
services (the one place), on the portal page and in the API. Care can limit a contact to
some contracts. Maintenance is current by the site's local date. A re-open request made
within the window may be accepted later, and the purge waits while it is pending.
"""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.models import Contract, ContractAccess, Site
from casedesk.accounts.selectors import contract_maintenance
from casedesk.cases import services
from casedesk.cases.models import Case, EventKind
from casedesk.cases.permissions import can_view_case, scope_cases
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.escalations.services import EscalationRequest, escalation_request
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.services import worker_tick
from casedesk.sla.retention import PURGE
from tests.api.conftest import ApiClient
from tests.factories import draft, make_user
from tests.pages.helpers import url

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _close(case, actor, now, **kw):
    return services.case_transition(
        case=case,
        actor=actor,
        action="close",
        to="resolved",
        reason="Works now",
        close_reason=kw.pop("close_reason", "solution_accepted"),
        now=now,
        **kw,
    )


# --- a colleague reads and adds; the owner decides (C9) --------------------------------


def test_a_colleague_adds_information_but_cannot_decide(world):
    # R: C9, A3
    case = world.alice_case
    services.case_add_update(case=case, actor=world.bob, body="Same on our site", now=world.now)
    with pytest.raises(NotPermitted, match="contact who opened"):
        _close(case, world.bob, world.now)
    with pytest.raises(NotPermitted):
        services.case_change_priority(
            case=case, actor=world.bob, priority="medium", reason="x", now=world.now
        )
    ask = EscalationRequest(kind="standard", reason="r", summary="s", expectations="e")
    with pytest.raises(NotPermitted):
        escalation_request(case=case, actor=world.bob, request=ask, now=world.now)
    closed = _close(case, world.alice, world.now)
    with pytest.raises(NotPermitted):
        services.case_reopen(case=closed, actor=world.bob, information="again", now=world.now)
    # the owner still may
    services.case_reopen(case=closed, actor=world.alice, information="again", now=world.now)


def test_portal_shows_a_colleague_no_deciding_controls(client, world, time_machine):
    # R: C9
    time_machine.move_to(world.now, tick=False)
    number = world.alice_case.number
    client.force_login(world.bob)
    html = client.get(url("portal-case-detail", number)).content.decode()
    assert url("portal-case-update", number) in html  # may add information
    for action in ("portal-case-close", "portal-case-priority", "portal-case-escalate"):
        assert url(action, number) not in html, action
    assert client.get(url("portal-case-escalate", number)).status_code == 403
    response = client.post(
        url("portal-case-close", number),
        {"sub_status": "resolved", "comment": "done", "version": world.alice_case.version},
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=world.alice_case.pk).status == "open"
    client.force_login(world.alice)
    html = client.get(url("portal-case-detail", number)).content.decode()
    assert url("portal-case-close", number) in html


def test_api_refuses_a_colleague_closing_and_offers_no_close(world, time_machine):
    # R: C9 — before: HTTP 200 and the case was closed
    from casedesk.accounts.services import api_token_create

    time_machine.move_to(world.now, tick=False)
    api = ApiClient(api_token_create(user=world.bob, name="t", now=world.now))
    number = world.alice_case.number
    detail = api.get(f"/cases/{number}").json()
    assert "close" not in {a["action"] for a in detail["available_actions"]}
    response = api.post(
        f"/cases/{number}/close",
        {"sub_status": "resolved", "comment": "fixed", "version": detail["version"]},
    )
    assert response.status_code == 403, response.content
    assert Case.objects.get(pk=world.alice_case.pk).status == "open"
    assert api.post(f"/cases/{number}/updates", {"body": "more logs"}).status_code == 201


# --- contract access (A3, admin case "access to a contract") ---------------------------


@pytest.fixture
def second_contract(world):
    site = Site.objects.create(organisation=world.acme, name="Acme Plant", country="DE")
    return Contract.objects.create(
        number="K-ACME-2",
        organisation=world.acme,
        site=site,
        deployment="cloud",
        region="emea",
        paid_through=world.now.date() + dt.timedelta(days=30),
    )


def test_contract_access_limits_what_a_contact_sees_and_opens_on(world, second_contract):
    # R: A3, A4
    plant_case = services.case_open(
        contact=world.bob, draft=draft(second_contract, world.catalogue), now=world.now
    )
    assert can_view_case(world.bob, world.alice_case) and can_view_case(world.bob, plant_case)
    ContractAccess.objects.create(contact=world.bob, contract=second_contract)
    bob = type(world.bob).objects.get(pk=world.bob.pk)  # a new request, a fresh read
    assert not can_view_case(bob, world.alice_case)
    assert can_view_case(bob, plant_case)
    assert set(scope_cases(bob, Case.objects.all())) == {plant_case}
    with pytest.raises(PolicyViolation, match="contracts you have access to"):
        services.case_open(
            contact=bob, draft=draft(world.acme_contract, world.catalogue), now=world.now
        )
    services.case_open(contact=bob, draft=draft(second_contract, world.catalogue), now=world.now)


def test_open_form_offers_only_the_allowed_contracts(client, world, second_contract):
    ContractAccess.objects.create(contact=world.alice, contract=second_contract)
    client.force_login(world.alice)
    import re

    html = client.get(url("portal-case-new")).content.decode()
    select = re.search(r'<select name="contract".*?</select>', html, re.S).group(0)
    assert f'value="{second_contract.pk}"' in select
    assert f'value="{world.acme_contract.pk}"' not in select


def test_contract_access_admin_refuses_another_organisations_contract(world):
    from django.core.exceptions import ValidationError

    access = ContractAccess(contact=world.alice, contract=world.globex_contract)
    with pytest.raises(ValidationError, match="own organisation"):
        access.full_clean()


def test_care_edits_contract_access_in_the_back_office(client, world, second_contract):
    client.force_login(make_user("root@support.example", role="care", is_superuser=True))
    page = client.get(f"/admin/accounts/user/{world.alice.pk}/change/").content.decode()
    assert "Contract access (none listed: every contract of the organisation)" in page


# --- maintenance by the site's local date (C9) -------------------------------------------


def test_maintenance_uses_the_sites_local_date(world):
    # R: A5, C9 — paid through Tue 24 Nov 2026.
    contract = world.acme_contract
    contract.paid_through = dt.date(2026, 11, 24)
    contract.site.time_zone = "Pacific/Auckland"  # UTC+13 in November
    at = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Wed 25 Nov 01:00 in Auckland
    assert not contract_maintenance(contract, at)
    contract.site.time_zone = "America/Los_Angeles"
    assert contract_maintenance(contract, dt.datetime(2026, 11, 25, 7, 0, tzinfo=UTC))  # 23:00
    contract.site.time_zone = ""  # the EMEA region's London date
    assert contract_maintenance(contract, dt.datetime(2026, 11, 24, 23, 59, tzinfo=UTC))
    assert not contract_maintenance(contract, dt.datetime(2026, 11, 25, 0, 0, tzinfo=UTC))


def test_opening_refuses_by_the_sites_date(world):
    contract = world.acme_contract
    contract.paid_through = dt.date(2026, 11, 24)
    contract.save()
    Site.objects.filter(pk=contract.site_id).update(time_zone="Pacific/Auckland")
    with pytest.raises(PolicyViolation, match="Accounts"):
        services.case_open(
            contact=world.alice,
            draft=draft(contract, world.catalogue),
            now=dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        )


# --- re-open requests and the purge (C9) -------------------------------------------------


def test_a_request_made_in_the_window_is_accepted_later_and_the_purge_waits(world):
    # R: B7, C7, C9
    import io

    from casedesk.files.services import attachment_store

    case = world.alice_case
    attachment = attachment_store(
        case=case,
        actor=world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"x" * 10),
        source="browser",
        now=world.now,
    )
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    _close(case, world.alice, closed_at)
    asked = closed_at + dt.timedelta(days=29)
    services.case_reopen(case=case, actor=world.alice, information="Back again", now=asked)
    # Day 30: the purge is due but waits for support's answer.
    due = closed_at + dt.timedelta(days=30)
    assert worker_tick(worker="t", now=due) == 1
    attachment.refresh_from_db()
    assert attachment.purged_at is None
    first = Deadline.objects.filter(kind=PURGE).order_by("pk").first()
    assert first.outcome.startswith("waiting")
    assert Deadline.objects.filter(kind=PURGE, state=DeadlineState.PENDING).count() == 1
    # Day 33: support accepts the request made on day 29.
    later = closed_at + dt.timedelta(days=33)
    reopened = services.case_reopen(
        case=case, actor=world.engineer, information="Accepting your request", now=later
    )
    assert reopened.status == "open"
    assert not Deadline.objects.filter(kind=PURGE, state=DeadlineState.PENDING).exists()
    attachment.refresh_from_db()
    assert attachment.purged_at is None


def test_support_cannot_reopen_late_without_a_request(world):
    case = world.alice_case
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    _close(case, world.alice, closed_at)
    with pytest.raises(PolicyViolation, match="more than 30 days"):
        services.case_reopen(
            case=case,
            actor=world.engineer,
            information="x",
            now=closed_at + dt.timedelta(days=31),
        )


def test_colleague_sees_a_pending_request_as_the_owners(client, world, time_machine):
    case = world.alice_case
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    _close(case, world.alice, closed_at)
    services.case_reopen(case=case, actor=world.alice, information="again", now=closed_at)
    time_machine.move_to(closed_at, tick=False)
    client.force_login(world.bob)
    html = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "Alice asked to re-open this case" in html
    assert case.events.filter(kind=EventKind.TRANSITION).exists()
