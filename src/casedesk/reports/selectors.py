"""Service-level report (I1, C3): cases, times to root cause and fix, outages and the share
of milestones met, per priority, region, product group and period, beside the targets.

Time to root cause counts business days the way the target does (the case's policy version
and region calendar, ``BusinessCalendar.business_days_between``: days after the start up to
the day it was met, holidays and weekends excluded). Time to fix counts elapsed days
(C9: the fix target is N × 24 hours). Figures are computed from the recorded milestones on
each request; cases are chosen by the day (UTC) they were opened.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from casedesk.accounts.models import Role
from casedesk.cases.models import Case, format_case_number
from casedesk.policy.holdtime import BUSINESS_HOURS_HOLD
from casedesk.policy.priority import Priority
from casedesk.policy.regions import Region
from casedesk.policy.sla import targets_for
from casedesk.sla.models import Milestone
from casedesk.sla.selectors import calendar_for, current_policy_number, policy

from .holdtimes import NO_CALLS, HoldFigures, hold_times
from .periods import bucket, buckets, mean, p90

PD = "production_down"
PRIORITY_GROUPS = (PD, *(p.value for p in Priority))
GROUP_LABELS = {PD: "Production Down", **{p.value: p.label for p in Priority}}
HOLD_NOTE = NO_CALLS


def report_scope(user: Any) -> Q | None:
    """What a viewer's figures cover: managers and care everything; engineers their region's
    cases and their own; a contact their organisation's. ``None``: no report at all."""
    role = getattr(user, "role", None)
    if role in (Role.MANAGER, Role.CARE):
        return Q()
    if role == Role.ENGINEER:
        own = Q(assignee_id=user.pk)
        return own | Q(region=user.region) if user.region else own
    if role == Role.CONTACT and user.organisation_id:
        return Q(organisation_id=user.organisation_id)
    return None


def priority_group(priority: str, production_down: bool) -> str:
    return PD if production_down else priority


