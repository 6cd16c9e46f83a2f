"""Weekly working hours: local wall-clock intervals per weekday, Monday first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from ._common import _MIDNIGHT

DayHours = tuple[tuple[time, time], ...]
"""Working intervals of one weekday, sorted; an end of ``time(0)`` means midnight (24:00)."""
WeekHours = tuple[DayHours, DayHours, DayHours, DayHours, DayHours, DayHours, DayHours]
"""Working intervals Monday (index 0) to Sunday (index 6)."""

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

ALWAYS: DayHours = ((_MIDNIGHT, _MIDNIGHT),)
"""A whole day, 00:00-24:00."""


def weekly_hours(
    opens: str = "08:00", closes: str = "18:00", days: Iterable[int] = range(5)
) -> WeekHours:
    """Same hours on the given weekdays (0 = Monday), closed otherwise; "24:00" is midnight."""
    span = ((_parse_hhmm(opens), _parse_hhmm(closes)),)
    chosen = set(days)
    return _week([span if d in chosen else () for d in range(7)])


def _week(days: list[DayHours]) -> WeekHours:
    """Checks the length so the seven-tuple type is honest."""
    if len(days) != 7:
        raise ValueError("working hours need seven weekdays, Monday first")
    mon, tue, wed, thu, fri, sat, sun = days
    return (mon, tue, wed, thu, fri, sat, sun)


def _parse_hhmm(text: str) -> time:
    if text == "24:00":
        return _MIDNIGHT
    return time.fromisoformat(text)


def _format_hhmm(t: time, *, end: bool) -> str:
    return "24:00" if end and t == _MIDNIGHT else t.strftime("%H:%M")
