"""Who gets which product resource, download and licence file (F1, F2; security rule 3).

A contact reaches the resource centre and files of products their organisation's contracts
cover and their own organisation's licences; anything else answers exactly like a missing
row (404, same body) and a licence refused is never audited. Anonymous readers are sent to
log in; staff are sent to the console, never served a customer's file by the portal.
"""

from __future__ import annotations

import pytest
from django.test import Client

from casedesk.accounts.models import AuditEvent
from casedesk.accounts.services import api_token_create
from tests.resources.conftest import build_resources

pytestmark = pytest.mark.django_db


@pytest.fixture
def res(world):
    return build_resources(world)


MISSING = 999_999


def _routes(world, res, api=False):
    """route → {object id: organisations that may have it}, for the pages or the API."""
    dialer = world.catalogue["product"].pk
    products = {dialer: {"acme", "globex"}, res.fax.pk: {"acme"}}
    files = {res.dialer_file.pk: {"acme", "globex"}, res.fax_file.pk: {"acme"}}
    licences = {res.acme_licence.pk: {"acme"}, res.globex_licence.pk: {"globex"}}
    if api:
        return {
            "/api/v1/resources/products/{}": products,
            "/api/v1/resources/downloads/{}": files,
            "/api/v1/licences/{}/download": licences,
        }
    return {
        "/resources/{}/": products,
        "/resources/downloads/{}/": files,
        "/licences/{}/download/": licences,
    }


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "gina"])
def test_contacts_get_only_what_their_organisation_has(world, res, who):
    user = getattr(world, who)
    org = "acme" if user.organisation_id == world.acme.pk else "globex"
    client = Client()
    client.force_login(user)
    for route, objects in _routes(world, res).items():
        missing = client.get(route.format(MISSING))
        assert missing.status_code == 404
        for pk, owners in objects.items():
            response = client.get(route.format(pk))
            if org in owners:
                assert response.status_code == 200, (who, route, pk)
            else:
                assert response.status_code == 404, (who, route, pk)
                assert response.content == missing.content
            assert client.post(route.format(pk)).status_code == 405
    audited = AuditEvent.objects.filter(action="licence.download", actor=user)
    assert audited.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "engineer", "care", "manager"])
def test_anonymous_and_staff_are_never_served_by_the_portal(world, res, who):
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    for route, objects in _routes(world, res).items():
        for pk in objects:
            response = client.get(route.format(pk))
            assert response.status_code == 302, (who, route)
            target = response["Location"]
            assert target.startswith("/login/" if who == "anonymous" else "/console/")
    for page in ("/contact/", "/resources/", "/licences/", "/feedback/"):
        assert client.get(page).status_code == 302
    assert not AuditEvent.objects.filter(action="licence.download").exists()


@pytest.mark.parametrize("who", ["alice", "gina", "engineer", "anonymous"])
def test_api_routes_follow_the_same_scope(world, res, who):
    client = Client()
    headers = {}
    if who != "anonymous":
        user = getattr(world, who)
        headers["Authorization"] = f"Bearer {api_token_create(user=user, name='m', now=world.now)}"
    org = {"alice": "acme", "gina": "globex"}.get(who)
    for route, objects in _routes(world, res, api=True).items():
        missing = client.get(route.format(MISSING), headers=headers)
        assert missing.status_code == (401 if who == "anonymous" else 404), (who, route)
        for pk, owners in objects.items():
            response = client.get(route.format(pk), headers=headers)
            if who == "anonymous":
                assert response.status_code == 401
            elif who == "engineer" or org in owners:
                assert response.status_code == 200, (who, route, pk)
            else:
                assert response.status_code == 404, (who, route, pk)
                assert response.content == missing.content
    for listing in ("/api/v1/licences", "/api/v1/resources/products", "/api/v1/contact"):
        assert client.get(listing, headers=headers).status_code == (
            401 if who == "anonymous" else 200
        )
    expected = 0 if who == "anonymous" else 1
    assert AuditEvent.objects.filter(action="licence.download").count() == expected * (
        2 if who == "engineer" else 1
    )
