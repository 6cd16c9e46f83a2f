"""Deadlines and durations in words, in the region's own time zone and business terms."""

from __future__ import annotations

from datetime import datetime, timedelta

from .business import BusinessCalendar
from .hours import WEEKDAY_NAMES

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_local(dt: datetime, calendar: BusinessCalendar) -> str:
    """``Thu 13 Mar 14:00 São Paulo time``: weekday and date in the region's own zone."""
    local = dt.astimezone(calendar.zone)
    return (
        f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} "
        f"{local:%H:%M} {calendar.place} time"
    )


def format_duration(span: timedelta) -> str:
    """``3 h 20 min`` / ``45 min``: rounded to the minute for people."""
    minutes = round(abs(span).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def describe_due(due: datetime, now: datetime, calendar: BusinessCalendar) -> str:
    """Human-readable distance to a deadline, in business terms and the region's local time."""
    when = format_local(due, calendar)
    if due <= now:
        late = calendar.business_time_between(due, now)
        return f"overdue by {format_duration(late)} of business time (was due {when})"
    days = calendar.business_days_between(now, due)
    if days == 0:
        left = calendar.business_time_between(now, due)
        return f"due in {format_duration(left)} of business time, {when}"
    unit = "business day" if days == 1 else "business days"
    return f"due in {days} {unit}, {when}"
