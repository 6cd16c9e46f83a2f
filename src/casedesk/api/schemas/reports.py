"""Report shapes (I1): the service-level and backlog reports as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import model_validator

from casedesk.reports.selectors import MISSES_SHOWN

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_DAYS = 3 * 366


class RangeQuery(Schema):
    """Days from ``start`` to ``end`` inclusive (UTC), at most three years."""

    start: dt.date = Field(..., ge=EARLIEST, le=LATEST)
    end: dt.date = Field(..., ge=EARLIEST, le=LATEST)

    @model_validator(mode="after")
    def _ordered(self) -> RangeQuery:
        if self.end < self.start:
            raise ValueError("end comes before start")
        if (self.end - self.start).days > MAX_DAYS:
            raise ValueError("choose a range of at most three years")
        return self


class ServiceLevelQuery(RangeQuery):
    period: Literal["day", "week", "month", "quarter"] = "week"


MISSES_CURSOR = r"^\d{1,12}-(fix|root_cause)$"


class ServiceLevelsQuery(ServiceLevelQuery):
    misses_after: str | None = Field(
        None,
        pattern=MISSES_CURSOR,
        description="The `misses_next` of the previous answer: the next page of `misses`",
    )


class FiguresOut(Schema):
    key: str
    label: str
    cases: int
    root_cause_avg_days: float | None
    root_cause_p90_days: float | None
    root_cause_target_days: int | None
    fix_avg_days: float | None
    fix_p90_days: float | None
    fix_target_days: int | None
    outage_avg_hours: float | None
    outage_target_hours: float | None
    hold_target_minutes: int | None
    hold: str = Field(..., description='"no calls recorded", or the average in words')
    hold_calls: int = Field(0, description="Calls queued in the range (phone app, H1)")
    hold_avg_minutes: float | None = Field(None, description="Queued → answered, answered calls")
    hold_met: int = 0
    hold_missed: int = 0
    hold_no_target: int = Field(0, description="Not Production Down, queued outside hours")
    hold_unanswered: int = 0
    milestones_met: int
    milestones_missed: int
    milestones_running: int
    milestones_not_applicable: int
    met_share: float | None
    missed_share: float | None
    running_share: float | None


class MissOut(Schema):
    number: str
    kind: str
    group: str
    target_at: dt.datetime
    met_at: dt.datetime | None


class TrendOut(Schema):
    start: dt.date
    opened: int
    missed: int


class ServiceLevelOut(Schema):
    start: dt.date
    end: dt.date
    period: str
    hold: str
    by_priority: list[FiguresOut]
    by_region: list[FiguresOut]
    by_product_group: list[FiguresOut]
    trend: list[TrendOut]
    misses: list[MissOut] = Field(
        ...,
        description="Missed milestones of the cases opened in the range, the most recently "
        f"opened first, one page (at most {MISSES_SHOWN}); empty for a contact",
    )
    misses_more: bool = Field(..., description="More missed milestones follow this page")
    misses_next: str | None = Field(
        ..., description="Pass as `misses_after` for the next page; null on the last page"
    )


class CountOut(Schema):
    label: str
    open: int


class DayOut(Schema):
    day: dt.date
    open: int


class BacklogOut(Schema):
    at: dt.datetime
    total: int
    by_dimension: dict[str, list[CountOut]]
    trend: list[DayOut]


class ColumnOut(Schema):
    key: str
    label: str


class FollowupRowOut(Schema):
    key: str
    label: str
    reminder1: int
    reminder2: int
    response0: int = Field(..., description="Responses before any reminder")
    response1: int
    response2: int
    closed: int = Field(..., description="Cases closed by the follow-up ladder")
    reopened: int = Field(..., description="Re-opened after an automatic close")


class FollowupOut(Schema):
    start: dt.date
    end: dt.date
    period: str
    columns: list[ColumnOut]
    trend: list[FollowupRowOut]
    by_priority: list[FollowupRowOut]
    total: FollowupRowOut


class EscalationRowOut(Schema):
    key: str
    label: str
    requested: int
    eligible: int
    refused: int
    in_progress: int = Field(..., description="Taken up by a manager")
    resolved: int
    declined: int


class ReasonOut(Schema):
    code: str
    label: str
    count: int


class OutcomeTimeOut(Schema):
    outcome: str
    count: int
    average_hours: float | None


class EscalationReportOut(Schema):
    start: dt.date
    end: dt.date
    period: str
    columns: list[ColumnOut]
    trend: list[EscalationRowOut]
    by_priority: list[EscalationRowOut]
    total: EscalationRowOut
    refused_by_reason: list[ReasonOut]
    by_kind: list[ReasonOut]
    time_to_outcome: list[OutcomeTimeOut]
    open_now: int


class ScoreRowOut(Schema):
    key: str
    label: str
    invitations: int = Field(..., description="Closures: the closed mail carries the survey")
    responses: int
    average_score: float | None
    response_rate: float | None
    solved: int


class CommentOut(Schema):
    number: str
    score: int
    solved: bool
    comment: str
    created_at: dt.datetime


class ScoreCountOut(Schema):
    score: int
    responses: int


class SatisfactionOut(Schema):
    start: dt.date
    end: dt.date
    period: str
    total: ScoreRowOut
    trend: list[ScoreRowOut]
    by_priority: list[ScoreRowOut]
    by_region: list[ScoreRowOut]
    by_product: list[ScoreRowOut]
    by_engineer: list[ScoreRowOut]
    distribution: list[ScoreCountOut]
    comments: list[CommentOut]
