"""Cutover notices, site visits and routing in /api/v1 (issue 14 items 1, 4, 7, 8; G1, G4-G6):
the pages' rules and scoping, bad input as 4xx with field errors."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases.services import case_mark_all_info_provided
from casedesk.obligations.models import CutoverNotice
from casedesk.sitework.models import SiteVisit

from .conftest import BASE, field_errors

pytestmark = pytest.mark.django_db


def _notice(world, site, days: int = 21, **over):  # type: ignore[no-untyped-def]
    start = (world.now + dt.timedelta(days=days)).replace(hour=10, minute=0)
    body = {
        "site_id": site.pk,
        "kind": "server_upgrade",
        "technician": "Tom Tech",
        "product_line": "Contact Centre",
        "installation_date": start.date().isoformat(),
        "cutover_start": start.isoformat(),
        "cutover_end": (start + dt.timedelta(hours=3)).isoformat(),
        "site_contact": "Sam Site",
        "checklist": ["wiring", "installation"],
    }
    body.update(over)
    return body


def test_a_contact_files_lists_and_reads_only_their_organisations_notices(as_user, world):
    # R: G1, A4
    alice, gina = as_user(world.alice), as_user(world.gina)
    created = alice.post("/cutovers", _notice(world, world.acme_contract.site))
    assert created.status_code == 201, created.json()
    notice = created.json()
    assert notice["organisation"] == "Acme" and notice["checklist"] == ["wiring", "installation"]
    assert notice["window"] == {"after_hours": False, "weekend": False, "holiday": ""}
    # Another organisation's site is missing to her, whatever the id.
    other = alice.post("/cutovers", _notice(world, world.globex_contract.site))
    assert other.status_code == 404
    assert gina.get(f"/cutovers/{notice['id']}").status_code == 404
    assert [n["id"] for n in gina.get("/cutovers").json()] == []
    assert [n["id"] for n in alice.get("/cutovers").json()] == [notice["id"]]
    assert [n["id"] for n in as_user(world.engineer).get("/cutovers").json()] == [notice["id"]]
    assert as_user(world.engineer).get("/cutovers", region="brazil").json() == []


def test_a_late_notice_says_the_earliest_date_and_bad_input_names_the_field(as_user, world):
    # R: G1, B5
    alice = as_user(world.alice)
    late = alice.post("/cutovers", _notice(world, world.acme_contract.site, days=2))
    assert late.status_code == 422
    assert "earliest allowed date" in field_errors(late)["body.cutover_start"]
    naive = alice.post(
        "/cutovers", _notice(world, world.acme_contract.site, cutover_start="2026-12-30T10:00")
    )
    assert naive.status_code == 422 and "body.cutover_start" in field_errors(naive)
    wrong = alice.post("/cutovers", _notice(world, world.acme_contract.site, checklist=["x"]))
    assert wrong.status_code == 422
    extra = alice.post("/cutovers", {**_notice(world, world.acme_contract.site), "id": 5})
    assert extra.status_code == 422
    backwards = _notice(world, world.acme_contract.site)
    backwards["cutover_end"] = backwards["cutover_start"]
    assert alice.post("/cutovers", backwards).status_code == 422
    assert not CutoverNotice.objects.exists()


def test_the_diagram_goes_up_as_multipart_and_comes_down_to_its_organisation(as_user, world):
    # R: G1, A4
    alice = as_user(world.alice)
    notice = alice.post("/cutovers", _notice(world, world.acme_contract.site)).json()
    up = alice.client.post(
        f"{BASE}/cutovers/{notice['id']}/diagram",
        {"file": _file(b"%PDF-1.4 topology")},
        headers=alice.headers,
    )
    assert up.status_code == 201, up.content
    assert up.json()["download_url"] == f"/api/v1/cutovers/{notice['id']}/diagram"
    down = alice.get(f"/cutovers/{notice['id']}/diagram")
    assert down.status_code == 200 and b"".join(down.streaming_content) == b"%PDF-1.4 topology"
    gina = as_user(world.gina)
    assert gina.get(f"/cutovers/{notice['id']}/diagram").status_code == 404
    stolen = gina.client.post(
        f"{BASE}/cutovers/{notice['id']}/diagram", {"file": _file(b"x")}, headers=gina.headers
    )
    assert stolen.status_code == 404
    assert alice.get(f"/cutovers/{notice['id']}").json()["diagram"]["filename"] == "net.pdf"


def _file(data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("net.pdf", data, "application/pdf")


def _visit(world, **over):  # type: ignore[no-untyped-def]
    body = {
        "reason": "Swap the gateway card",
        "visit_on": (world.now.date() + dt.timedelta(days=5)).isoformat(),
        "days": 2,
        "billable": True,
        "travel_cost": "80.50",
        "daily_rate": "700",
    }
    body.update(over)
    return body


def test_site_visits_over_the_api_follow_the_rules_and_the_scoping(as_user, world):
    # R: G4, C4, A4
    number = world.alice_case.number
    engineer = as_user(world.engineer)
    early = engineer.post(f"/cases/{number}/site-visits", _visit(world))
    assert early.status_code == 422 and "remote-troubleshooting" in early.json()["detail"]
    case_mark_all_info_provided(case=world.alice_case, actor=world.engineer, now=world.now)
    assert (
        as_user(world.alice).post(f"/cases/{number}/site-visits", _visit(world)).status_code == 403
    )
    assert (
        as_user(world.gina).post(f"/cases/{number}/site-visits", _visit(world)).status_code == 404
    )
    bad = engineer.post(f"/cases/{number}/site-visits", _visit(world, days=0, travel_cost="-1"))
    assert bad.status_code == 422 and {"body.days", "body.travel_cost"} <= set(field_errors(bad))
    made = engineer.post(f"/cases/{number}/site-visits", _visit(world))
    assert made.status_code == 201 and made.json()["charge"] == "1480.50"
    visit_id = made.json()["id"]
    assert as_user(world.alice).get(f"/cases/{number}/site-visits").json() == []
    assert len(engineer.get(f"/cases/{number}/site-visits").json()) == 1
    decide = {"approve": True, "note": ""}
    assert engineer.post(f"/site-visits/{visit_id}/decision", decide).status_code == 403
    assert as_user(world.alice).post(f"/site-visits/{visit_id}/decision", decide).status_code == 404
    ok = as_user(world.manager).post(f"/site-visits/{visit_id}/decision", decide)
    assert ok.status_code == 200 and ok.json()["state"] == "approved"
    seen = as_user(world.alice).get(f"/cases/{number}/site-visits").json()
    assert [v["id"] for v in seen] == [visit_id]
    assert as_user(world.gina).get(f"/cases/{number}/site-visits").status_code == 404
    timeline = as_user(world.alice).get(f"/cases/{number}/timeline").json()
    visits = [t for t in timeline if t["kind"] == "site_visit"]
    assert len(visits) == 1 and "approved" in visits[0]["summary"] and visits[0]["data"] is None
    staff = engineer.get(f"/cases/{number}/timeline").json()
    assert len([t for t in staff if t["kind"] == "site_visit"]) == 2
    assert SiteVisit.objects.count() == 1


def test_routing_over_the_api(as_user, world):
    # R: G5, G6
    number = world.carol_case.number
    assert (
        as_user(world.carol).post(f"/cases/{number}/routing", {"kind": "customisation"}).status_code
        == 403
    )
    ours = as_user(world.engineer).post(f"/cases/{number}/routing", {"kind": "third_party"})
    assert ours.status_code == 422 and "our own product" in ours.json()["detail"]
    stale = as_user(world.engineer).post(
        f"/cases/{number}/routing", {"kind": "customisation", "version": 99}
    )
    assert stale.status_code == 409
    done = as_user(world.engineer).post(f"/cases/{number}/routing", {"kind": "customisation"})
    assert done.status_code == 201 and done.json()["route_to"] == "Professional Services"
    again = as_user(world.engineer).post(f"/cases/{number}/routing", {"kind": "customisation"})
    assert again.status_code in (409, 422)
