"""Monthly margins of the daily rollups (ADR 0008 addendum; issue 13 item 10).

With organisation and assignee among its dimensions, ``DailyCount`` holds about one row per
counted thing, so a year of the unscoped (manager/care) view summed ~1M rows at 1M cases.
That view only ever groups by one dimension at a time (or by day), so for each calendar
month whose every day is stored we keep the sums along each dimension — a few hundred rows
a month — computed from the month's ``DailyCount`` rows in one SQL statement. The reader
(``rollups.tally``) takes whole months from here and the rest by day as before; a scoped
viewer (a region, an organisation) cannot use them and keeps the daily rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from .models import DailyCount, MarginMonth, MonthlyMargin, RollupDay

# The report groups kept per month: ``day`` (the trend) and the dimensions a report groups
# by. Organisation is a scope, never a group, so it is not kept.
MARGIN_DIMS = ("day", "region", "priority", "product_group", "product", "assignee")
_COLUMNS = {
    "day": "day",
    "region": "region",
    "priority": "priority",
    "product_group": "product_group_id",
    "product": "product_id",
    "assignee": "assignee_id",
}
ONE_DAY = dt.timedelta(days=1)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY


def _as_text(dim: str) -> str:
    """The dimension's column as the text ``value`` holds (ISO day, decimal id)."""
    column = connection.ops.quote_name(_COLUMNS[dim])
    if dim in ("region", "priority"):
        return column
    if dim == "day":  # SQLite keeps dates as ISO text already
        return f"to_char({column}, 'YYYY-MM-DD')" if connection.vendor == "postgresql" else column
    return f"CAST({column} AS VARCHAR(20))"


def _insert(month: dt.date) -> int:
    """INSERT … SELECT of the month's margins along every dimension; the number of rows."""
    q = connection.ops.quote_name
    date = connection.ops.adapt_datefield_value
    daily = q(DailyCount._meta.db_table)
    branches, params = [], []
    for dim in MARGIN_DIMS:
        # Identifiers and the dimension name are ours (MARGIN_DIMS); the days are parameters.
        branches.append(
            f"SELECT %s, {q('metric')}, '{dim}', {_as_text(dim)}, "  # noqa: S608
            f"SUM({q('count')}), SUM({q('total')}) FROM {daily} "
            f"WHERE {q('day')} >= %s AND {q('day')} <= %s "
            f"GROUP BY {q('metric')}, {q(_COLUMNS[dim])}"
        )
        params += [date(month), date(month), date(month_end(month))]
    columns = ", ".join(q(c) for c in ("month", "metric", "dim", "value", "count", "total"))
    sql = f"INSERT INTO {q(MonthlyMargin._meta.db_table)} ({columns}) "
    with connection.cursor() as cursor:
        cursor.execute(sql + " UNION ALL ".join(branches), params)
        return cursor.rowcount


@transaction.atomic
def month_margins_store(month: dt.date, *, now: dt.datetime) -> int | None:
    """Recompute ``month``'s margins if every day of it is stored (else drop them, so the
    reader takes its days one by one); the number of margin rows, or None."""
    month = month_of(month)
    MonthlyMargin.objects.filter(month=month).delete()
    MarginMonth.objects.filter(month=month).delete()
    stored = RollupDay.objects.filter(day__gte=month, day__lte=month_end(month)).count()
    if stored < month_end(month).day:
        return None
    rows = _insert(month)
    MarginMonth.objects.create(month=month, computed_at=now, rows=rows)
    return rows


def margins_refresh(days: Iterable[dt.date], *, now: dt.datetime) -> list[dt.date]:
    """Recompute the margins of the months of ``days`` (once each, after a batch of days
    was stored); the months now complete."""
    months = sorted({month_of(d) for d in days})
    return [m for m in months if month_margins_store(m, now=now) is not None]


def margin_months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The months lying wholly within ``start``–``end`` whose margins are stored."""
    first = start if start.day == 1 else month_end(start) + ONE_DAY
    found = MarginMonth.objects.filter(month__gte=first, month__lte=end)
    return [m for m in found.values_list("month", flat=True) if month_end(m) <= end]


def day_runs(start: dt.date, end: dt.date, months: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """``start``–``end`` without ``months``, as (first, last) runs of days."""
    runs, day = [], start
    for month in sorted(months):
        if day < month:
            runs.append((day, month - ONE_DAY))
        day = month_end(month) + ONE_DAY
    if day <= end:
        runs.append((day, end))
    return runs


def _value(dim: str, text: str | None) -> Any:
    if text is None or dim in ("region", "priority"):
        return text
    return dt.date.fromisoformat(text) if dim == "day" else int(text)


def add_margins(
    out: dict[str, Any], months: list[dt.date], prefix: str, groups: tuple[str, ...]
) -> None:
    """Add the months' margins of the ``prefix`` metrics to ``out[group][(value, metric)]``."""
    if not months:
        return
    rows = (
        MonthlyMargin.objects.filter(month__in=months, dim__in=groups, metric__startswith=prefix)
        .values_list("dim", "value", "metric")
        .annotate(n=Sum("count"), t=Sum("total"))  # summed over the months in SQL
        .order_by()
    )
    for dim, value, metric, n, t in rows:
        cell = out[dim][(_value(dim, value), metric)]
        cell[0] += n
        cell[1] += t
