"""Service-level cells (I1, C3; ADR 0008): the figures of the cases opened in a span of
UTC days, keyed by opening day and the report's dimensions — computed one way, whether the
nightly rollup stores them or the report computes a day live.

Per milestone: ``met``/``missed``/``not_applicable`` once settled (met on or before the
target, late, or settled by a closure, C9); a running one is ``pending`` with its target,
and the reader calls it missed once the target has passed its ``now`` (``milestone_state``).
Time to root cause counts business days the way the target does (the case's policy version
and region calendar); time to fix counts elapsed time (C9: N × 24 hours), binned to the
minute for the p90 and summed in whole seconds for the average; the outage is
restoration minus opening, for Production Down.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter, defaultdict
from functools import reduce
from typing import Any

from django.db.models import Q

from casedesk.cases.models import Case
from casedesk.sla.models import Milestone
from casedesk.sla.selectors import calendar_for

PD = "production_down"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SETTLED = ("met", "missed", "not_applicable")
CASE_FIELDS = (
    "pk", "opened_at", "priority", "production_down", "region", "product_group_id",
    "organisation_id", "assignee_id", "service_restored_at", "policy_version",
)  # fmt: skip

# (day, metric, value, priority group, region, product group id, organisation id, assignee id)
Key = tuple[Any, ...]
Cells = dict[Key, list[int]]  # key → [count, total]
DIM_INDEX = {"day": 0, "priority": 3, "region": 4, "product_group": 5}


def micros(at: dt.datetime) -> int:
    """Epoch microseconds: a target compared with ``now`` exactly, as an integer."""
    delta = at - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def settled_state(m: dict[str, Any]) -> str | None:
    """The state that no longer depends on the clock, or ``None`` while running."""
    if m["met_at"] is not None:
        return "met" if m["met_at"] <= m["target_at"] else "missed"
    if m["settlement"] == "missed":
        return "missed"
    if m["settlement"]:
        return "not_applicable"
    return None


def day_spans(days: list[dt.date]) -> Q:
    """Cases opened on any of ``days``: one ``opened_at`` range per run of consecutive days."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    spans = []
    for first, last in runs:
        lo = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
        hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        spans.append(Q(opened_at__gte=lo, opened_at__lt=hi))
    return reduce(operator.or_, spans[1:], spans[0]) if spans else Q(pk__in=[])


def sla_cells(days: list[dt.date], scope: Q | None = None) -> Cells:
    """The cells of the cases opened on ``days`` (UTC), within ``scope`` if given."""
    cells: Cells = defaultdict(lambda: [0, 0])
    if not days:
        return {}
    cases = Case.objects.filter(day_spans(days))
    if scope is not None:
        cases = cases.filter(scope)
    dims: dict[int, tuple[Any, ...]] = {}
    info: dict[int, dict[str, Any]] = {}

    def add(case_id: int, metric: str, value: int = 0, total: int = 0) -> None:
        day, rest = dims[case_id]
        cell = cells[(day, metric, value, *rest)]
        cell[0] += 1
        cell[1] += total

    for c in cases.values(*CASE_FIELDS).iterator(chunk_size=5000):
        group = PD if c["production_down"] else c["priority"]
        rest = (group, c["region"], c["product_group_id"], c["organisation_id"], c["assignee_id"])
        dims[c["pk"]] = (c["opened_at"].astimezone(dt.UTC).date(), rest)
        info[c["pk"]] = c
        add(c["pk"], "cases")
        if c["production_down"] and c["service_restored_at"] is not None:
            span = c["service_restored_at"] - c["opened_at"]
            add(c["pk"], "outage", total=round(span.total_seconds()))
    if not dims:
        return {}
    milestones = Milestone.objects.filter(case__in=cases).values(
        "case_id", "kind", "started_at", "target_at", "met_at", "settlement"
    )
    for m in milestones.iterator(chunk_size=5000):
        case_id = m["case_id"]
        state = settled_state(m)
        if state is None:
            add(case_id, "pending", micros(m["target_at"]))
        else:
            add(case_id, state)
        if m["met_at"] is None:
            continue
        if m["kind"] == "root_cause":
            c = info[case_id]
            cal = calendar_for(c["policy_version"], c["region"])
            add(case_id, "root_cause", cal.business_days_between(m["started_at"], m["met_at"]))
        else:
            seconds = round((m["met_at"] - m["started_at"]).total_seconds())
            add(case_id, "fix", round(seconds / 60), seconds)
    return dict(cells)


def coarse(cells: Cells) -> Cells:
    """The same cells without organisation and assignee (the unscoped view's grain)."""
    out: Cells = defaultdict(lambda: [0, 0])
    for key, (n, t) in cells.items():
        cell = out[(*key[:6], None, None)]
        cell[0] += n
        cell[1] += t
    return dict(out)


def hist_mean(hist: Counter[int]) -> float | None:
    n = sum(hist.values())
    return sum(k * v for k, v in hist.items()) / n if n else None


def hist_p90(hist: Counter[int]) -> int | None:
    """90th percentile by the nearest rank (``periods.p90``) over a histogram, which adds
    across days where percentiles do not."""
    n = sum(hist.values())
    if not n:
        return None
    rank = -(-9 * n // 10)
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - the ranks add up to n
