"""Business calendars: working hours, public holidays and business-time arithmetic (R: C1).

All public functions take timezone-aware datetimes and return UTC datetimes; naive
datetimes are rejected because a deadline without a zone is a bug waiting for a
DST change. Working hours are local wall-clock intervals; each one is converted to
UTC once, so a working day that contains a DST jump has its true elapsed length.

Speed comes from precomputing, per calendar and per local year, the sorted UTC
working intervals with cumulative working time. Adding or measuring is then a
binary search (no per-minute or per-day loops), built lazily for any year.

Modules: ``hours`` (weekly working hours), ``holidays`` (public holidays per country and
year), ``business`` (``BusinessCalendar``: the per-year index and the arithmetic on it),
``wording`` (deadlines and durations in words, in the region's local time), ``_common``
(integer-microsecond instants). Plain Python like all of ``policy/``: the standard
library, ``holidays`` and each other; never Django, never the rest of casedesk.
Callers import from here.
"""

from .business import BusinessCalendar
from .holidays import HolidaySource
from .hours import ALWAYS, WEEKDAY_NAMES, DayHours, WeekHours, weekly_hours
from .wording import describe_due, format_duration, format_local

__all__ = [
    "ALWAYS",
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "DayHours",
    "HolidaySource",
    "WeekHours",
    "describe_due",
    "format_duration",
    "format_local",
    "weekly_hours",
]
