"""Every site-work route that names a record by id, tried by every role (security rule 3;
G1, G4): a contact reaches only their own organisation's cutover notices and diagrams, and no
site visit by id at all; support reaches all; only a manager decides a visit. What may not be
seen answers exactly like a record that does not exist, and a refused write changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from casedesk.accounts.services import api_token_create
from casedesk.cases.services import case_mark_all_info_provided
from casedesk.obligations.services import CutoverDraft, cutover_file
from casedesk.sitework.models import SiteVisit, VisitState
from casedesk.sitework.services import VisitDraft, cutover_diagram_store, site_visit_request

from .test_permission_matrix import ROUTES

pytestmark = pytest.mark.django_db

MISSING = 999_999


@pytest.fixture
def notice(world):  # type: ignore[no-untyped-def]
    start = world.now + dt.timedelta(days=21)
    n = cutover_file(
        actor=world.alice,
        site=world.acme_contract.site,
        draft=CutoverDraft(
            kind="new_install",
            technician="Tom",
            product_line="CC",
            installation_date=start.date(),
            cutover_start=start,
            cutover_end=start + dt.timedelta(hours=2),
            site_contact="Sam",
        ),
        now=world.now,
    )
    cutover_diagram_store(
        notice=n, actor=world.alice, filename="t.png", stream=io.BytesIO(b"png"), now=world.now
    )
    return n


def _get(client, route: str, pk: int, user):  # type: ignore[no-untyped-def]
    path = "/" + route.replace("<int:notice_id>", str(pk)).replace("<notice_id>", str(pk))
    headers = {}
    if route.startswith("api/"):
        headers["HTTP_AUTHORIZATION"] = "Bearer " + api_token_create(
            user=user, name="m", now=dt.datetime.now(dt.UTC)
        )
    return client.get(path, **headers)


CUTOVER_ROUTES = sorted(r for r, rule in ROUTES.items() if rule == "cutover")


@pytest.mark.parametrize("route", CUTOVER_ROUTES)
def test_cutover_records_reach_only_their_organisation_and_support(client, world, notice, route):
    # R: G1, A4
    may = {"alice": True, "carol": True, "bob": True, "gina": False}
    for name, allowed in may.items():
        user = getattr(world, name)
        client.force_login(user)
        got = _get(client, route, notice.pk, user)
        missing = _get(client, route, MISSING, user)
        assert missing.status_code == 404, (route, name)
        if allowed:
            assert got.status_code == 200, (route, name)
        else:
            assert got.status_code == 404, (route, name)
            assert b"Tom" not in got.content and b"png" not in got.content
        client.logout()
    if route.startswith("api/"):
        for staff in (world.engineer, world.care, world.manager):
            assert _get(client, route, notice.pk, staff).status_code == 200
        assert client.get("/" + route.replace("<notice_id>", str(notice.pk))).status_code == 401
    else:  # the portal's download: support is sent to the console, anonymous to the login
        client.force_login(world.engineer)
        assert _get(client, route, notice.pk, world.engineer).status_code == 302
        client.logout()
        assert _get(client, route, notice.pk, world.alice).status_code == 302


def test_the_console_diagram_and_filing_are_support_only(client, world, notice):
    # R: G1, A4
    for user in (world.alice, world.gina):
        client.force_login(user)
        assert client.get(f"/console/cutovers/{notice.pk}/diagram/").status_code == 404
        assert client.get("/console/cutovers/new/").status_code == 404
    client.force_login(world.engineer)
    assert client.get(f"/console/cutovers/{notice.pk}/diagram/").status_code == 200
    assert client.get(f"/console/cutovers/{MISSING}/diagram/").status_code == 404


def test_portal_filing_never_reaches_another_organisations_site(client, world):
    # R: G1, A4 — the site is not a choice; the service would say it is missing.
    client.force_login(world.gina)
    start = world.now + dt.timedelta(days=21)
    response = client.post(
        "/cutovers/",
        {
            "site": world.acme_contract.site.pk,
            "kind": "new_install",
            "technician": "x",
            "product_line": "x",
            "installation_date": start.date().isoformat(),
            "cutover_start": start.strftime("%Y-%m-%dT%H:%M"),
            "cutover_end": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "site_contact": "x",
        },
    )
    assert response.status_code == 400
    assert not world.acme.cutover_notices.exists()


def test_site_visit_decisions_by_every_role(client, world):
    # R: G4, A4 — contacts: 404 like a missing visit; engineers and care: 403; a manager
    # other than the requester: decided.
    case_mark_all_info_provided(case=world.alice_case, actor=world.engineer, now=world.now)
    visit = site_visit_request(
        case=world.alice_case,
        actor=world.engineer,
        draft=VisitDraft(reason="r", visit_on=world.now.date() + dt.timedelta(days=1)),
        now=world.now,
    )
    body = json.dumps({"approve": True, "note": ""})
    for user, status in (
        (world.alice, 404),
        (world.gina, 404),
        (world.engineer, 403),
        (world.care, 403),
    ):
        token = api_token_create(user=user, name="m", now=world.now)
        for pk in (visit.pk, MISSING):
            expected = 404 if pk == MISSING else status
            got = client.post(
                f"/api/v1/site-visits/{pk}/decision",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            assert got.status_code == expected, (user.email, pk)
        client.force_login(user)
        page = client.post(f"/console/site-visits/{visit.pk}/decide/", {"decision": "approve"})
        assert page.status_code == (404 if user.is_contact else 403), user.email
        client.logout()
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED
    client.force_login(world.manager)
    assert client.get("/console/site-visits/").status_code == 200
    decided = client.post(f"/console/site-visits/{visit.pk}/decide/", {"decision": "approve"})
    assert decided.status_code == 302
    assert SiteVisit.objects.get().state == VisitState.APPROVED
    own = site_visit_request(
        case=world.alice_case,
        actor=world.manager,
        draft=VisitDraft(reason="r", visit_on=world.now.date() + dt.timedelta(days=1)),
        now=world.now,
    )
    refused = client.post(f"/console/site-visits/{own.pk}/decide/", {"decision": "approve"})
    assert refused.status_code == 403 and b"Another manager" in refused.content
