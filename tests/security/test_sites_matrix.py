"""Who reaches which site's records (G2, G3; security rule 3, A3, A4).

A contact sees and files VoIP assessments and change records for their own organisation's
sites only — and, when care limited them to some contracts, only those contracts' sites.
Every other site answers exactly like a missing one (404, same body), for reads and writes,
on the pages and the API, and nothing is stored. Support staff reach every site.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from casedesk.accounts.models import ContractAccess, Site
from casedesk.accounts.services import api_token_create
from casedesk.obligations.models import ChangeRecord, VoipAssessment
from tests.obligations.helpers import CSV_GOOD
from tests.security.test_permission_matrix import ROUTES

pytestmark = pytest.mark.django_db

MISSING = 999_999
PAGE_ROUTES = sorted(r for r, rule in ROUTES.items() if rule == "site" and not r.startswith("api"))
API_ROUTES = sorted(r for r, rule in ROUTES.items() if rule == "site" and r.startswith("api"))
LINE = {"stream": "T1", "codec": "G.711", "latency_ms": 40, "jitter_ms": 4, "loss_pct": 0,
        "rtp_dscp": 46, "sip_dscp": 24, "bandwidth_kbps": 96}  # fmt: skip
CHANGE = {"performed_at": "2026-11-20T10:00:00Z", "engineer": "Sam", "short_description": "x",
          "summary": "x", "outcome": "successful", "implementation_plan": "x",
          "test_plan": "x", "backout_plan": "x", "backup_taken": True}  # fmt: skip
FORM = {"form": "typed", "measured_at": "2026-11-20T10:00", "l1_stream": "T1",
        **{f"l1_{k}": str(v) for k, v in LINE.items() if k != "stream"},
        **{k: str(v) for k, v in CHANGE.items()}, "performed_at": "2026-11-20T10:00"}  # fmt: skip


def _stored() -> tuple[int, int]:
    return VoipAssessment.objects.count(), ChangeRecord.objects.count()


def _page(route: str, pk: int) -> str:
    return "/" + route.replace("<int:site_id>", str(pk))


def _api(client: Client, route: str, pk: int, token: str, method: str):  # type: ignore[no-untyped-def]
    path = "/" + route.replace("<site_id>", str(pk))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "get":
        return client.get(path, **auth)
    if route.endswith("upload"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("m.csv", CSV_GOOD, content_type="text/csv")
        return client.post(path, {"file": upload}, **auth)
    body = CHANGE if route.endswith("changes") else {"measured_at": CHANGE["performed_at"],
                                                     "lines": [LINE]}  # fmt: skip
    return client.post(path, json.dumps(body), content_type="application/json", **auth)


@pytest.fixture
def depot(world):  # type: ignore[no-untyped-def]
    """A second Acme site, on no contract carol is limited to."""
    ContractAccess.objects.create(contact=world.carol, contract=world.acme_contract)
    return Site.objects.create(organisation=world.acme, name="Acme Depot", country="GB")


def _visible(world, depot):  # type: ignore[no-untyped-def]
    acme, globex = world.acme_contract.site.pk, world.globex_contract.site.pk
    return {
        "alice": {acme: True, depot.pk: True, globex: False},
        "bob": {acme: True, depot.pk: True, globex: False},
        "carol": {acme: True, depot.pk: False, globex: False},  # limited to acme's contract
        "gina": {acme: False, depot.pk: False, globex: True},
        "engineer": {acme: True, depot.pk: True, globex: True},
        "care": {acme: True, depot.pk: True, globex: True},
        "manager": {acme: True, depot.pk: True, globex: True},
    }


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "gina"])
def test_contacts_reach_only_their_own_sites_pages(world, depot, who):
    # R: G2, G3, A3, A4 — another organisation's site is a missing one, reads and writes.
    client = Client()
    client.force_login(getattr(world, who))
    for route in PAGE_ROUTES:
        for method in ("get", "post"):
            call = client.get if method == "get" else client.post
            missing = call(_page(route, MISSING), FORM if method == "post" else None)
            assert missing.status_code in (404, 405)  # a read-only page refuses POST first
            for pk, may in _visible(world, depot)[who].items():
                if not may:
                    # A fresh session: no flash message left by a success on another site,
                    # so the two compared pages can differ only by the site they name.
                    client = Client()
                    client.force_login(getattr(world, who))
                    call = client.get if method == "get" else client.post
                    missing = call(_page(route, MISSING), FORM if method == "post" else None)
                before = _stored()
                response = call(_page(route, pk), FORM if method == "post" else None)
                where = (who, method, route, pk)
                if may:
                    assert response.status_code in (200, 302, 400, 405), where
                    continue
                assert response.status_code == missing.status_code, where
                assert response.content == missing.content, where
                assert _stored() == before, where


@pytest.mark.parametrize("who", ["alice", "carol", "gina", "engineer", "manager"])
def test_the_api_answers_like_the_pages(world, depot, who):
    # R: G2, G3, A4 — the same rule through the API, bearer token.
    client = Client()
    token = api_token_create(user=getattr(world, who), name="matrix", now=world.now)
    for route in API_ROUTES:
        for method in ("get", "post"):
            if route.endswith("upload") and method == "get":
                continue
            missing = _api(client, route, MISSING, token, method)
            assert missing.status_code == 404, (route, method)
            for pk, may in _visible(world, depot)[who].items():
                before = _stored()
                response = _api(client, route, pk, token, method)
                where = (who, method, route, pk, response.content[:300])
                if may:
                    assert response.status_code in (200, 201), where
                    continue
                assert response.status_code == 404, where
                assert response.json() == missing.json(), where
                assert _stored() == before, where


def test_staff_reach_every_site_in_the_console_and_contacts_none(world, depot):
    # R: A4 — the console's site pages are support's; for a contact they do not exist.
    globex = world.globex_contract.site.pk
    for who, status in (("engineer", 200), ("care", 200), ("alice", 404)):
        client = Client()
        client.force_login(getattr(world, who))
        for route in ("console/sites/{}/", "console/sites/{}/voip/", "console/sites/{}/changes/"):
            assert client.get("/" + route.format(globex)).status_code == status, (who, route)
        assert client.get(f"/console/sites/{MISSING}/").status_code == 404
