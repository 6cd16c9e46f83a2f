"""The telephony API (H1, C3): an IVR/CTI verifies a PIN, reports a call queued, answered and
ended, and reads the identified caller's open cases.

Authenticated only by a telephony token (``TelephonyAuth``), never a person's: the IVR is a
machine acting for no one, so it gets exactly these five operations and nothing a staff
token would also open (reading every case, writing to them).

PIN checks are limited (security rule 12): failures count per calling number
(``PIN_NUMBER_LIMIT``) and per token (``CASEDESK_PIN_CHECK_LIMIT``, default 100) in a
15-minute window, and past either the check answers 429 whatever the PIN. A miss and a PIN
two contacts share answer alike — ``identified: false`` — so no answer tells which PINs
exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from casedesk.accounts.models import Role, User
from casedesk.api.routers.common import errors
from casedesk.api.schemas.telephony import (
    CallAnsweredIn,
    CallEndedIn,
    CallerOut,
    CallOut,
    CallQueuedIn,
    CaseBriefOut,
    PinCheckIn,
    PinCheckOut,
)
from casedesk.api.security import TelephonyAuth
from casedesk.core import clock
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.core.ratelimit import (
    WINDOW,
    TooManyAttempts,
    attempts_blocked,
    attempts_clear,
    attempts_record_failure,
)
from casedesk.phone import selectors, services
from casedesk.phone.models import Call, TelephonyToken

router = Router(tags=["telephony"], auth=TelephonyAuth())

PIN_NUMBER_LIMIT = 5
WRITE = errors(400, 401, 404, 413, 422, 503)
TOO_MANY = "Too many PIN attempts; transfer the caller to an engineer."
# A reported time may run this far ahead of the server's clock (skewed PBX clocks).
SKEW = dt.timedelta(minutes=1)


def _token(request: HttpRequest) -> TelephonyToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _at(value: dt.datetime | None) -> dt.datetime:
    now = clock.now()
    if value is None:
        return now
    if value > now + SKEW:
        raise PolicyViolation("That time is in the future.", field="at")
    return value.astimezone(dt.UTC)


def _call(call_id: str) -> Call:
    call = selectors.call_by_external_id(call_id)
    if call is None:
        raise NotFound("No such call.")
    return call


def _call_out(call: Call) -> dict[str, Any]:
    hold = selectors.call_hold(call)
    return {
        "call_id": call.external_id,
        "queued_at": call.queued_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "emergency": call.emergency,
        "identified": call.caller_id is not None,
        "hold_seconds": call.hold_seconds,
        "hold_target_seconds": int(hold.target.total_seconds()) if hold.target else None,
        "hold_verdict": str(hold.verdict),
        "hold_text": hold.text,
    }


@router.post(
    "/pin-checks",
    response={200: PinCheckOut, **errors(400, 401, 404, 413, 422, 429, 503)},
    summary="Verify a caller's support PIN",
)
def pin_check(request: HttpRequest, body: PinCheckIn) -> dict[str, Any]:
    """``identified`` and the caller, or ``identified: false`` for any PIN that names no one
    contact. With ``call_id``, a match identifies that queued call."""
    limits = [("pin-check-token", str(_token(request).pk), _token_limit())]
    if body.caller_number:
        limits.append(("pin-check-number", body.caller_number, PIN_NUMBER_LIMIT))
    if any(attempts_blocked(scope, value, limit=limit) for scope, value, limit in limits):
        raise TooManyAttempts(WINDOW, TOO_MANY)
    call = _call(body.call_id) if body.call_id else None
    card = selectors.caller_by_pin(body.pin, clock.now())
    if card is None:
        for scope, value, _ in limits:
            attempts_record_failure(scope, value)
        return {"identified": False, "caller": None}
    if body.caller_number:
        attempts_clear("pin-check-number", body.caller_number)
    if call is not None:
        services.call_identify(call=call, caller=card.caller)
    caller = CallerOut(
        full_name=card.caller.full_name,
        organisation=card.caller.organisation.name,
        under_maintenance=card.under_maintenance,
    )
    return {"identified": True, "caller": caller}


def _token_limit() -> int:
    return int(getattr(settings, "CASEDESK_PIN_CHECK_LIMIT", 100))


@router.post("/calls", response={200: CallOut, **WRITE}, summary="Report a call queued")
def call_queued(request: HttpRequest, body: CallQueuedIn) -> dict[str, Any]:
    """The call entered the queue; the same ``call_id`` again returns the call unchanged."""
    call = services.call_queued(
        now=_at(body.at), emergency=body.emergency, external_id=body.call_id
    )
    return _call_out(call)


@router.post(
    "/calls/{call_id}/answered", response={200: CallOut, **WRITE}, summary="Report a call answered"
)
def call_answered(request: HttpRequest, call_id: str, body: CallAnsweredIn) -> dict[str, Any]:
    """The hold ends (C3). Answering again keeps the first answer."""
    engineer = None
    if body.engineer_email:
        engineer = (
            User.objects.filter(email__iexact=body.engineer_email, is_active=True)
            .exclude(role=Role.CONTACT)
            .first()
        )
        if engineer is None:
            raise PolicyViolation("No support engineer has that e-mail.", field="engineer_email")
    call = services.call_answered(call=_call(call_id), engineer=engineer, now=_at(body.at))
    return _call_out(call)


@router.post(
    "/calls/{call_id}/ended", response={200: CallOut, **WRITE}, summary="Report a call ended"
)
def call_ended(request: HttpRequest, call_id: str, body: CallEndedIn) -> dict[str, Any]:
    """Answered or abandoned on hold; ending again changes nothing."""
    return _call_out(services.call_ended(call=_call(call_id), now=_at(body.at)))


@router.get(
    "/calls/{call_id}/cases",
    response={200: list[CaseBriefOut], **errors(401, 404, 503)},
    summary="The identified caller's open cases",
)
def call_cases(request: HttpRequest, call_id: str) -> list[dict[str, Any]]:
    """The caller's own open cases, most urgent first; none while the call is unidentified."""
    call = _call(call_id)
    if call.caller is None:
        return []
    return [
        {
            "number": case.number,
            "subject": case.subject,
            "priority": case.priority,
            "production_down": case.production_down,
            "status": case.status,
            "sub_status": case.sub_status,
        }
        for case in selectors.open_cases_of_contact(call.caller)
    ]
