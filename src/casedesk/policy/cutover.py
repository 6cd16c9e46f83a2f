"""Cutover notices (G1): the customer tells support at least 5 business days ahead, counted in
the site's region calendar. Whether a late notice is refused or accepted with a warning is
the policy's choice (``LeadMode``); either way the answer names the earliest allowed date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .calendars import BusinessCalendar

LEAD_BUSINESS_DAYS = 5


class LeadMode(StrEnum):
    REFUSE = "refuse"
    WARN = "warn"


@dataclass(frozen=True)
class LeadTimeVerdict:
    accepted: bool
    late: bool
    reason: str
    earliest: date


def earliest_cutover_date(
    filed_at: datetime, calendar: BusinessCalendar, lead_days: int = LEAD_BUSINESS_DAYS
) -> date:
    """The ``lead_days``-th business day after the filing's local date (the filing day itself
    never counts, so a notice filed late on Monday gives as much notice as one filed early)."""
    day = filed_at.astimezone(calendar.zone).date()
    counted = 0
    while counted < lead_days:
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            counted += 1
    return day


def cutover_lead_time(
    *,
    filed_at: datetime,
    cutover_on: date,
    calendar: BusinessCalendar,
    mode: LeadMode = LeadMode.REFUSE,
    lead_days: int = LEAD_BUSINESS_DAYS,
) -> LeadTimeVerdict:
    """Accepted on or after the earliest allowed date; before it, refused or late-accepted."""
    earliest = earliest_cutover_date(filed_at, calendar, lead_days)
    if cutover_on >= earliest:
        return LeadTimeVerdict(True, False, "Filed with enough notice.", earliest)
    why = (
        f"A cutover needs {lead_days} business days' notice in the {calendar.name} calendar: "
        f"the earliest allowed date is {earliest:%a %d %b %Y}."
    )
    if mode is LeadMode.WARN:
        return LeadTimeVerdict(
            True, True, why + " Accepted late: support may not be ready.", earliest
        )
    return LeadTimeVerdict(False, True, why, earliest)
