"""Service-level report (I1, C3): cases, times to root cause and fix, outages and the share
of milestones met, per priority, region, product group and period, beside the targets.

Time to root cause counts business days the way the target does (the case's policy version
and region calendar, ``BusinessCalendar.business_days_between``: days after the start up to
the day it was met, holidays and weekends excluded). Time to fix counts elapsed days
(C9: the fix target is N × 24 hours). Cases are chosen by the day (UTC) they were opened;
the figures are added up from per-opening-day cells (``slcells``), stored nightly or
computed live for days not stored (``slrollups``, ADR 0008); the misses are a bounded list.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q

from casedesk.accounts.models import Role
from casedesk.cases.models import Case, format_case_number
from casedesk.catalog.models import ProductGroup
from casedesk.policy.holdtime import BUSINESS_HOURS_HOLD
from casedesk.policy.priority import Priority
from casedesk.policy.regions import Region
from casedesk.policy.sla import targets_for
from casedesk.sla.models import Milestone
from casedesk.sla.selectors import current_policy_number, policy

from .holdtimes import NO_CALLS, HoldFigures, hold_times
from .periods import bucket, buckets
from .slcells import hist_mean, hist_p90, settled_state
from .slrollups import Acc, sla_tally

PD = "production_down"
PRIORITY_GROUPS = (PD, *(p.value for p in Priority))
GROUP_LABELS = {PD: "Production Down", **{p.value: p.label for p in Priority}}
HOLD_NOTE = NO_CALLS
MISSES_SHOWN = 200  # the page lists these; more → a shorter range


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
class Figures(Acc):
    """One row of the report: a group of cases and their milestones (``Acc``: the added-up
    counts and histograms, which the stored cells and the live ones both fill)."""

    key: str
    label: str
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
        fixes = sum(self.fix.values())
        fix_p90 = hist_p90(self.fix)
        return {
            "key": self.key,
            "label": self.label,
            "cases": self.cases,
            "root_cause_avg_days": hist_mean(self.root_cause),
            "root_cause_p90_days": hist_p90(self.root_cause),
            "root_cause_target_days": self.target_root_cause_days,
            "fix_avg_days": self.fix_seconds / 86400 / fixes if fixes else None,
            "fix_p90_days": fix_p90 / 1440 if fix_p90 is not None else None,
            "fix_target_days": self.target_fix_days,
            "outage_avg_hours": (
                self.outage_seconds / 3600 / self.outage_count if self.outage_count else None
            ),
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
    case_id: int = 0  # with ``kind``: where the next page of misses starts


@dataclass
class ServiceLevelReport:
    start: dt.date
    end: dt.date
    period: str
    by_priority: list[Figures]
    by_region: list[Figures]
    by_product_group: list[Figures]
    trend: list[tuple[dt.date, int, int]]  # bucket, cases opened, milestones missed
    misses: list[Miss]  # the most recently opened cases' first MISSES_SHOWN
    hold_note: str = HOLD_NOTE
    hold_total: HoldFigures = field(default_factory=HoldFigures)
    more_misses: bool = False  # more were missed than ``misses`` lists

    @property
    def total(self) -> Figures:
        total = Figures("all", "All cases")
        for row in self.by_priority:
            total.merge(row)
        return total


def milestone_state(m: dict[str, Any], now: dt.datetime) -> str:
    """met (on or before its target), missed (late, settled missed, or overdue and still
    running), running (not yet due) or not_applicable (closed before it fell due, C9)."""
    state = settled_state(m)
    if state is not None:
        return state
    return "missed" if m["target_at"] < now else "running"


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    return lo, dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _on_case(q: Q) -> Q:
    """A ``Case`` filter (a viewer's scope) rewritten to filter rows that point at a case."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    out.children = [
        _on_case(c) if isinstance(c, Q) else (f"case__{c[0]}", c[1]) for c in q.children
    ]
    return out


