"""What a cutover window needs from support (G1): whether it runs outside business hours, on a
weekend or on a holiday in the site's region calendar. Engineers plan on-call cover from these
flags on the upcoming-cutovers calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendars import BusinessCalendar


@dataclass(frozen=True)
class WindowFlags:
    after_hours: bool  # some of the window is outside working time
    weekend: bool  # it touches a Saturday or Sunday, local time
    holiday: str  # the name of a holiday it touches, or ""

    @property
    def needs_cover(self) -> bool:
        return self.after_hours or self.weekend or bool(self.holiday)


def cutover_window_flags(start: datetime, end: datetime, calendar: BusinessCalendar) -> WindowFlags:
    """Flags for the half-open window ``[start, end)``; an empty window is judged by its start."""
    end = max(end, start + timedelta(microseconds=1))
    working = calendar.business_time_between(start, end)
    first = start.astimezone(calendar.zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(calendar.zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    holiday = next((name for d in days if (name := calendar.holiday_name(d))), "")
    return WindowFlags(
        after_hours=working < end - start,
        weekend=any(d.weekday() >= 5 for d in days),
        holiday=holiday,
    )
