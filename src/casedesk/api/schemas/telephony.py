"""Bodies of the telephony API (H1): what an IVR/CTI sends and what it is told."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, Field, Strict, StringConstraints

from casedesk.api.schemas.common import Email, InputSchema, OutputSchema

Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
CallId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
]
# JSON has no datetime type: accept the ISO 8601 string (strict mode would refuse it), and
# only with an offset, so a PBX's local wall-clock time is never taken for UTC.
At = Annotated[AwareDatetime, Strict(False)]


class PinCheckIn(InputSchema):
    pin: Pin = Field(description="The 6-digit support PIN the caller keyed in")
    caller_number: Annotated[str, StringConstraints(max_length=32, pattern=r"^[0-9+*#]*$")] = Field(
        "", description="The calling number, if known: failures are limited per number"
    )
    call_id: CallId | None = Field(None, description="Identify this queued call on a match")


class CallerOut(OutputSchema):
    full_name: str
    organisation: str
    under_maintenance: bool


class PinCheckOut(OutputSchema):
    """The same shape whether or not the PIN matched (no enumeration)."""

    identified: bool
    caller: CallerOut | None


class CallQueuedIn(InputSchema):
    call_id: CallId = Field(description="The telephony system's call id; repeats are harmless")
    emergency: bool = Field(False, description="The caller chose the emergency route")
    at: At | None = Field(None, description="When the call queued (default: now)")


class CallAnsweredIn(InputSchema):
    engineer_email: Email | None = Field(None, description="The support engineer who answered")
    at: At | None = None


class CallEndedIn(InputSchema):
    at: At | None = None


class CallOut(OutputSchema):
    call_id: str
    queued_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    emergency: bool
    identified: bool
    hold_seconds: int | None
    hold_target_seconds: int | None = Field(description="C3: 300 Production Down, 600 else")
    hold_verdict: str = Field(description="met | breached | no_target | waiting")
    hold_text: str


class CaseBriefOut(OutputSchema):
    number: str
    subject: str
    priority: str
    production_down: bool
    status: str
    sub_status: str
