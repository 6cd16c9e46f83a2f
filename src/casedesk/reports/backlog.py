"""The backlog (I1): how an open case is counted (age band, whom it waits on) and the
report of open cases now beside the daily totals the worker recorded."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Q, Sum

from casedesk.cases.models import ACTIVE_Q, Case
from casedesk.policy.regions import Region

from .models import BacklogSnapshot
from .selectors import GROUP_LABELS, priority_group

# (key, label, lowest age in days); a case falls in the last band whose floor it reaches.
AGE_BANDS = (
    ("0-1", "up to 1 day", 0),
    ("2-7", "2–7 days", 2),
    ("8-30", "8–30 days", 8),
    ("31-90", "31–90 days", 31),
    ("90+", "over 90 days", 91),
)
STATUS_GROUPS = {
    "support": "Waiting on support",
    "customer": "Waiting on the customer",
    "third_party": "Waiting on a third party",
}
THIRD_PARTY = ("third_party_pending", "engineering_request")


def age_band(opened_at: dt.datetime, at: dt.datetime) -> str:
    """Whole days open at ``at`` (a case opened today is 0 days old)."""
    days = (at - opened_at).days
    band = AGE_BANDS[0][0]
    for key, _, floor in AGE_BANDS:
        if days >= floor:
            band = key
    return band


def status_group(status: str, sub_status: str) -> str:
    if sub_status in THIRD_PARTY:
        return "third_party"
    if status in ("awaiting_info", "solution_proposed"):
        return "customer"
    return "support"


@dataclass
class BacklogReport:
    at: dt.datetime
    total: int
    by_dimension: dict[str, list[tuple[str, int]]]  # dimension → (label, open cases)
    trend: list[tuple[dt.date, int]]  # recorded days only: a day the worker missed is absent


DIMENSIONS = {
    "age_band": "Age",
    "status_group": "Waiting on",
    "priority": "Priority",
    "region": "Region",
    "assignee": "Assignee",
}


def backlog_report(*, scope: Q, start: dt.date, end: dt.date, now: dt.datetime) -> BacklogReport:
    """Open cases now, by each dimension, and the recorded daily totals from ``start`` to
    ``end`` (``BacklogSnapshot``, written by the worker each night)."""
    counts: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    regions = {r.value: r.label for r in Region}
    bands = {key: label for key, label, _ in AGE_BANDS}
    fields = ["region", "priority", "production_down", "status", "sub_status", "opened_at"]
    rows = Case.objects.filter(scope, ACTIVE_Q).values(*fields, "assignee__full_name")
    for c in rows.iterator(chunk_size=5000):
        counts["age_band"][bands[age_band(c["opened_at"], now)]] += 1
        counts["status_group"][STATUS_GROUPS[status_group(c["status"], c["sub_status"])]] += 1
        counts["priority"][GROUP_LABELS[priority_group(c["priority"], c["production_down"])]] += 1
        counts["region"][regions.get(c["region"], c["region"])] += 1
        counts["assignee"][c["assignee__full_name"] or "Unassigned"] += 1
    order = {
        "age_band": [label for _, label, _ in AGE_BANDS],
        "status_group": list(STATUS_GROUPS.values()),
        "priority": list(GROUP_LABELS.values()),
    }
    by_dimension = {}
    for dim, counter in counts.items():
        if dim in order:
            by_dimension[dim] = [(label, counter[label]) for label in order[dim]]
        else:
            by_dimension[dim] = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    trend_rows = (
        BacklogSnapshot.objects.filter(scope, day__gte=start, day__lte=end)
        .values("day")
        .annotate(open=Sum("count"))
        .order_by("day")
    )
    trend = [(r["day"], r["open"]) for r in trend_rows]
    return BacklogReport(now, sum(counts["region"].values()), by_dimension, trend)
