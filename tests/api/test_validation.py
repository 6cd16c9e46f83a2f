"""Hostile and malformed input: field-level 4xx, never a 500 (security rules 4, 6-ish)."""

from __future__ import annotations

import json

import pytest

from casedesk.cases.models import Case, CaseEvent

from .conftest import field_errors


def test_unknown_field_is_422_with_its_path(world, as_user):  # R: B2 (security rule 4)
    response = as_user(world.alice).post(
        "/cases",
        {
            "contract_id": world.acme_contract.pk,
            "subject": "x",
            "description": "y",
            "organisation_id": world.globex.pk,
        },
    )
    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["body.organisation_id"] == "Extra inputs are not permitted"
    assert "body.organisation_id" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": 123}, "body.body"),
        ({"body": ["a"]}, "body.body"),
        ({"body": None}, "body.body"),
        ({"body": "ok", "internal": "true"}, "body.internal"),
        ({"body": "ok", "internal": 1}, "body.internal"),
        ({}, "body.body"),
    ],
)
def test_wrong_types_are_422(world, as_user, body, field):  # R: B5
    response = as_user(world.alice).post(f"/cases/{world.alice_case.number}/updates", body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)


def test_version_must_be_an_integer(world, as_user):  # R: B4
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/close",
        {"sub_status": "resolved", "comment": "x", "version": "1"},
    )
    assert response.status_code == 422
    assert "body.version" in field_errors(response)


def test_overlong_text_is_422(world, as_user):  # R: B2
    api = as_user(world.alice)
    base = {"contract_id": world.acme_contract.pk, "subject": "s", "description": "d"}
    subject = api.post("/cases", {**base, "subject": "x" * 201})
    assert subject.status_code == 422
    assert "body.subject" in field_errors(subject)
    description = api.post("/cases", {**base, "description": "x" * 20_001})
    assert description.status_code == 422
    assert "body.description" in field_errors(description)
    update = api.post(f"/cases/{world.alice_case.number}/updates", {"body": "x" * 20_001})
    assert update.status_code == 422
    # The limits themselves are fine (B2: subject 200, text 20,000).
    ok = api.post(f"/cases/{world.alice_case.number}/updates", {"body": "é" * 20_000})
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "raw", [b"{", b"{'body': 'x'}", b"\xff\xfe\x00", b'{"body": "x"', b"[" * 100_000]
)
def test_malformed_json_is_400(world, as_user, raw):  # R: B5
    response = as_user(world.alice).raw(f"/cases/{world.alice_case.number}/updates", raw)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed JSON")


def test_oversized_body_is_413(world, as_user):  # R: B5
    body = json.dumps({"body": "x" * (3 * 1024 * 1024)})
    response = as_user(world.alice).raw(f"/cases/{world.alice_case.number}/updates", body)
    assert response.status_code == 413


HOSTILE_BODIES = [
    [],
    [{"body": "x"}],
    None,
    "body",
    12,
    True,
    {"body": None, "internal": None},
    {"version": 10**400, "priority": "high", "reason": "x"},
    {"version": -1},
    {"version": 1.5},
    {"contract_id": 10**30, "subject": "s", "description": "d"},
    {"contract_id": 99_999_999, "subject": "s", "description": "d"},
    {"contract_id": True, "subject": "s", "description": "d"},
    {"body": "\u0000"},
    {"body": "\ud800"},
    {"body": "x" * 1_000_000},
    {"information": "y" * 1_000_000},
    {"body": {"$gt": ""}},
    {"assignee_email": "\ud83d\ude00" * 300},
    {"sub_status": "resolved", "comment": "👍", "close_reason": "🤷"},
    {"action": "close", "to": "resolved", "reason": "\u202eevil", "close_reason": None},
    {"priority": "medium", "reason": "r", "emergency_criterion": ["server_down"]},
    {"outcome": "defect", "change_request_id": "x" * 41},
    {"__proto__": {"admin": True}},
    {"email": "alice@acme.example", "password": "\ud800"},
    {"email": "alice@acme.example", "password": "\u0000" * 5000},
    {"email": ["alice@acme.example"], "password": "x"},
]
ENDPOINTS = [
    "/cases",
    "/cases/{n}/updates",
    "/cases/{n}/transitions",
    "/cases/{n}/close",
    "/cases/{n}/reopen",
    "/cases/{n}/follow-on",
    "/cases/{n}/priority",
    "/cases/{n}/outcome",
    "/cases/{n}/assign",
    "/auth/token",
]


@pytest.mark.parametrize("who", ["alice", "engineer"])
def test_hostile_bodies_never_500(world, as_user, who):  # R: B4 (security rule 4)
    api = as_user(getattr(world, who))
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    for path in ENDPOINTS:
        url = path.format(n=world.alice_case.number)
        for body in HOSTILE_BODIES:
            response = api.raw(url, json.dumps(body))
            status = response.status_code
            assert 400 <= status < 500, (url, body, status, response.content)
            assert set(response.json()) == {"detail", "errors"}
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)


def test_lone_surrogates_and_nul_are_field_errors(world, as_user):  # R: B5
    api = as_user(world.alice)
    url = f"/cases/{world.alice_case.number}/updates"
    for text in ["a\u0000b", "\ud800", "bell\u0007"]:
        response = api.raw(url, json.dumps({"body": text}))
        assert response.status_code == 422
        assert "body.body" in field_errors(response)
    # Ordinary Unicode, tabs and newlines are text like any other.
    ok = api.post(url, {"body": "Grüße\tfrom 東京\r\n— 👋 \u202e"})
    assert ok.status_code == 201
    assert ok.json()["body"] == "Grüße\tfrom 東京\r\n— 👋 \u202e"


def test_form_encoded_body_is_not_json(world, as_user):  # R: B5
    api = as_user(world.alice)
    response = api.client.post(
        f"/api/v1/cases/{world.alice_case.number}/updates",
        "body=hello",
        content_type="application/x-www-form-urlencoded",
        headers=api.headers,
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("body", [[], None, "body", 12])
def test_a_body_that_is_not_an_object_says_so(world, as_user, body):  # R: B5
    response = as_user(world.alice).raw("/cases", json.dumps(body))
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages == ["Send a JSON object with the fields of this request."]
    assert "CaseOpenIn" not in response.content.decode()
