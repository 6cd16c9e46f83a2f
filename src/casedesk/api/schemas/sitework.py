"""Shapes of cutover notices (G1), site visits (G4), routing out of support (G5, G6) and the
case timeline with these records merged in (item 7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field, Strict, StringConstraints

from casedesk.accounts.models import REGION_CHOICES
from casedesk.api.schemas.common import (
    Id,
    InputSchema,
    OutputSchema,
    RequiredText,
    Text,
    VersionedInput,
    clean_text,
)
from casedesk.obligations.models import CHECKLIST, CutoverKind
from casedesk.policy.scope import OutOfScope
from casedesk.policy.site_visits import MAX_DAYS

Line = Annotated[str, StringConstraints(max_length=200)]
RequiredLine = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
# JSON has no date types: ISO 8601 strings, times only with an offset.
At = Annotated[AwareDatetime, Strict(False)]
Day = Annotated[dt.date, Strict(False), Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
Money = Annotated[
    Decimal, Strict(False), Field(ge=0, lt=1_000_000, max_digits=10, decimal_places=2)
]
Confirmation = Literal[tuple(key for key, _ in CHECKLIST)]  # type: ignore[valid-type]


class CutoverQuery(Schema):
    region: Literal[tuple(v for v, _ in REGION_CHOICES)] | None = None  # type: ignore[valid-type]
    days: int = Field(60, ge=1, le=366, description="Upcoming within this many days")


class CutoverIn(InputSchema):
    site_id: Id
    kind: Literal[tuple(CutoverKind.values)]  # type: ignore[valid-type]
    technician: RequiredLine
    product_line: RequiredLine
    installation_date: Day
    cutover_start: At
    cutover_end: At
    site_contact: RequiredLine
    vendor_contact: Line = ""
    checklist: list[Confirmation] = Field(default_factory=list, max_length=len(CHECKLIST))
    line_configuration: Text = ""
    current_products: Text = ""
    planned_products: Text = ""
    um_platform: Line = ""

    def to_draft_fields(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"site_id"})
        for key in ("technician", "product_line", "site_contact", "vendor_contact", "um_platform"):
            data[key] = clean_text(data[key])
        data["checklist"] = list(dict.fromkeys(data["checklist"]))
        return data


class DiagramOut(OutputSchema):
    filename: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    download_url: str


class WindowOut(OutputSchema):
    after_hours: bool
    weekend: bool
    holiday: str


class CutoverOut(OutputSchema):
    id: int
    organisation: str
    site_id: int
    site: str
    region: str
    kind: str
    kind_label: str
    technician: str
    product_line: str
    installation_date: dt.date
    cutover_start: dt.datetime
    cutover_end: dt.datetime
    site_contact: str
    vendor_contact: str
    checklist: list[str]
    line_configuration: str
    current_products: str
    planned_products: str
    um_platform: str
    filed_by: str
    filed_at: dt.datetime
    earliest_allowed: dt.date
    late_warning: str
    window: WindowOut
    diagram: DiagramOut | None


class VisitIn(InputSchema):
    reason: RequiredText
    visit_on: Day
    days: int = Field(1, ge=1, le=MAX_DAYS)
    billable: bool = True
    travel_cost: Money = Decimal("0")
    daily_rate: Money = Decimal("0")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] = "EUR"


class VisitDecisionIn(InputSchema):
    approve: bool
    note: Text = ""


class VisitOut(OutputSchema):
    id: int
    case: str
    site: str
    state: str
    reason: str
    visit_on: dt.date
    days: int
    billable: bool
    travel_cost: Decimal
    daily_rate: Decimal
    charge: Decimal
    currency: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class RoutingIn(VersionedInput):
    kind: Literal[tuple(k.value for k in OutOfScope)]  # type: ignore[valid-type]
    vendor: Line = ""


class RoutingOut(OutputSchema):
    case: str
    kind: str
    kind_label: str
    route_to: str
    answer: str
    routed_at: dt.datetime


class TimelineItemOut(OutputSchema):
    """A case event (``id`` set) or a record kept beside the case (``id`` null): a cutover
    notice, a site visit, a routing."""

    id: int | None
    at: dt.datetime
    kind: str
    kind_label: str
    summary: str
    public: bool
    body: str
    actor: dict[str, str] | None
    data: dict[str, Any] | None = Field(None, description="Structured details; support only")
