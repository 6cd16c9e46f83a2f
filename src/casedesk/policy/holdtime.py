"""Hold-time targets for phone calls (C3, H1): how long a caller may wait to be answered.

Production Down calls: under 5 minutes, 24/7. Every other call: under 10 minutes when it
was queued in business hours; a call queued outside them has no target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .calendars import BusinessCalendar

PRODUCTION_DOWN_HOLD = timedelta(minutes=5)
BUSINESS_HOURS_HOLD = timedelta(minutes=10)


class HoldVerdict(StrEnum):
    MET = "met"
    BREACHED = "breached"
    NO_TARGET = "no_target"  # not Production Down and queued outside business hours
    WAITING = "waiting"  # not answered yet


@dataclass(frozen=True)
class HoldResult:
    verdict: HoldVerdict
    target: timedelta | None
    hold: timedelta | None
    reason: str

    @property
    def text(self) -> str:
        return describe_hold(self)


def hold_target(
    *, production_down: bool, queued_at: datetime, calendar: BusinessCalendar
) -> tuple[timedelta | None, str]:
    """The target for a call queued at ``queued_at``, with the rule that chose it."""
    if production_down:
        return PRODUCTION_DOWN_HOLD, "Production Down: answered within 5 minutes, 24/7 (C3)."
    if calendar.is_working_time(queued_at):
        return BUSINESS_HOURS_HOLD, "Business hours: answered within 10 minutes (C3)."
    return None, "Queued outside business hours: no hold-time target (C3)."


def hold_verdict(
    *,
    production_down: bool,
    queued_at: datetime,
    answered_at: datetime | None,
    calendar: BusinessCalendar,
) -> HoldResult:
    """Met when the hold was strictly under the target ("< 5 min"); waiting while unanswered."""
    target, reason = hold_target(
        production_down=production_down, queued_at=queued_at, calendar=calendar
    )
    if answered_at is None:
        return HoldResult(HoldVerdict.WAITING, target, None, reason)
    hold = max(answered_at - queued_at, timedelta(0))
    if target is None:
        return HoldResult(HoldVerdict.NO_TARGET, None, hold, reason)
    verdict = HoldVerdict.MET if hold < target else HoldVerdict.BREACHED
    return HoldResult(verdict, target, hold, reason)


def format_hold(span: timedelta) -> str:
    """``4 min 05 s``: hold times are short and compared in seconds."""
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s"


def describe_hold(result: HoldResult) -> str:
    """One line for the phone screen and the API: the hold and the verdict against C3."""
    target = f"target under {format_hold(result.target)}" if result.target else "no target"
    if result.hold is None:
        return f"On hold ({target})"
    labels = {HoldVerdict.MET: "met", HoldVerdict.BREACHED: "missed", HoldVerdict.NO_TARGET: ""}
    verdict = labels.get(result.verdict, "")
    return f"Held {format_hold(result.hold)}" + (f": {verdict} ({target})" if verdict else "")
