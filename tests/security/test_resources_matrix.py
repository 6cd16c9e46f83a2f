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
from tests.resources.conftest import build_resources

pytestmark = pytest.mark.django_db


@pytest.fixture
def res(world):
    return build_resources(world)


MISSING = 999_999


def _routes(world, res):
    """route → {object name: id} with who may have each (by organisation name)."""
    dialer = world.catalogue["product"].pk
    return {
        "/resources/{}/": {dialer: {"acme", "globex"}, res.fax.pk: {"acme"}},
        "/resources/downloads/{}/": {
            res.dialer_file.pk: {"acme", "globex"},
            res.fax_file.pk: {"acme"},
        },
        "/licences/{}/download/": {
            res.acme_licence.pk: {"acme"},
            res.globex_licence.pk: {"globex"},
        },
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
