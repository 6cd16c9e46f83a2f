"""Small presentation helpers for the page templates."""

from __future__ import annotations

import datetime as dt

from django import template

from casedesk.core import clock

register = template.Library()

REGION_SHORT = {
    "emea": "EMEA",
    "americas": "N. America",
    "latam": "LatAm",
    "brazil": "Brazil",
    "japan": "Japan",
    "apac": "APAC",
}


_AGE_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def age(value: dt.datetime | None) -> str:
    """'3 days' rather than '3 days, 4 hours': a queue is scanned, not read.

    Same units as Django's ``timesince(depth=1)`` at a fraction of its cost: the queue
    shows two ages per row (docs/benchmarks.md).
    """
    if value is None:
        return ""
    seconds = int((clock.now() - value).total_seconds())
    for size, unit in _AGE_UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count}\N{NO-BREAK SPACE}{unit}{'' if count == 1 else 's'}"
    return "0\N{NO-BREAK SPACE}minutes"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


@register.filter
def utc(value: dt.datetime | None) -> str:
    """'24 Nov 2026, 14:05' in UTC (what ``date:"j M Y, H:i"`` printed, without its cost)."""
    if value is None:
        return ""
    v = _utc(value)
    return f"{v.day} {_MONTHS[v.month - 1]} {v.year}, {v:%H:%M}"


@register.filter
def utc_day(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    v = _utc(value)
    return f"{v.day} {_MONTHS[v.month - 1]} {v.year}"


@register.filter
def utc_time(value: dt.datetime | None) -> str:
    return "" if value is None else f"{_utc(value):%H:%M}"


@register.filter
def iso(value: dt.datetime | None) -> str:
    """The machine-readable ``datetime`` attribute of ``<time>``."""
    return "" if value is None else _utc(value).isoformat()


@register.filter
def region_short(value: str) -> str:
    return REGION_SHORT.get(value, value)
