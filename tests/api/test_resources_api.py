"""Articles, search, the resource centre, licences and the contact page over the API, with
the pages' scoping (F1, F2, F4, F5, F6; rule 3)."""

from __future__ import annotations

import hashlib

import pytest

from casedesk.accounts.models import AuditEvent
from casedesk.resources.models import EmergencyInstruction, SupportLine
from tests.knowledge.conftest import publish
from tests.resources.conftest import build_resources

pytestmark = pytest.mark.django_db


@pytest.fixture
def res(world):
    return build_resources(world)


def test_contact_page_data(as_user, anonymous, world):
    SupportLine.objects.create(region="amer", centre="Austin", phone="+1 512", hours="24×7")
    EmergencyInstruction.objects.create(position=1, text="Call the centre")
    data = as_user(world.alice).get("/contact").json()
    assert data["support_lines"][0]["centre"] == "Austin"
    assert data["production_down"] == ["Call the centre"]
    assert anonymous.get("/contact").status_code == 401


def test_resources_follow_contract_cover(as_user, world, res):
    alice, gina = as_user(world.alice), as_user(world.gina)
    assert {p["name"] for p in alice.get("/resources/products").json()} >= {"Fax Server"}
    assert "Fax Server" not in {p["name"] for p in gina.get("/resources/products").json()}
    dialer = gina.get(f"/resources/products/{world.catalogue['product'].pk}").json()
    (file,) = dialer["releases"][0]["downloads"]
    assert (file["sha256"], file["size"]) == (res.dialer_sha, len(res.dialer_bytes))
    got = gina.client.get(file["download_url"], headers=gina.headers)
    assert hashlib.sha256(b"".join(got.streaming_content)).hexdigest() == res.dialer_sha
    assert gina.get(f"/resources/products/{res.fax.pk}").status_code == 404
    assert gina.get(f"/resources/downloads/{res.fax_file.pk}").status_code == 404


def test_licences_are_the_organisations_own_and_audited(as_user, world, res):
    alice = as_user(world.alice)
    (licence,) = alice.get("/licences").json()
    assert licence["id"] == res.acme_licence.pk and licence["site"] == "Acme HQ"
    ok = alice.get(f"/licences/{res.acme_licence.pk}/download")
    assert b"".join(ok.streaming_content) == b"ACME LICENCE KEY"
    refused = alice.get(f"/licences/{res.globex_licence.pk}/download")
    missing = alice.get("/licences/999999/download")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert list(AuditEvent.objects.filter(action="licence.download").values_list("actor")) == [
        (world.alice.pk,)
    ]
    assert len(as_user(world.care).get("/licences").json()) == 2


def test_articles_and_search_hide_internal_articles_from_contacts(as_user, world):
    public = publish(world, "Osprey public fix", "Body osprey", visibility="public")
    internal = publish(world, "Osprey internal note", "Body osprey", visibility="internal")
    alice, engineer = as_user(world.alice), as_user(world.engineer)
    assert {a["id"] for a in alice.get("/articles").json()} == {public.pk}
    assert alice.get(f"/articles/{internal.pk}").status_code == 404
    assert alice.get(f"/articles/{public.pk}").json()["title"] == "Osprey public fix"
    found = alice.get("/search", q="osprey").json()
    assert b"internal" not in str(found).encode()
    assert found["counts"]["article"] == 1
    assert engineer.get(f"/articles/{internal.pk}").status_code == 200
    assert engineer.get("/search", q="osprey").json()["counts"]["article"] == 2
    assert alice.get("/search", q="").status_code == 422
    assert alice.get("/search", q="x", kind="bogus").status_code == 422
