"""Small presentation helpers for the page templates."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.timesince import timesince

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


@register.filter
def age(value: dt.datetime | None) -> str:
    """'3 days' rather than '3 days, 4 hours': a queue is scanned, not read."""
    if value is None:
        return ""
    return timesince(value, clock.now(), depth=1)


@register.filter
def region_short(value: str) -> str:
    return REGION_SHORT.get(value, value)