@dataclass
class Figures:
    """One row of the report: a group of cases and their milestones."""

    key: str
    label: str
    cases: int = 0
    root_cause_days: list[float] = field(default_factory=list)
    fix_days: list[float] = field(default_factory=list)
    outage_hours: list[float] = field(default_factory=list)
    met: int = 0
    missed: int = 0
    running: int = 0
    not_applicable: int = 0
    target_root_cause_days: int | None = None
    target_fix_days: int | None = None
    target_outage_hours: float | None = None
    target_hold_minutes: int | None = None
    hold: HoldFigures = field(default_factory=HoldFigures)

    @property
    def measured(self) -> int:
        return self.met + self.missed + self.running

    def share(self, count: int) -> float | None:
        return count / self.measured if self.measured else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain data (CSV and JSON exports, the page)."""
        return {
            "key": self.key,
            "label": self.label,
            "cases": self.cases,
            "root_cause_avg_days": mean(self.root_cause_days),
            "root_cause_p90_days": p90(self.root_cause_days),
            "root_cause_target_days": self.target_root_cause_days,
            "fix_avg_days": mean(self.fix_days),
            "fix_p90_days": p90(self.fix_days),
            "fix_target_days": self.target_fix_days,
            "outage_avg_hours": mean(self.outage_hours),
            "outage_target_hours": self.target_outage_hours,
            "hold_target_minutes": self.target_hold_minutes,
            **self.hold.as_dict(),
            "milestones_met": self.met,
            "milestones_missed": self.missed,
            "milestones_running": self.running,
            "milestones_not_applicable": self.not_applicable,
            "met_share": self.share(self.met),
            "missed_share": self.share(self.missed),
            "running_share": self.share(self.running),
        }


@dataclass(frozen=True)
class Miss:
    number: str
    kind: str
    group: str
    target_at: dt.datetime
    met_at: dt.datetime | None


@dataclass
class ServiceLevelReport:
    start: dt.date
    end: dt.date
    period: str
    by_priority: list[Figures]
    by_region: list[Figures]
    by_product_group: list[Figures]
    trend: list[tuple[dt.date, int, int]]  # bucket, cases opened, milestones missed
    misses: list[Miss]
    hold_note: str = HOLD_NOTE
    hold_total: HoldFigures = field(default_factory=HoldFigures)

    @property
    def total(self) -> Figures:
        total = Figures("all", "All cases")
        for row in self.by_priority:
            total.cases += row.cases
            total.root_cause_days += row.root_cause_days
            total.fix_days += row.fix_days
            total.outage_hours += row.outage_hours
            total.met += row.met
            total.missed += row.missed
            total.running += row.running
            total.not_applicable += row.not_applicable
        return total


def milestone_state(m: dict[str, Any], now: dt.datetime) -> str:
    """met (on or before its target), missed (late, settled missed, or overdue and still
    running), running (not yet due) or not_applicable (closed before it fell due, C9)."""
    if m["met_at"] is not None:
        return "met" if m["met_at"] <= m["target_at"] else "missed"
    if m["settlement"] == "missed":
        return "missed"
    if m["settlement"]:
        return "not_applicable"
    return "missed" if m["target_at"] < now else "running"


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    return lo, dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _targets(rows: Iterable[Figures]) -> None:
    table = policy(current_policy_number())
    for row in rows:
        if row.key == "no_case":
            row.target_hold_minutes = int(BUSINESS_HOURS_HOLD.total_seconds() // 60)
        if row.key not in PRIORITY_GROUPS:
            continue
        pd = row.key == PD
        targets, _ = targets_for(Priority.CRITICAL if pd else row.key, pd, table)
        row.target_root_cause_days = targets.root_cause_business_days
        row.target_fix_days = targets.fix_calendar_days
        row.target_hold_minutes = targets.hold_minutes
        if targets.outage_minutes is not None:
            row.target_outage_hours = targets.outage_minutes / 60


def service_levels(
    *,
    scope: Q,
    start: dt.date,
    end: dt.date,
    period: str,
    now: dt.datetime,
    calls: Q | None = None,
) -> ServiceLevelReport:
    """The report over cases opened from ``start`` to ``end`` (inclusive, UTC days); with
    ``calls`` (``holdtimes.call_scope``) the hold time of the calls queued in the range."""
    lo, hi = _bounds(start, end)
    cases = Case.objects.filter(scope, opened_at__gte=lo, opened_at__lt=hi)
    groups: dict[str, dict[str, Figures]] = {"p": {}, "r": {}, "g": {}}
    labels = {"p": GROUP_LABELS, "r": {r.value: r.label for r in Region}, "g": {}}

    def rows_for(c: dict[str, Any]) -> list[Figures]:
        keys = {
            "p": priority_group(c["priority"], c["production_down"]),
            "r": c["region"],
            "g": c["product_group__name"] or "—",
        }
        out = []
        for dim, key in keys.items():
            if key not in groups[dim]:
                groups[dim][key] = Figures(key, labels[dim].get(key, key))
            out.append(groups[dim][key])
        return out

    opened: dict[dt.date, int] = defaultdict(int)
    missed_in: dict[dt.date, int] = defaultdict(int)
    fields = ["priority", "production_down", "region", "product_group__name", "opened_at"]
    for c in cases.values(*fields, "service_restored_at").iterator():
        opened[bucket(c["opened_at"].astimezone(dt.UTC).date(), period)] += 1
        for row in rows_for(c):
            row.cases += 1
            if c["production_down"] and c["service_restored_at"] is not None:
                span = c["service_restored_at"] - c["opened_at"]
                row.outage_hours.append(span.total_seconds() / 3600)

    misses: list[Miss] = []
    milestones = Milestone.objects.filter(case__in=cases).values(
        "kind", "started_at", "target_at", "met_at", "settlement",
        "case_id", "case__policy_version", *(f"case__{f}" for f in fields),
    )  # fmt: skip
    for m in milestones.order_by("target_at", "pk").iterator():
        c = {f: m[f"case__{f}"] for f in fields}
        state = milestone_state(m, now)
        group = priority_group(c["priority"], c["production_down"])
        for row in rows_for(c):
            setattr(row, state, getattr(row, state) + 1)
            if m["met_at"] is None:
                continue
            if m["kind"] == "root_cause":
                cal = calendar_for(m["case__policy_version"], c["region"])
                row.root_cause_days.append(cal.business_days_between(m["started_at"], m["met_at"]))
            else:
                row.fix_days.append((m["met_at"] - m["started_at"]).total_seconds() / 86400)
        if state == "missed":
            day = c["opened_at"].astimezone(dt.UTC).date()
            missed_in[bucket(day, period)] += 1
            misses.append(
                Miss(
                    format_case_number(m["case_id"]),
                    m["kind"],
                    GROUP_LABELS[group],
                    m["target_at"],
                    m["met_at"],
                )
            )

    holds = hold_times(scope=calls, start=start, end=end) if calls is not None else {}
    for key, figures in holds.items():
        if key == "all":
            continue
        if key not in groups["p"]:
            groups["p"][key] = Figures(key, GROUP_LABELS.get(key, "No case"))
        groups["p"][key].hold = figures
    order = {k: i for i, k in enumerate(PRIORITY_GROUPS)}
    by_priority = sorted(groups["p"].values(), key=lambda r: order.get(r.key, 99))
    _targets(by_priority)
    trend = [(b, opened.get(b, 0), missed_in.get(b, 0)) for b in buckets(start, end, period)]
    return ServiceLevelReport(
        start=start,
        end=end,
        period=period,
        by_priority=by_priority,
        by_region=sorted(groups["r"].values(), key=lambda r: r.key),
        by_product_group=sorted(groups["g"].values(), key=lambda r: r.key),
        trend=trend,
        misses=misses,
        hold_note=_hold_note(holds.get("all"), start, end),
        hold_total=holds.get("all", HoldFigures()),
    )


def _hold_note(total: HoldFigures | None, start: dt.date, end: dt.date) -> str:
    if total is None or not total.calls:
        return f"{NO_CALLS} from {start} to {end}"
    return f"from the phone app's {total.calls} calls queued in the range (queued → answered)"
