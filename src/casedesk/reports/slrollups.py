"""Stored service-level cells (ADR 0008): the nightly run stores each opening day once it
is over and again whenever one of its cases changed; the report sums stored days in SQL and
computes the others — today, days not reached, days dirty since the last run — with the
same ``slcells.sla_cells``, so a figure is the same whichever way it was found.

A day is *dirty* when a case opened that day was updated (``Case.updated_at``, which every
case service bumps: a milestone met or settled, a priority, assignee or region change, a
restoration) at or after the day's ``fresh_at``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import BigIntegerField, F, Q, Sum, Value, When
from django.db.models import Case as SqlCase

from casedesk.cases.models import Case

from .slamodels import SlaCell, SlaDay
from .slcells import DIM_INDEX, Cells, coarse, micros, sla_cells

MARGIN = dt.timedelta(minutes=10)  # a change committed late still makes its day dirty
CHUNK_DAYS = 7
OVERDUE, RUNNING = -1, -2  # a pending milestone's value once classified at ``now``
GROUPS = ("priority", "region", "product_group", "day")


@dataclass(kw_only=True)
class Acc:
    """The added-up figures of one group of cells."""

    cases: int = 0
    outage_count: int = 0
    outage_seconds: int = 0
    root_cause: Counter[int] = field(default_factory=Counter)  # business days → milestones
    fix: Counter[int] = field(default_factory=Counter)  # minutes → milestones
    fix_seconds: int = 0
    met: int = 0
    missed: int = 0
    running: int = 0
    not_applicable: int = 0

    def add(self, metric: str, value: int, n: int, total: int) -> None:
        if metric == "cases":
            self.cases += n
        elif metric == "outage":
            self.outage_count += n
            self.outage_seconds += total
        elif metric == "root_cause":
            self.root_cause[value] += n
        elif metric == "fix":
            self.fix[value] += n
            self.fix_seconds += total
        elif metric == "pending":
            if value == OVERDUE:
                self.missed += n
            else:
                self.running += n
        else:
            setattr(self, metric, getattr(self, metric) + n)

    def merge(self, other: Acc) -> None:
        for name in SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.root_cause.update(other.root_cause)
        self.fix.update(other.fix)


SUMS = (
    "cases",
    "outage_count",
    "outage_seconds",
    "fix_seconds",
    "met",
    "missed",
    "running",
    "not_applicable",
)
Tally = dict[str, dict[Any, Acc]]  # group → value → figures


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    return lo, dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def dirty_days(
    fresh: dict[dt.date, dt.datetime], lo: dt.datetime | None = None, hi: dt.datetime | None = None
) -> set[dt.date]:
    """The stored days (``fresh``: day → fresh_at) one of whose cases changed since."""
    if not fresh:
        return set()
    touched = Case.objects.filter(updated_at__gte=min(fresh.values()))
    if lo is not None and hi is not None:
        touched = touched.filter(opened_at__gte=lo, opened_at__lt=hi)
    dirty = set()
    for opened, updated in touched.values_list("opened_at", "updated_at").iterator():
        day = opened.astimezone(dt.UTC).date()
        if day in fresh and updated >= fresh[day]:
            dirty.add(day)
    return dirty


@transaction.atomic
def sla_rollup_days(days: list[dt.date], *, now: dt.datetime, fresh_at: dt.datetime) -> int:
    """Store the cells of the opening ``days`` (replacing earlier ones) in one pass."""
    if not days:
        return 0
    if _bounds(max(days), max(days))[1] > now:
        raise ValueError(f"{max(days)} is not over yet")
    fine = sla_cells(days)
    SlaCell.objects.filter(day__in=days).delete()
    rows: Counter[dt.date] = Counter()
    objs = []
    for grain, cells in (("case", fine), ("all", coarse(fine))):
        for key, (n, total) in cells.items():
            rows[key[0]] += 1
            objs.append(
                SlaCell(
                    day=key[0],
                    grain=grain,
                    metric=key[1],
                    value=key[2],
                    priority=key[3],
                    region=key[4],
                    product_group_id=key[5],
                    organisation_id=key[6],
                    assignee_id=key[7],
                    count=n,
                    total=total,
                )
            )
    SlaCell.objects.bulk_create(objs, batch_size=2000)
    SlaDay.objects.filter(day__in=days).delete()
    SlaDay.objects.bulk_create(
        SlaDay(day=d, computed_at=now, fresh_at=fresh_at, rows=rows[d]) for d in days
    )
    return len(objs)


def sla_backfill(first: dt.date, last: dt.date, *, now: dt.datetime) -> int:
    """``reports_rollup``: store every opening day from ``first`` to ``last``."""
    days, rows = _days(first, last), 0
    for i in range(0, len(days), CHUNK_DAYS):
        rows += sla_rollup_days(days[i : i + CHUNK_DAYS], now=now, fresh_at=now - MARGIN)
    return rows


def sla_nightly(*, now: dt.datetime, limit: int = 31) -> tuple[list[dt.date], set[dt.date]]:
    """Store the opening days that ended since the last run (at most ``limit``; older ones
    are the backfill's) and every stored day made dirty since, then mark all stored days
    fresh as of this run. Returns (new days, dirty days)."""
    fresh_at = now - MARGIN
    yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    last = SlaDay.objects.filter(day__lte=yesterday).order_by("-day").first()
    first = last.day + dt.timedelta(days=1) if last else yesterday
    new = _days(max(first, yesterday - dt.timedelta(days=limit - 1)), yesterday)
    dirty = dirty_days(dict(SlaDay.objects.values_list("day", "fresh_at")))
    todo = sorted(set(new) | dirty)
    for i in range(0, len(todo), 31):
        sla_rollup_days(todo[i : i + 31], now=now, fresh_at=fresh_at)
    SlaDay.objects.filter(fresh_at__lt=fresh_at).update(fresh_at=fresh_at)
    return new, dirty


def _fold(tally: Tally, dim: str, key: Any, metric: str, value: int, n: int, t: int) -> None:
    acc = tally[dim].get(key)
    if acc is None:
        acc = tally[dim][key] = Acc()
    acc.add(metric, value, n, t)


def _live(tally: Tally, cells: Cells, now_us: int) -> None:
    for key, (n, t) in cells.items():
        metric, value = key[1], key[2]
        if metric == "pending":
            value = OVERDUE if value < now_us else RUNNING
        for dim in GROUPS:
            _fold(tally, dim, key[DIM_INDEX[dim]], metric, value, n, t)


def sla_tally(*, scope: Q, start: dt.date, end: dt.date, now: dt.datetime) -> Tally:
    """The figures of the cases opened ``start``–``end`` within ``scope``, per priority
    group, region, product group (id) and opening day: stored days from ``SlaCell``, the
    others computed live."""
    lo, hi = _bounds(start, end)
    fresh = dict(SlaDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "fresh_at"))
    dirty = dirty_days(fresh, lo, hi)
    today = now.astimezone(dt.UTC).date()  # no case opens later than now
    live = [d for d in _days(start, min(end, today)) if d not in fresh or d in dirty]
    tally: Tally = {dim: {} for dim in GROUPS}
    now_us = micros(now)
    if fresh.keys() - dirty:
        rows = SlaCell.objects.filter(
            grain="case" if scope else "all", day__gte=start, day__lte=end
        )
        if scope:
            rows = rows.filter(scope)
        if live:  # today, unstored or dirty days: their cells come from ``sla_cells``
            rows = rows.exclude(day__in=live)
        rows = rows.annotate(
            v=SqlCase(
                When(metric="pending", value__lt=now_us, then=Value(OVERDUE)),
                When(metric="pending", then=Value(RUNNING)),
                default=F("value"),
                output_field=BigIntegerField(),
            )
        )
        # Two scans: every (priority, region, product group) combination, folded into the
        # three breakdowns here, and the days for the trend.
        dims = ("priority", "region", "product_group")
        combos = rows.values(*dims, "metric", "v").annotate(n=Sum("count"), t=Sum("total"))
        for r in combos.order_by():
            for dim in dims:
                _fold(tally, dim, r[dim], r["metric"], r["v"], r["n"], r["t"])
        days = rows.filter(metric__in=["cases", "missed", "pending"])
        for r in days.values("day", "metric", "v").annotate(n=Sum("count")).order_by():
            _fold(tally, "day", r["day"], r["metric"], r["v"], r["n"], 0)
    _live(tally, sla_cells(live, scope or None), now_us)
    return tally
