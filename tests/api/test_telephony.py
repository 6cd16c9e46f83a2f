"""The telephony API (H1, C3): PIN checks without enumeration, call events, open cases."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.models import User
from casedesk.phone.models import Call, TelephonyToken
from casedesk.phone.services import telephony_token_create, telephony_token_revoke

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx(world) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(telephony_token_create(name="pbx", now=world.now))


def _unused_pin() -> str:
    taken = set(User.objects.values_list("support_pin", flat=True))
    return next(p for p in (f"{i:06d}" for i in range(1000)) if p not in taken)


def test_a_call_from_queue_to_end_with_its_hold_and_caller(pbx, world, now):
    # R: H1, C3
    earlier = (now - dt.timedelta(minutes=12)).isoformat()  # the clock is frozen at ``now``
    queued = pbx.post("/telephony/calls", {"call_id": "pbx-1", "at": earlier})
    assert queued.status_code == 200 and queued.json()["hold_verdict"] == "waiting"
    again = pbx.post("/telephony/calls", {"call_id": "pbx-1"})
    assert again.json()["queued_at"] == queued.json()["queued_at"]
    check = pbx.post("/telephony/pin-checks", {"pin": world.alice.support_pin, "call_id": "pbx-1"})
    assert check.json() == {
        "identified": True,
        "caller": {
            "full_name": world.alice.full_name,
            "organisation": "Acme",
            "under_maintenance": True,
        },
    }
    cases = pbx.get("/telephony/calls/pbx-1/cases").json()
    assert [c["number"] for c in cases] == [world.alice_case.number]  # her own, not carol's
    answered = pbx.post(
        "/telephony/calls/pbx-1/answered",
        {
            "engineer_email": world.engineer.email,
            "at": now.isoformat(),
        },
    ).json()
    assert answered["hold_seconds"] == 720 and answered["hold_verdict"] == "breached"
    assert answered["hold_target_seconds"] == 600 and answered["identified"] is True
    ended = pbx.post("/telephony/calls/pbx-1/ended", {}).json()
    assert ended["ended_at"] is not None
    call = Call.objects.get(external_id="pbx-1")
    assert call.caller == world.alice and call.engineer == world.engineer


def test_unknown_and_shared_pins_answer_exactly_like_each_other(pbx, world):
    # R: security rule 12 — no enumeration
    miss = pbx.post("/telephony/pin-checks", {"pin": _unused_pin()})
    world.bob.support_pin = world.carol.support_pin
    world.bob.save(update_fields=["support_pin"])
    shared = pbx.post("/telephony/pin-checks", {"pin": world.carol.support_pin})
    assert miss.status_code == shared.status_code == 200
    assert miss.json() == shared.json() == {"identified": False, "caller": None}


def test_pin_failures_are_limited_per_number_and_per_token(pbx, world, settings):
    # R: security rule 12
    for _ in range(5):
        body = {"pin": _unused_pin(), "caller_number": "+15550100"}
        assert pbx.post("/telephony/pin-checks", body).status_code == 200
    blocked = pbx.post(
        "/telephony/pin-checks", {"pin": world.alice.support_pin, "caller_number": "+15550100"}
    )
    assert blocked.status_code == 429 and blocked["Retry-After"]
    # Another number still gets through, until the token's own limit.
    settings.CASEDESK_PIN_CHECK_LIMIT = 6
    ok = pbx.post("/telephony/pin-checks", {"pin": world.alice.support_pin, "caller_number": "1"})
    assert ok.json()["identified"] is True
    assert pbx.post("/telephony/pin-checks", {"pin": _unused_pin()}).status_code == 200
    assert pbx.post("/telephony/pin-checks", {"pin": world.alice.support_pin}).status_code == 429


def test_bad_input_is_a_clear_4xx(pbx, world, now):
    assert pbx.post("/telephony/pin-checks", {"pin": "12345"}).status_code == 422
    assert pbx.post("/telephony/pin-checks", {"pin": "123456", "x": 1}).status_code == 422
    naive = pbx.post("/telephony/calls", {"call_id": "a", "at": "2026-11-24T10:00:00"})
    assert naive.status_code == 422
    future = (now + dt.timedelta(hours=1)).isoformat()
    assert pbx.post("/telephony/calls", {"call_id": "a", "at": future}).status_code == 422
    assert pbx.post("/telephony/calls/nope/ended", {}).status_code == 404
    assert pbx.get("/telephony/calls/nope/cases").status_code == 404
    pbx.post("/telephony/calls", {"call_id": "b"})
    who = pbx.post("/telephony/calls/b/answered", {"engineer_email": world.alice.email})
    assert who.status_code == 422  # a contact is no engineer
    assert pbx.get("/telephony/calls/b/cases").json() == []  # unidentified: nothing


def test_a_revoked_or_personal_token_gets_401(world, as_user):
    raw = telephony_token_create(name="old", now=world.now)
    telephony_token_revoke(
        token_id=TelephonyToken.objects.get().pk,
        now=world.now,
    )
    assert ApiClient(raw).post("/telephony/calls", {"call_id": "x"}).status_code == 401
    assert as_user(world.engineer).post("/telephony/calls", {"call_id": "x"}).status_code == 401
    assert not Call.objects.exists()
