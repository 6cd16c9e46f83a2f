"""Small presentation helpers for the page templates.

Times: pages show them in the viewer's time zone (``local``, ``local_day``, ``local_time``;
``web.middleware.UserTimeZoneMiddleware`` activates the person's zone) with the zone's
abbreviation, and keep the instant machine-readable in UTC (``iso`` for ``<time datetime>``).
``utc``/``utc_day``/``utc_time`` format in UTC, for text that says so.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import Urlizer
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

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


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(timezone.get_current_timezone())


def zone_label(value: dt.datetime) -> str:
    """'CET', 'JST', 'UTC'; zones without a name print their offset: 'UTC-03'."""
    name = value.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


@register.filter
def zone(value: dt.datetime | None) -> str:
    """The viewer's zone name at that instant, after a ``date`` filter's own format."""
    return "" if value is None else zone_label(_local(value))


@register.filter
def local(value: dt.datetime | None) -> str:
    """'24 Nov 2026, 15:05 CET' in the viewer's time zone."""
    if value is None:
        return ""
    v = _local(value)
    return f"{v.day} {_MONTHS[v.month - 1]} {v.year}, {v:%H:%M} {zone_label(v)}"


@register.filter
def local_day(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    v = _local(value)
    return f"{v.day} {_MONTHS[v.month - 1]} {v.year}"


@register.filter
def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    v = _local(value)
    return f"{v:%H:%M} {zone_label(v)}"


@register.filter
def iso(value: dt.datetime | None) -> str:
    """The machine-readable ``datetime`` attribute of ``<time>``."""
    return "" if value is None else _utc(value).isoformat()


@register.filter
def region_short(value: str) -> str:
    return REGION_SHORT.get(value, value)


class _SafeLinks(Urlizer):
    """Django's urlize, with links that neither pass on our page nor our ranking."""

    url_template = '<a href="{href}" rel="noopener nofollow"{attrs}>{url}</a>'


_urlize = _SafeLinks()


@register.filter(is_safe=True)
def linkify(value: str | None) -> SafeString:
    """Plain text as HTML: escaped, web and mail addresses made links, line breaks kept (B5).

    Only ``http(s)://``, ``www.`` and bare domain addresses become links, so a
    ``javascript:`` text stays text; every other character is escaped as before, also in
    the link text and the address.
    """
    if not value:
        return mark_safe("")
    text = normalize_newlines(str(value))
    html = _urlize(text, trim_url_limit=80, nofollow=False, autoescape=True)
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308 - escaped by urlize above
