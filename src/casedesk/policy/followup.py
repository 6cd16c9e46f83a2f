"""Automated follow-up ladder for cases waiting on the customer (R: C5, B6, B3).

When support proposes a solution or asks for information a timer starts; each rung
is counted in business days from that start (not from the previous rung). The last
rung closes the case. Production Down cases never get automated follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from casedesk.policy.calendars import BusinessCalendar, format_local
from casedesk.policy.sla import Priority, check_production_down

__all__ = [
    "FollowUpAction",
    "FollowUpPolicy",
    "FollowUpStep",
    "HasFollowUpPolicy",
    "followup_ladder",
    "next_followup",
]

FollowUpAction = Literal["reminder", "close"]


@dataclass(frozen=True)
class FollowUpPolicy:
    """Business days after the timer start for each rung; the last rung closes (R: C5)."""

    business_days: tuple[int, ...] = (2, 5, 10)

    def __post_init__(self) -> None:
        days = self.business_days
        if not days or any(d <= 0 for d in days) or list(days) != sorted(set(days)):
            raise ValueError(f"follow-up days must be positive and increasing: {days}")

    def to_dict(self) -> dict[str, Any]:
        return {"business_days": list(self.business_days)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FollowUpPolicy:
        return cls(business_days=tuple(data["business_days"]))


class HasFollowUpPolicy(Protocol):
    """What the follow-up ladder functions read from a support policy (``SupportPolicy`` fits).

    A protocol, not ``defaults.SupportPolicy``: ``defaults`` assembles the policy from this
    module, so importing it back would close an import circle.
    """

    @property
    def followup(self) -> FollowUpPolicy: ...


@dataclass(frozen=True)
class FollowUpStep:
    """One rung: number (1-based), when it is due, what happens, and why."""

    step: int
    due_at: datetime
    action: FollowUpAction
    reason: str


def followup_ladder(
    started_at: datetime,
    calendar: BusinessCalendar,
    policy: HasFollowUpPolicy,
    priority: Priority | str,
    production_down: bool,
) -> tuple[FollowUpStep, ...]:
    """Every rung of the ladder for a timer started at ``started_at`` (empty for PD)."""
    check_production_down(priority, production_down)
    if production_down:
        return ()
    days = policy.followup.business_days
    return tuple(_rung(started_at, calendar, days, n) for n in range(1, len(days) + 1))


def _rung(
    started_at: datetime, calendar: BusinessCalendar, days: tuple[int, ...], number: int
) -> FollowUpStep:
    """Rung ``number`` (1-based) of the ladder ``days``."""
    count = days[number - 1]
    due = calendar.add_business_days(started_at, count)
    action: FollowUpAction = "close" if number == len(days) else "reminder"
    what = (
        "close the case and send the final notice"
        if action == "close"
        else f"send reminder #{number}"
    )
    reason = (
        f"no customer response {count} business days after the request "
        f"({calendar.name} calendar): {what} at {format_local(due, calendar)}"
    )
    return FollowUpStep(number, due, action, reason)


def next_followup(
    started_at: datetime,
    steps_done: int,
    calendar: BusinessCalendar,
    policy: HasFollowUpPolicy,
    priority: Priority | str,
    production_down: bool,
) -> FollowUpStep | None:
    """The next rung after ``steps_done`` rungs have fired, or ``None`` when there is none.

    ``None`` means: Production Down (never followed up, R: B3/C5) or the ladder is
    finished (the case has been closed by the last rung, R: B6).
    """
    if steps_done < 0:
        raise ValueError("steps_done must not be negative")
    check_production_down(priority, production_down)
    days = policy.followup.business_days
    if production_down or steps_done >= len(days):
        return None
    # Only the rung asked for (a worker batch schedules 500 next rungs; the rest of the
    # ladder would be computed and thrown away).
    return _rung(started_at, calendar, days, steps_done + 1)