def missed_milestones(
    *,
    scope: Q,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> tuple[list[Miss], bool]:
    """The missed milestones of the cases opened in the range, most recently opened first,
    at most ``limit`` (and whether there are more), from just after ``after`` (case id,
    milestone kind: the last one of the previous page): a walk down the opening-time index
    that stops at the limit, however long the range."""
    limit = limit or MISSES_SHOWN
    lo, hi = _bounds(start, end)
    page = Q()
    if after is not None:
        # In scope only: a cursor naming a case the viewer may not see starts nothing (A3).
        opened = Case.objects.filter(scope, pk=after[0]).values_list("opened_at", flat=True).first()
        if opened is None:
            return [], False
        page = (
            Q(case__opened_at__lt=opened)
            | Q(case__opened_at=opened, case_id__lt=after[0])
            | Q(case__opened_at=opened, case_id=after[0], kind__gt=after[1])
        )
    missed = (
        Q(met_at__isnull=False, met_at__gt=F("target_at"))
        | Q(met_at__isnull=True, settlement="missed")
        | Q(met_at__isnull=True, settlement="", target_at__lt=now)
    )
    rows = (
        Milestone.objects.filter(
            _on_case(scope), missed, page, case__opened_at__gte=lo, case__opened_at__lt=hi
        )
        .order_by("-case__opened_at", "-case_id", "kind")
        .values(
            "case_id", "kind", "target_at", "met_at", "case__priority", "case__production_down"
        )[: limit + 1]
    )
    found = [
        Miss(
            format_case_number(m["case_id"]),
            m["kind"],
            GROUP_LABELS[priority_group(m["case__priority"], m["case__production_down"])],
            m["target_at"],
            m["met_at"],
            m["case_id"],
        )
        for m in rows
    ]
    return found[:limit], len(found) > limit


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
    misses_after: tuple[int, str] | None = None,
) -> ServiceLevelReport:
    """The report over cases opened from ``start`` to ``end`` (inclusive, UTC days); with
    ``calls`` (``holdtimes.call_scope``) the hold time of the calls queued in the range;
    ``misses_after``: the page of misses after that one (``missed_milestones``)."""
    tally = sla_tally(scope=scope, start=start, end=end, now=now)
    groups: dict[str, dict[Any, Figures]] = {"priority": {}, "region": {}, "product_group": {}}
    names = dict(
        ProductGroup.objects.filter(
            pk__in=[k for k in tally["product_group"] if k is not None]
        ).values_list("pk", "name")
    )
    labels = {
        "priority": GROUP_LABELS,
        "region": {r.value: r.label for r in Region},
        "product_group": {},
    }
    for dim, rows in groups.items():
        for value, acc in tally[dim].items():
            key = names.get(value, "—") if dim == "product_group" else value
            if key not in rows:
                rows[key] = Figures(key, labels[dim].get(key, key))
            rows[key].merge(acc)
    opened: dict[dt.date, int] = defaultdict(int)
    missed_in: dict[dt.date, int] = defaultdict(int)
    for day, acc in tally["day"].items():
        opened[bucket(day, period)] += acc.cases
        missed_in[bucket(day, period)] += acc.missed
    misses, more = missed_milestones(scope=scope, start=start, end=end, now=now, after=misses_after)

    holds = hold_times(scope=calls, start=start, end=end) if calls is not None else {}
    for key, figures in holds.items():
        if key == "all":
            continue
        if key not in groups["priority"]:
            groups["priority"][key] = Figures(key, GROUP_LABELS.get(key, "No case"))
        groups["priority"][key].hold = figures
    order = {k: i for i, k in enumerate(PRIORITY_GROUPS)}
    by_priority = sorted(groups["priority"].values(), key=lambda r: order.get(r.key, 99))
    _targets(by_priority)
    trend = [(b, opened.get(b, 0), missed_in.get(b, 0)) for b in buckets(start, end, period)]
    return ServiceLevelReport(
        start=start,
        end=end,
        period=period,
        by_priority=by_priority,
        by_region=sorted(groups["region"].values(), key=lambda r: r.key),
        by_product_group=sorted(groups["product_group"].values(), key=lambda r: r.key),
        trend=trend,
        misses=misses,
        more_misses=more,
        hold_note=_hold_note(holds.get("all"), start, end),
        hold_total=holds.get("all", HoldFigures()),
    )


def _hold_note(total: HoldFigures | None, start: dt.date, end: dt.date) -> str:
    if total is None or not total.calls:
        return f"{NO_CALLS} from {start} to {end}"
    return f"from the phone app's {total.calls} calls queued in the range (queued → answered)"
