"""Sites, VoIP readiness and change control over /api/v1 (G2, G3; issue 14 item 8)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casedesk.accounts.services import api_token_create
from casedesk.obligations.models import VoipAssessment
from tests.obligations.helpers import CSV_BAD, CSV_GOOD, voip_case

pytestmark = pytest.mark.django_db

LINE = {"stream": "T1", "codec": "G.711", "latency_ms": 40, "jitter_ms": 4, "loss_pct": 0,
        "rtp_dscp": 46, "sip_dscp": 24, "bandwidth_kbps": 96}  # fmt: skip


def _auth(world, who):  # type: ignore[no-untyped-def]
    token = api_token_create(user=getattr(world, who), name="t", now=world.now)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post(client, path, body, auth):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body), content_type="application/json", **auth)


def test_a_contact_records_typed_lines_and_reads_the_verdicts(client: Client, world):
    # R: G2 — per-line verdicts over the API; the site list says whether it is ready.
    auth = _auth(world, "alice")
    site = world.acme_contract.site.pk
    listed = client.get("/api/v1/sites", **auth).json()
    assert [(s["name"], s["voip_ready"]) for s in listed] == [("Acme HQ", None)]
    body = {"measured_at": "2026-11-24T09:00:00Z",
            "lines": [LINE, LINE | {"stream": "T2", "loss_pct": 2.5, "rtp_dscp": 0}]}  # fmt: skip
    response = _post(client, f"/api/v1/sites/{site}/voip-assessments", body, auth)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["passed"] is False and [line["passed"] for line in data["lines"]] == [True, False]
    assert data["lines"][1]["failures"] == [
        "Packet loss 2.5 % is over 1 %.",
        "RTP is marked DSCP 0, not 46 (EF).",
    ]
    assert client.get("/api/v1/sites", **auth).json()[0]["voip_ready"] is False
    internal = _post(
        client, f"/api/v1/sites/{site}/voip-assessments", body | {"public": False}, auth
    )
    assert internal.status_code == 403


def test_a_measurement_file_upload_is_refused_whole_with_per_row_errors(client: Client, world):
    # R: G2 — multipart file; a bad one: 422, one error per row and field, nothing stored.
    auth = _auth(world, "engineer")
    path = f"/api/v1/sites/{world.acme_contract.site.pk}/voip-assessments/upload"
    bad = client.post(path, {"file": SimpleUploadedFile("m.csv", CSV_BAD)}, **auth)
    assert bad.status_code == 422
    messages = [e["message"] for e in bad.json()["errors"]]
    assert messages[0].startswith("Row 3, latency_ms: ") and len(messages) == 3
    assert VoipAssessment.objects.count() == 0
    good = client.post(
        path, {"file": SimpleUploadedFile("m.csv", CSV_GOOD), "public": "false"}, **auth
    )
    assert good.status_code == 201 and good.json()["passed"] and not good.json()["public"]
    # The customer does not see the internal assessment.
    seen = client.get(
        f"/api/v1/sites/{world.acme_contract.site.pk}/voip-assessments", **_auth(world, "alice")
    )
    assert seen.json() == []


def test_changes_over_the_api_and_bad_bodies_are_422(client: Client, world):
    # R: G3
    auth = _auth(world, "bob")
    path = f"/api/v1/sites/{world.acme_contract.site.pk}/changes"
    change = {"performed_at": "2026-11-23T22:00:00+01:00", "engineer": "Sam",
              "short_description": "SBC firmware", "summary": "Upgraded", "outcome": "reverted",
              "implementation_plan": "a", "test_plan": "b", "backout_plan": "c",
              "backup_taken": False}  # fmt: skip
    assert _post(client, path, change | {"outcome": "partly"}, auth).status_code == 422
    assert _post(client, path, change | {"extra": 1}, auth).status_code == 422
    future = change | {"performed_at": "2030-01-01T00:00:00Z"}
    assert _post(client, path, future, auth).status_code == 422
    created = _post(client, path, change, auth)
    assert created.status_code == 201 and created.json()["outcome"] == "reverted"
    listed = client.get(path, **auth).json()
    assert [c["short_description"] for c in listed] == ["SBC firmware"]


def test_support_holds_a_voip_case_over_the_api(client: Client, world):
    # R: G2 — the hold's own endpoint; the generic transition refuses it.
    case = voip_case(world)
    auth = _auth(world, "engineer")
    detail = client.get(f"/api/v1/cases/{case.number}", **auth).json()
    hold = [a for a in detail["available_actions"] if a["action"] == "hold_voip"]
    assert hold and hold[0]["endpoint"] == "voip-hold"
    generic = {"action": "hold_voip", "to": "voip_readiness_pending", "reason": "x"}
    assert (
        _post(client, f"/api/v1/cases/{case.number}/transitions", generic, auth).status_code == 422
    )
    held = _post(client, f"/api/v1/cases/{case.number}/voip-hold", {}, auth)
    assert held.status_code == 200 and held.json()["sub_status"] == "voip_readiness_pending"
    again = _post(client, f"/api/v1/cases/{case.number}/voip-hold", {}, auth)
    assert again.status_code == 409
    mine = _post(client, f"/api/v1/cases/{case.number}/voip-hold", {}, _auth(world, "alice"))
    assert mine.status_code == 403
