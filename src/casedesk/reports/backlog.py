"""The backlog (I1): how an open case is counted (age band, whom it waits on) and the
report of open cases now beside the daily totals the worker recorded."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import CharField, F, Q, Sum, Value, When

from casedesk.accounts.models import User
from casedesk.cases.models import ACTIVE_Q, Case
from casedesk.policy.regions import Region

from .grouping import grouping_sets
from .models import BacklogSnapshot, BacklogTotal
from .selectors import GROUP_LABELS, PD

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


# (region, priority or production_down, status group, age band, assignee id, organisation id)
Cell = tuple[str, str, str, str, int | None, int]


def backlog_cell(
    *,
    region: str,
    priority: str,
    production_down: bool,
    status: str,
    sub_status: str,
    opened_at: dt.datetime,
    at: dt.datetime,
    assignee_id: int | None,
    organisation_id: int,
) -> Cell:
    """Where an open case counts in the backlog at ``at``: the nightly snapshot and the
    history rebuilt from the case log (``history``) count the same way."""
    return (
        region,
        "production_down" if production_down else priority,
        status_group(status, sub_status),
        age_band(opened_at, at),
        assignee_id,
        organisation_id,
    )


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


def age_band_sql(now: dt.datetime) -> SqlCase:
    """``age_band`` as a SQL expression over ``opened_at``: whole days open reach a band's
    floor exactly when the case was opened at least that many days before ``now``."""
    whens = [
        When(opened_at__lte=now - dt.timedelta(days=floor), then=Value(key))
        for key, _, floor in reversed(AGE_BANDS)
        if floor > 0
    ]
    return SqlCase(*whens, default=Value(AGE_BANDS[0][0]), output_field=CharField())


# ``status_group`` and ``priority_group`` in SQL.
STATUS_GROUP_SQL = SqlCase(
    When(sub_status__in=THIRD_PARTY, then=Value("third_party")),
    When(status__in=("awaiting_info", "solution_proposed"), then=Value("customer")),
    default=Value("support"),
    output_field=CharField(),
)
PRIORITY_GROUP_SQL = SqlCase(
    When(production_down=True, then=Value(PD)), default=F("priority"), output_field=CharField()
)


def open_counts(scope: Q, now: dt.datetime) -> dict[str, Counter[str]]:
    """Open cases in ``scope`` by each dimension's label, counted by the database in one
    grouped query (issue 13 item 10; the partial index of reports 0003 covers it)."""
    keys = {
        "age_band": age_band_sql(now),
        "status_group": STATUS_GROUP_SQL,
        "priority": PRIORITY_GROUP_SQL,
        "region": F("region"),
        "assignee": F("assignee_id"),
    }
    sets = [(d,) for d in DIMENSIONS]
    found = dict(
        zip(
            DIMENSIONS, grouping_sets(Case.objects.filter(scope, ACTIVE_Q), keys, sets), strict=True
        )
    )
    regions = {r.value: r.label for r in Region}
    names = dict(
        User.objects.filter(pk__in=[k for k, _ in found["assignee"] if k]).values_list(
            "pk", "full_name"
        )
    )
    labels = {
        "age_band": {key: label for key, label, _ in AGE_BANDS}.get,
        "status_group": STATUS_GROUPS.get,
        "priority": GROUP_LABELS.get,
        "region": lambda v: regions.get(v, v),
        "assignee": lambda v: names.get(v) or "Unassigned",
    }
    counts: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    for dim, rows in found.items():
        for value, n in rows:
            counts[dim][labels[dim](value)] += n
    return counts


def backlog_report(*, scope: Q, start: dt.date, end: dt.date, now: dt.datetime) -> BacklogReport:
    """Open cases now, by each dimension, and the recorded daily totals from ``start`` to
    ``end`` (written by the worker each night). An unscoped viewer reads the coarse daily
    totals (``BacklogTotal``); a scoped one the snapshot cells her scope filters."""
    counts = open_counts(scope, now)
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
    source = BacklogSnapshot.objects.filter(scope) if scope else BacklogTotal.objects.all()
    trend_rows = (
        source.filter(day__gte=start, day__lte=end)
        .values("day")
        .annotate(open=Sum("count"))
        .order_by("day")
    )
    trend = [(r["day"], r["open"]) for r in trend_rows]
    return BacklogReport(now, sum(counts["region"].values()), by_dimension, trend)
