"""The OpenAPI document says what the server does (issue 15 item 16; B2, B4, B5, A2).

Every status an operation can answer is declared, every API error is JSON, what the
services require is required (and constrained) in the schema, and every write to a case
takes the ``version`` its caller read, refusing a stale one with 409.
"""

from __future__ import annotations

import datetime as dt

import jsonschema_rs
import pytest
from django.test import Client

from casedesk.cases.models import Case, CaseEvent
from casedesk.escalations.models import Escalation

from .conftest import field_errors
from .test_cases_write import open_body


@pytest.fixture
def doc(db):  # type: ignore[no-untyped-def]
    return Client().get("/api/v1/openapi.json").json()


def _operations(doc):  # type: ignore[no-untyped-def]
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_declares_401_and_503_and_errors_share_one_shape(doc):
    # R: A2, B5
    for path, method, operation in _operations(doc):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        if path != "/api/v1/auth/token":
            assert "401" in responses, label  # no token, a wrong or a revoked one
        assert "503" in responses, label  # the database unreachable
        for status, response in responses.items():
            if int(status) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (label, status)
    token = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"400", "401", "422", "429"} <= set(token)  # malformed JSON is a 400
    download = doc["paths"]["/api/v1/attachments/{attachment_id}/download"]["get"]["responses"]
    assert {"401", "404", "410", "422"} <= set(download)


def test_undeclared_answers_found_by_the_fuzzer(world, anonymous, as_user):
    # R: A2, B5 — each status below is now in the operation's responses (see above)
    for path in ("/me", "/catalogue"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert set(response.json()) == {"detail", "errors"}
    assert anonymous.post("/me/pin").status_code == 401
    assert anonymous.get("/attachments/1/download").status_code == 401
    not_a_number = as_user(world.alice).get("/attachments/null,null/download")
    assert not_a_number.status_code == 422
    assert "path.attachment_id" in field_errors(not_a_number)
    malformed = anonymous.raw("/auth/token", b"\x00")
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("Malformed JSON")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/me", "GET"),
        ("put", "/api/v1/cases", "GET, POST"),
        ("get", "/api/v1/auth/token", "POST"),
        ("patch", "/api/v1/cases/CS-000001/close", "POST"),
    ],
)
def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(db, method, path, allowed):
    # R: B5
    response = getattr(Client(), method)(path)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert {m.strip() for m in response["Allow"].split(",")} == set(allowed.split(", "))
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert method.upper() in body["detail"] and allowed.split(", ")[0] in body["detail"]


def test_an_unknown_api_path_is_a_json_404(db):
    # R: B5
    response = Client().get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No such API endpoint")


# --- what opening a case requires --------------------------------------------------------


def _without(body, *names):  # type: ignore[no-untyped-def]
    return {k: v for k, v in body.items() if k not in names}


@pytest.mark.parametrize(
    ("change", "refused_field"),
    [
        (lambda b: b, None),
        (lambda b: {**b, "subject": "   "}, "body.subject"),
        (lambda b: {**b, "subject": ""}, "body.subject"),
        (lambda b: {**b, "description": "\n\t "}, "body.description"),
        (lambda b: _without(b, "description"), "body.description"),
        (lambda b: _without(b, "product_id", "major_version_id"), "body.product_id"),
        (lambda b: {**b, "product_id": None}, "body.product_id"),
        (lambda b: _without(b, "major_version_id"), "body.major_version_id"),
        (lambda b: {**b, "kind": "support", "major_version_id": None}, "body.major_version_id"),
        (lambda b: {**_without(b, "major_version_id"), "kind": "service_request"}, None),
        (lambda b: _without({**b, "kind": "service_request"}, "product_id"), "body.product_id"),
        (
            lambda b: {
                **_without(b, "product_id", "major_version_id"),
                "kind": "admin",
                "admin_category": "licence",
            },
            None,
        ),
    ],
)
def test_the_schema_requires_what_the_server_requires(doc, world, as_user, change, refused_field):
    # R: B2 — a body the published schema accepts is opened; one it refuses, the server
    # refuses too, naming the field.
    body = change(open_body(world))
    schema = doc["components"]["schemas"]["CaseOpenIn"]
    response = as_user(world.alice).post("/cases", body)
    if refused_field is None:
        assert jsonschema_rs.validator_for(schema).is_valid(body)
        assert response.status_code == 201, response.content
    else:
        assert not jsonschema_rs.validator_for(schema).is_valid(body)
        assert response.status_code == 422, response.content
        assert refused_field in field_errors(response)


