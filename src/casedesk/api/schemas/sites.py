"""Bodies of the site-records operations (G2 VoIP readiness, G3 change control)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, Strict, StringConstraints

from casedesk.api.schemas.common import (
    InputSchema,
    OutputSchema,
    RequiredSubject,
    RequiredText,
    Text,
    clean_text,
)
from casedesk.obligations.measurements import MAX_LINES

# JSON has no datetime type: the ISO 8601 string, with an offset (as in the telephony API).
At = Annotated[AwareDatetime, Strict(False)]
Measure = Annotated[float, Strict(False), Field(ge=0, le=100_000_000, allow_inf_nan=False)]
Dscp = Annotated[int, Field(ge=0, le=63)]
Line = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"\S"),
    AfterValidator(clean_text),
]
Codec = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"\S"), AfterValidator(clean_text)
]


class SiteReadinessOut(OutputSchema):
    id: int
    name: str
    organisation: str
    voip_ready: bool | None = Field(description="Latest assessment passed; null: never assessed")
    latest_assessment_at: dt.datetime | None


class VoipLineIn(InputSchema):
    stream: Line = Field(description="Which RTP stream, e.g. 'Trunk 1 → HQ'")
    codec: Codec
    latency_ms: Measure
    jitter_ms: Measure
    loss_pct: Annotated[float, Strict(False), Field(ge=0, le=100, allow_inf_nan=False)]
    rtp_dscp: Dscp = Field(description="DSCP code point of the RTP packets (EF is 46)")
    sip_dscp: Dscp = Field(description="DSCP code point of the SIP packets (CS3 is 24)")
    bandwidth_kbps: Measure


class VoipAssessmentIn(InputSchema):
    measured_at: At
    lines: list[VoipLineIn] = Field(min_length=1, max_length=MAX_LINES)
    notes: Annotated[str, StringConstraints(max_length=2000), AfterValidator(clean_text)] = ""
    public: bool = Field(True, description="Visible to the customer (support may say false)")


class VoipLineOut(OutputSchema):
    stream: str
    codec: str
    latency_ms: float
    jitter_ms: float
    loss_pct: float
    rtp_dscp: int
    sip_dscp: int
    bandwidth_kbps: float
    passed: bool
    failures: list[str]


class VoipAssessmentOut(OutputSchema):
    id: int
    site_id: int
    measured_at: dt.datetime
    passed: bool
    reason: str
    source: Literal["form", "csv", "json"]
    filename: str
    notes: str
    public: bool
    filed_by: str
    filed_at: dt.datetime
    lines: list[VoipLineOut]


class ChangeRecordIn(InputSchema):
    performed_at: At
    engineer: RequiredSubject
    short_description: RequiredSubject
    summary: RequiredText
    outcome: Literal["successful", "reverted"]
    test_environment: Text = ""
    implementation_plan: RequiredText
    test_plan: RequiredText
    backout_plan: RequiredText
    backup_taken: bool
    backup_details: Text = ""
    public: bool = Field(True, description="Visible to the customer (support may say false)")


class ChangeRecordOut(OutputSchema):
    id: int
    site_id: int
    performed_at: dt.datetime
    engineer: str
    short_description: str
    summary: str
    outcome: Literal["successful", "reverted"]
    test_environment: str
    implementation_plan: str
    test_plan: str
    backout_plan: str
    backup_taken: bool
    backup_details: str
    public: bool
    filed_by: str
    filed_at: dt.datetime


class VoipHoldIn(InputSchema):
    reason: Text = Field("", description="Told to the customer; empty: a standard sentence")
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
