"""Site visits (G4) and routing out of support (G5, G6): services and console/portal pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import case_mark_all_info_provided
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.policy.transitions import SubStatus
from casedesk.sitework.models import ScopeRouting, SiteVisit, VisitState
from casedesk.sitework.services import (
    VisitDraft,
    case_route_out_of_scope,
    site_visit_decide,
    site_visit_request,
)
from tests.factories import make_user
from tests.pages.helpers import url

pytestmark = pytest.mark.django_db


def _draft(world, **over) -> VisitDraft:  # type: ignore[no-untyped-def]
    values = dict(
        reason="Replace the failed media gateway card",
        visit_on=world.now.date() + dt.timedelta(days=3),
        days=2,
        travel_cost=Decimal("120.00"),
        daily_rate=Decimal("800.00"),
    )
    values.update(over)
    return VisitDraft(**values)


def _ready(world, case=None):  # type: ignore[no-untyped-def]
    case = case or world.alice_case
    return case_mark_all_info_provided(case=case, actor=world.engineer, now=world.now)


def test_a_visit_waits_for_the_remote_troubleshooting_information(world):
    # R: G4, C4 — refused before the information is in, allowed after.
    with pytest.raises(PolicyViolation, match="remote-troubleshooting"):
        site_visit_request(
            case=world.alice_case, actor=world.engineer, draft=_draft(world), now=world.now
        )
    assert not SiteVisit.objects.exists()
    _ready(world)
    visit = site_visit_request(
        case=world.alice_case, actor=world.engineer, draft=_draft(world), now=world.now
    )
    assert visit.state == VisitState.REQUESTED
    assert visit.charge == Decimal("1720.00")  # 120 + 2 × 800
    assert visit.site == world.acme_contract.site


def test_contacts_cannot_request_and_only_another_manager_decides(world):
    # R: G4, A4
    _ready(world)
    with pytest.raises(NotPermitted):
        site_visit_request(
            case=world.alice_case, actor=world.alice, draft=_draft(world), now=world.now
        )
    with pytest.raises(NotFound):  # another organisation's case looks missing
        site_visit_request(
            case=world.alice_case, actor=world.gina, draft=_draft(world), now=world.now
        )
    visit = site_visit_request(
        case=world.alice_case, actor=world.manager, draft=_draft(world), now=world.now
    )
    for who in (world.engineer, world.care, world.manager):
        with pytest.raises(NotPermitted):
            site_visit_decide(visit=visit, actor=who, approve=True, note="", now=world.now)
    other = make_user("mia@support.example", role="manager")
    with pytest.raises(PolicyViolation):  # declining needs a reason
        site_visit_decide(visit=visit, actor=other, approve=False, note=" ", now=world.now)
    decided = site_visit_decide(visit=visit, actor=other, approve=True, note="", now=world.now)
    assert decided.state == VisitState.APPROVED and decided.decided_by == other
    with pytest.raises(NotPermitted):  # decided once
        site_visit_decide(visit=visit, actor=other, approve=False, note="no", now=world.now)


def test_console_request_approve_and_the_customer_sees_only_the_approved_visit(as_user, world):
    # R: G4, item 7 — visibility on the timeline.
    client = as_user(world.engineer)
    number = world.alice_case.number
    form = {
        "reason": "Gateway card swap",
        "visit_on": (world.now.date() + dt.timedelta(days=2)).isoformat(),
        "days": "1",
        "billable": "on",
        "travel_cost": "50",
        "daily_rate": "900",
        "currency": "EUR",
    }
    refused = client.post(url("console-case-site-visit", number), form)
    assert refused.status_code == 422 and b"remote-troubleshooting" in refused.content
    _ready(world)
    page = client.get(url("console-case-detail", number)).content.decode()
    assert "Request a site visit" in page
    assert client.post(url("console-case-site-visit", number), form).status_code == 302
    visit = SiteVisit.objects.get()
    portal = as_user(world.alice).get(url("portal-case-detail", number)).content.decode()
    assert "Gateway card swap" not in portal  # a request is internal until a manager approves
    listed = as_user(world.manager).get(url("console-site-visits")).content.decode()
    assert "Gateway card swap" in listed and "950.00 EUR" in listed
    done = client.post(url("console-site-visit-decide", visit.pk), {"decision": "approve"})
    assert done.status_code == 302
    visit.refresh_from_db()
    assert visit.state == VisitState.APPROVED
    as_user(world.engineer)
    refused = client.post(url("console-site-visit-decide", visit.pk), {"decision": "approve"})
    assert refused.status_code == 403
    portal = as_user(world.alice).get(url("portal-case-detail", number)).content.decode()
    assert "Site visit approved" in portal and "950.00 EUR" in portal
    other_org = as_user(world.gina).get(url("portal-case-detail", number))
    assert other_org.status_code == 404


def test_bad_visit_input_is_a_form_error(as_user, world):
    # R: B5 — never a 500.
    _ready(world)
    client = as_user(world.engineer)
    bad = client.post(
        url("console-case-site-visit", world.alice_case.number),
        {"reason": "", "visit_on": "yesterday", "days": "99", "travel_cost": "-1"},
    )
    assert bad.status_code == 400
    past = client.post(
        url("console-case-site-visit", world.alice_case.number),
        {
            "reason": "x",
            "visit_on": (world.now.date() - dt.timedelta(days=1)).isoformat(),
            "days": "1",
            "travel_cost": "0",
            "daily_rate": "0",
            "currency": "EUR",
        },
    )
    assert past.status_code == 422 and b"in the past" in past.content
    assert not SiteVisit.objects.exists()


def _third_party(world):  # type: ignore[no-untyped-def]
    product = world.catalogue["product"]
    product.third_party = True
    product.save()
    return product


def test_a_customisation_goes_to_professional_services_and_is_recorded(as_user, world):
    # R: G6
    client = as_user(world.engineer)
    number = world.alice_case.number
    response = client.post(
        url("console-case-route", number),
        {"kind": "customisation", "vendor": "", "version": world.alice_case.version},
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=world.alice_case.pk)
    assert case.is_closed and case.sub_status == SubStatus.REDIRECTED
    routing = ScopeRouting.objects.get(case=case)
    assert routing.route_to == "Professional Services" and routing.kind == "customisation"
    portal = as_user(world.alice).get(url("portal-case-detail", number)).content.decode()
    assert "Professional Services" in portal and "routed to Professional Services" in portal


def test_a_third_party_product_is_routed_only_when_not_bought_from_us(world):
    # R: G5
    product = _third_party(world)
    world.alice_case.product = product
    world.alice_case.save()
    world.acme_contract.products.add(product)  # bought from us: supported
    with pytest.raises(PolicyViolation, match="bought from us"):
        case_route_out_of_scope(
            case=world.alice_case,
            actor=world.engineer,
            kind="third_party",
            vendor="Contoso",
            now=world.now,
        )
    assert not world.alice_case.events.filter(kind="transition").exists()
    world.acme_contract.products.remove(product)
    routing = case_route_out_of_scope(
        case=world.alice_case,
        actor=world.engineer,
        kind="third_party",
        vendor="Contoso",
        now=world.now,
    )
    assert routing.route_to == "Contoso" and "Please contact Contoso" in routing.answer
    with pytest.raises(NotPermitted):
        case_route_out_of_scope(
            case=world.carol_case, actor=world.alice, kind="customisation", vendor="", now=world.now
        )