def test_support_staff_are_told_the_contact_is_theirs_to_name(doc, world, as_user):
    # R: A8, H1 — the requirement depends on the caller's role, so the schema says it
    field = doc["components"]["schemas"]["CaseOpenIn"]["properties"]["contact_email"]
    assert "required from support staff" in field["description"]
    response = as_user(world.engineer).post("/cases", open_body(world))
    assert response.status_code == 422
    assert "body.contact_email" in field_errors(response)


@pytest.mark.parametrize(
    ("schema_name", "field"),
    [
        ("UpdateIn", "body"),
        ("CloseIn", "comment"),
        ("ReopenIn", "information"),
        ("FollowOnIn", "description"),
        ("EscalationIn", "reason"),
        ("EscalationIn", "summary"),
        ("EscalationIn", "expectations"),
    ],
)
def test_text_a_service_needs_is_not_blank_in_the_schema(doc, schema_name, field):
    # R: B5, B6, B7, C6
    schema = doc["components"]["schemas"][schema_name]
    assert field in schema["required"]
    assert schema["properties"][field]["minLength"] == 1
    assert schema["properties"][field]["pattern"] == r"\S"


def test_a_blank_update_is_refused_before_any_service(world, as_user):
    # R: B5
    response = as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/updates", {"body": " \n "}
    )
    assert response.status_code == 422
    assert field_errors(response)["body.body"] == "This must not be blank."


# --- every write takes the version its caller read -------------------------------------

WRITE_OPERATIONS = [
    "updates",
    "transitions",
    "close",
    "reopen",
    "follow-on",
    "priority",
    "outcome",
    "assign",
    "all-info",
    "escalations",
]


def test_every_case_write_accepts_a_version(doc):
    # R: B4 (rule 8)
    for name in WRITE_OPERATIONS:
        body = doc["paths"][f"/api/v1/cases/{{number}}/{name}"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        ref = next(s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s)
        properties = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
        assert "version" in properties, name
        assert "409" in doc["paths"][f"/api/v1/cases/{{number}}/{name}"]["post"]["responses"]


LATE = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)  # alice_case may be escalated (C6)
ESCALATION = {
    "kind": "standard",
    "reason": "Go-live Monday at risk",
    "summary": "Dialler stops after ten calls",
    "expectations": "A fix plan by Friday",
}


def _close(world, as_user, time_machine=None):  # type: ignore[no-untyped-def]
    as_user(world.alice).post(
        f"/cases/{world.alice_case.number}/close", {"sub_status": "resolved", "comment": "Fixed"}
    )


def _after_the_reopen_window(world, as_user, time_machine):  # type: ignore[no-untyped-def]
    _close(world, as_user, time_machine)
    time_machine.shift(dt.timedelta(days=31))


def _escalation_window(world, as_user, time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(LATE, tick=False)


# route, who writes, body, setup, how many rows of what the write creates
VERSIONED = [
    ("updates", "engineer", {"body": "Looking at it"}, None, CaseEvent),
    ("reopen", "alice", {"information": "It came back at 9:00"}, _close, CaseEvent),
    ("follow-on", "alice", {"description": "It came back"}, _after_the_reopen_window, Case),
    ("outcome", "engineer", {"outcome": "fix"}, None, CaseEvent),
    ("assign", "engineer", {"assignee_email": "eve@support.example"}, None, CaseEvent),
    ("all-info", "engineer", {}, None, CaseEvent),
    ("escalations", "alice", ESCALATION, _escalation_window, Escalation),
]


@pytest.mark.parametrize(("route", "who", "body", "setup", "created"), VERSIONED)
def test_a_stale_version_is_refused_on_every_write(
    world, as_user, time_machine, route, who, body, setup, created
):
    # R: B4, B5, B7, B9, C4, C6 (rule 8: a write based on a stale read never lands)
    case = world.alice_case
    if setup is not None:
        setup(world, as_user, time_machine)
    api = as_user(getattr(world, who))
    url = f"/cases/{case.number}/{route}"
    current = Case.objects.get(pk=case.pk).version
    rows = created.objects.count()
    stale = api.post(url, {**body, "version": current + 1})
    assert stale.status_code == 409, stale.content
    assert "changed by someone else" in stale.json()["detail"]
    assert Case.objects.get(pk=case.pk).version == current
    assert created.objects.count() == rows
    fresh = api.post(url, {**body, "version": current})
    assert fresh.status_code in (200, 201), fresh.content
    assert created.objects.count() > rows
