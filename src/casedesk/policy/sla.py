"""SLA targets per priority and the dated milestones derived from them (R: B3, C3, C4).

Targets are data (``SlaTable`` inside the operator-editable policy); this module
only decides which row applies and turns it into a due date with a reason a
support engineer can read back to a customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from casedesk.policy.calendars import BusinessCalendar, format_local
from casedesk.policy.priority import Priority

__all__ = [
    "DueDate",
    "FixDue",
    "HasSlaTable",
    "Priority",
    "Settlement",
    "SlaTable",
    "SlaTargets",
    "check_production_down",
    "fix_due",
    "outage",
    "root_cause_due",
    "settle",
    "targets_for",
    "urgency_rank",
]


@dataclass(frozen=True)
class SlaTargets:
    """One priority's targets (R: C3). ``None`` means "no such target for this row".

    ``hold_around_the_clock`` says whether the hold target is measured 24/7 or only
    in business hours. ``fix_calendar_days`` is set only where a dated fix is
    promised (Production Down); elsewhere the fix ships in a future service update. C9
    reads its "7 days" as 7 × 24 elapsed hours; the field keeps its stored name.
    """

    label: str
    hold_minutes: int
    hold_around_the_clock: bool
    root_cause_business_days: int
    outage_minutes: int | None = None
    fix_calendar_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "hold_minutes": self.hold_minutes,
            "hold_around_the_clock": self.hold_around_the_clock,
            "root_cause_business_days": self.root_cause_business_days,
            "outage_minutes": self.outage_minutes,
            "fix_calendar_days": self.fix_calendar_days,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaTargets:
        return cls(**data)


@dataclass(frozen=True)
class SlaTable:
    """The C3 table. ``critical`` is ``None`` to mean "Critical without Production Down
    uses the High row" (R: B3); an operator may give Critical its own row instead."""

    production_down: SlaTargets
    high: SlaTargets
    medium: SlaTargets
    low: SlaTargets
    critical: SlaTargets | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "production_down": self.production_down.to_dict(),
            "critical": None if self.critical is None else self.critical.to_dict(),
            "high": self.high.to_dict(),
            "medium": self.medium.to_dict(),
            "low": self.low.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaTable:
        critical = data.get("critical")
        return cls(
            production_down=SlaTargets.from_dict(data["production_down"]),
            high=SlaTargets.from_dict(data["high"]),
            medium=SlaTargets.from_dict(data["medium"]),
            low=SlaTargets.from_dict(data["low"]),
            critical=None if critical is None else SlaTargets.from_dict(critical),
        )


class HasSlaTable(Protocol):
    """What the SLA functions read from a support policy (``SupportPolicy`` fits).

    A protocol, not ``defaults.SupportPolicy``: ``defaults`` assembles the policy from this
    module, so importing it back would close an import circle.
    """

    @property
    def sla(self) -> SlaTable: ...


@dataclass(frozen=True)
class DueDate:
    """A dated milestone target and why it falls where it does."""

    due_at: datetime
    reason: str
    targets: SlaTargets


@dataclass(frozen=True)
class FixDue:
    """The fix/workaround target; ``due_at`` is ``None`` when the fix ships in a service
    update rather than by a date (R: C3)."""

    due_at: datetime | None
    reason: str


def check_production_down(priority: Priority | str, production_down: bool) -> Priority:
    """Normalise the priority; only a Critical case may carry Production Down (R: B3)."""
    prio = Priority(priority)
    if production_down and prio is not Priority.CRITICAL:
        raise ValueError(f"only a Critical case can be Production Down, not {prio.value}")
    return prio


def targets_for(
    priority: Priority | str, production_down: bool, policy: HasSlaTable
) -> tuple[SlaTargets, str]:
    """The applicable SLA row and a phrase explaining the choice."""
    prio = check_production_down(priority, production_down)
    table = policy.sla
    if production_down:
        return table.production_down, "Production Down targets"
    if prio is Priority.CRITICAL:
        if table.critical is not None:
            return table.critical, "Critical targets"
        return table.high, "High targets (Critical without Production Down uses High)"
    row = {Priority.HIGH: table.high, Priority.MEDIUM: table.medium, Priority.LOW: table.low}
    return row[prio], f"{prio.value.title()} targets"


def root_cause_due(
    priority: Priority | str,
    production_down: bool,
    all_info_at: datetime,
    calendar: BusinessCalendar,
    policy: HasSlaTable,
) -> DueDate:
    """Root cause due N business days after "all necessary information provided" (R: C3, C4).

    Business days follow ``calendar`` (the case's region), using
    ``BusinessCalendar.add_business_days`` — same local time N business days later.
    """
    targets, why = targets_for(priority, production_down, policy)
    days = targets.root_cause_business_days
    due = calendar.add_business_days(all_info_at, days)
    reason = (
        f"root cause due within {days} business days of all necessary information "
        f"({why}, {calendar.name} calendar): {format_local(due, calendar)}"
    )
    return DueDate(due, reason, targets)


def fix_due(
    priority: Priority | str,
    production_down: bool,
    root_cause_at: datetime,
    calendar: BusinessCalendar,
    policy: HasSlaTable,
) -> FixDue:
    """Fix or workaround due N × 24 elapsed hours after the root cause (Production Down, C3).

    C9 settles "7 days" as 7 × 24 elapsed hours: a DST change in between moves the local
    wall-clock time of the deadline by an hour, not its distance from the root cause.
    """
    targets, why = targets_for(priority, production_down, policy)
    days = targets.fix_calendar_days
    if days is None:
        return FixDue(
            None, f"no dated fix target ({why}): the fix ships in a future service update"
        )
    if root_cause_at.tzinfo is None:
        raise ValueError("root_cause_at must be timezone-aware")
    due_utc = root_cause_at.astimezone(UTC) + timedelta(hours=24 * days)
    reason = (
        f"fix or workaround due within {days} × 24 hours of the root cause ({why}): "
        f"{format_local(due_utc, calendar)}"
    )
    return FixDue(due_utc, reason)


class Settlement(StrEnum):
    """How a milestone ended when its case closed (C9: a milestone ends with the case)."""

    MET = "met"
    MISSED = "missed"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"met": "met", "missed": "missed", "not_applicable": "not applicable"}[self.value]


def settle(*, met_at: datetime | None, target_at: datetime, closed_at: datetime) -> Settlement:
    """C9: closing settles a milestone. Met stays met (late or not); still running past its
    target is missed; still running before its target is not applicable: the case ended
    before the target fell due, so there is nothing left to measure."""
    if met_at is not None:
        return Settlement.MET
    if closed_at > target_at:
        return Settlement.MISSED
    return Settlement.NOT_APPLICABLE


def outage(first_contact_at: datetime, restored_at: datetime) -> timedelta:
    """C3: a Production Down outage runs from first contact to service restored (elapsed)."""
    if first_contact_at.tzinfo is None or restored_at.tzinfo is None:
        raise ValueError("outage needs timezone-aware instants")
    if restored_at < first_contact_at:
        raise ValueError("service cannot be restored before the case was opened")
    return restored_at - first_contact_at


def urgency_rank(priority: Priority | str, production_down: bool) -> int:
    """Queue order, most urgent first: Production Down 0, Critical 1, High 2, Medium 3, Low 4."""
    prio = check_production_down(priority, production_down)
    return 0 if production_down else prio.rank + 1
