"""Report periods (I1): a range of days cut into day, week, month or quarter buckets."""

from __future__ import annotations

import datetime as dt

PERIODS = ("day", "week", "month", "quarter")


def bucket(day: dt.date, period: str) -> dt.date:
    """First day of the bucket ``day`` falls in; weeks start on Monday (ISO 8601)."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"unknown period {period!r}")


def buckets(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    """Every bucket touching ``[start, end]`` in order, so empty ones show as zero."""
    seen: list[dt.date] = []
    day = start
    while day <= end:
        first = bucket(day, period)
        if not seen or seen[-1] != first:
            seen.append(first)
        day += dt.timedelta(days=1)
    return seen


def p90(values: list[float]) -> float | None:
    """90th percentile by the nearest-rank method (a value that occurred, no interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-9 * len(ordered) // 10)  # ceil(0.9 n)
    return ordered[rank - 1]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
