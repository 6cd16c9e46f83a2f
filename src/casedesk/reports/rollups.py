"""Daily rollups (ADR 0008): one UTC day's cells stored as ``DailyCount`` rows once the day is
over, and the reports' reader that sums stored days in SQL and computes the days not stored
yet (today, or days the worker has not reached) from the records, so a figure is the same
whichever way it was found."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from .cells import DIMS, Cells, day_bounds, span_cells
from .grouping import grouping_sets
from .margins import (
    MARGIN_DIMS,
    add_margins,
    day_runs,
    margin_months,
    month_margins_store,
    month_of,
)
from .models import DailyCount, MarginMonth, MonthlyMargin, RollupDay

Tally = dict[tuple[Any, str], list[float]]  # (group value, metric) → [count, total]
GROUPS = ("day", *DIMS)


@transaction.atomic
def rollup_day(*, day: dt.date, now: dt.datetime, margins: bool = True) -> int:
    """Store ``day``'s cells (replacing an earlier run's) and mark the day complete; then
    recompute its month's margins if the month is complete — or, with ``margins=False``
    (a batch that calls ``margins.margins_refresh`` once at the end), drop them, so a
    month's margins never disagree with its days."""
    lo, hi = day_bounds(day, day)
    if hi > now:
        raise ValueError(f"{day} is not over yet")
    cells = span_cells(lo, hi)
    DailyCount.objects.filter(day=day).delete()
    DailyCount.objects.bulk_create(
        (
            DailyCount(
                day=key[0],
                metric=key[1],
                region=key[2],
                priority=key[3],
                product_group_id=key[4],
                product_id=key[5],
                organisation_id=key[6],
                assignee_id=key[7],
                count=int(value[0]),
                total=value[1],
            )
            for key, value in cells.items()
        ),
        batch_size=2000,
    )
    RollupDay.objects.update_or_create(day=day, defaults={"computed_at": now, "rows": len(cells)})
    if margins:
        month_margins_store(month_of(day), now=now)
    else:
        MarginMonth.objects.filter(month=month_of(day)).delete()
        MonthlyMargin.objects.filter(month=month_of(day)).delete()
    return len(cells)


def missing_days(start: dt.date, end: dt.date) -> list[dt.date]:
    stored = set(
        RollupDay.objects.filter(day__gte=start, day__lte=end).values_list("day", flat=True)
    )
    days, day = [], start
    while day <= end:
        if day not in stored:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs, so each run is one pass over the records."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def tally(
    *,
    scope: Q,
    start: dt.date,
    end: dt.date,
    prefix: str,
    groups: tuple[str, ...],
    now: dt.datetime,
) -> dict[str, Tally]:
    """For each of ``groups`` (``day`` or a dimension), count and total per (value, metric)
    of the metrics starting with ``prefix``, over ``start``–``end`` and the viewer's scope.

    Unscoped (managers, care): whole months with stored margins from ``MonthlyMargin``;
    the other stored days from ``DailyCount``; days not stored computed live."""
    end = min(end, now.astimezone(dt.UTC).date())
    out: dict[str, Tally] = {g: defaultdict(lambda: [0, 0.0]) for g in groups}
    if end < start:
        return out
    months = []
    if not scope and set(groups) <= set(MARGIN_DIMS):
        months = margin_months(start, end)
        add_margins(out, months, prefix, groups)
    runs = day_runs(start, end, months)
    if runs:
        days = reduce(or_, (Q(day__gte=first, day__lte=last) for first, last in runs))
        stored = DailyCount.objects.filter(scope, days, metric__startswith=prefix)
        keys = {"metric": F("metric"), **{g: F(g) for g in groups}}
        sets = [(g, "metric") for g in groups]  # one pass over the rows (grouping.py)
        for group, rows in zip(
            groups, grouping_sets(stored, keys, sets, ("count", "total")), strict=True
        ):
            for value, metric, _, n, t in rows:
                cell = out[group][(value, metric)]
                cell[0] += n
                cell[1] += t
    live: Cells = {}
    for first, last in _runs(missing_days(start, end)):
        lo, hi = day_bounds(first, last)
        live.update(span_cells(lo, min(hi, now), scope))
    index = {g: i for i, g in enumerate(GROUPS)}
    for key, (n, t) in live.items():
        if not key[1].startswith(prefix):
            continue
        for group in groups:
            cell = out[group][(key[0] if group == "day" else key[index[group] + 1], key[1])]
            cell[0] += n
            cell[1] += t
    return out
