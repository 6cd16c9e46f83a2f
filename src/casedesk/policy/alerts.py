"""Who hears about a new case, and when an unassigned one goes to the queue owner (B, C2, C3).

Pure rules on data: ``StaffAlerts`` lives in the support policy (care edits it like any
other number). A Critical case — Production Down or not — is *urgent*: the on-call
engineers of the centre on shift are alerted at once, around the clock, and the queue
owner after ``urgent_unassigned_minutes`` of elapsed time. Any other case goes to the
queue owner after ``unassigned_business_minutes`` of the case region's business time, so
a Low case opened on Saturday reaches a person on Monday morning, not at night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .calendars import BusinessCalendar
from .priority import Priority


@dataclass(frozen=True)
class StaffAlerts:
    unassigned_business_minutes: int = 30
    urgent_unassigned_minutes: int = 10

    def __post_init__(self) -> None:
        if self.unassigned_business_minutes < 1 or self.urgent_unassigned_minutes < 1:
            raise ValueError("alert delays must be at least one minute")

    def to_dict(self) -> dict[str, Any]:
        return {
            "unassigned_business_minutes": self.unassigned_business_minutes,
            "urgent_unassigned_minutes": self.urgent_unassigned_minutes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> StaffAlerts:
        return cls(**data) if data else cls()


def is_urgent(priority: Priority | str) -> bool:
    """Critical (with or without Production Down) wakes the on-call engineers."""
    return Priority(priority) is Priority.CRITICAL


def unassigned_alert_due(
    priority: Priority | str,
    opened_at: datetime,
    calendar: BusinessCalendar,
    alerts: StaffAlerts,
) -> tuple[datetime, str]:
    """When a still-unassigned case goes to its region's queue owner, and why then."""
    if opened_at.tzinfo is None:
        raise ValueError("opened_at must be timezone-aware")
    if is_urgent(priority):
        minutes = alerts.urgent_unassigned_minutes
        return (
            opened_at + timedelta(minutes=minutes),
            f"a Critical case unassigned for {minutes} min goes to the queue owner",
        )
    minutes = alerts.unassigned_business_minutes
    due = calendar.add_business_hours(opened_at, timedelta(minutes=minutes))
    return (
        due,
        f"a case unassigned for {minutes} min of {calendar.place} business time "
        "goes to the queue owner",
    )
