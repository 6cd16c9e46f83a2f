"""Business-calendar arithmetic at its edges, with values worked out by hand (C1, C2, C9).

The London calendar is EMEA's: Mon-Fri 08:00-18:00 Europe/London, England's bank
holidays. 2026 by hand: 1 Jan is a Thursday (New Year's Day), so 2 Jan (Fri) is the year's
first business day; 25 Dec is a Friday and Boxing Day (Sat 26) moves to Mon 28 Dec; 1 Jan
2027 is a Friday, so the next business day is Mon 4 Jan. BST runs from 29 Mar to 25 Oct
2026 (UTC+1), GMT otherwise (UTC+0). Every calendar here is built in its test, so the
per-year index is built with the code under test (see conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from casedesk.policy.calendars import BusinessCalendar

H = timedelta(hours=1)


def london() -> BusinessCalendar:
    return BusinessCalendar.for_region("emea", tz="Europe/London", country="GB", subdivision="ENG")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- next opening -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # A closing instant is not working time: the next opening is the next morning.
        (utc(2026, 11, 23, 18), utc(2026, 11, 24, 8)),
        (utc(2026, 11, 23, 17, 59, 59), utc(2026, 11, 23, 17, 59, 59)),
        # Inside the year's first working interval (2 Jan): that instant itself.
        (utc(2026, 1, 2, 8), utc(2026, 1, 2, 8)),
        (utc(2026, 1, 2, 10, 30), utc(2026, 1, 2, 10, 30)),
        (utc(2026, 1, 1, 9), utc(2026, 1, 2, 8)),  # New Year's Day
        # After the year's last interval: the first interval of the next year.
        (utc(2026, 12, 31, 18), utc(2027, 1, 4, 8)),
        # Christmas and the substitute Boxing Day.
        (utc(2026, 12, 24, 18), utc(2026, 12, 29, 8)),
        # BST: 08:00 local is 07:00 UTC.
        (utc(2026, 3, 27, 18), utc(2026, 3, 30, 7)),
        (utc(2026, 10, 23, 17), utc(2026, 10, 26, 8)),
    ],
)
def test_next_opening(at, expected):
    assert london().next_opening(at) == expected


def test_working_time_and_the_first_interval_of_a_year():
    cal = london()
    assert cal.is_working_time(utc(2026, 1, 2, 8))
    assert not cal.is_working_time(utc(2026, 1, 2, 7, 59, 59))
    assert not cal.is_working_time(utc(2026, 1, 2, 18))
    assert cal.add_business_hours(utc(2026, 1, 2, 8), 1) == utc(2026, 1, 2, 9)
    assert cal.add_business_days(utc(2026, 1, 2, 8), 0) == utc(2026, 1, 2, 8)
    assert cal.add_business_days(utc(2026, 1, 2, 8), 1) == utc(2026, 1, 5, 8)
    # From before the year's first opening: nothing has been worked yet.
    assert cal.business_time_between(utc(2026, 1, 1, 9), utc(2026, 1, 2, 9)) == H
    assert cal.add_business_hours(utc(2026, 1, 1, 9), 1) == utc(2026, 1, 2, 9)


def test_negative_business_hours_are_refused():
    with pytest.raises(ValueError, match=r"^business hours to add must not be negative$"):
        london().add_business_hours(utc(2026, 1, 2, 9), -1)


# -- business hours across holidays, year ends and DST ------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (utc(2026, 11, 23, 17), 1, utc(2026, 11, 23, 18)),  # due "by 18:00", not next morning
        (utc(2026, 11, 23, 17), 2, utc(2026, 11, 24, 9)),
        (utc(2026, 12, 24, 17), 2, utc(2026, 12, 29, 9)),  # Christmas, Boxing Day (Mon 28)
        (utc(2026, 12, 31, 17), 1, utc(2026, 12, 31, 18)),  # the year's last closing time
        (utc(2026, 12, 31, 17), 2, utc(2027, 1, 4, 9)),  # over the year end and 1 Jan
        (utc(2026, 12, 31, 17), 1 + 10 * 5 + 1, utc(2027, 1, 11, 9)),  # a whole week on
        # Spring: Fri 17:00 GMT + 2 h = Mon 09:00 BST = 08:00 UTC.
        (utc(2026, 3, 27, 17), 2, utc(2026, 3, 30, 8)),
        # Autumn: Fri 17:00 BST (16:00 UTC) + 2 h = Mon 09:00 GMT.
        (utc(2026, 10, 23, 16), 2, utc(2026, 10, 26, 9)),
    ],
)
def test_add_business_hours(start, hours, expected):
    cal = london()
    assert cal.add_business_hours(start, hours) == expected
    assert cal.business_time_between(start, expected) == hours * H


def test_business_time_over_a_year_end_and_back():
    cal = london()
    # 31 Dec 2026 17-18 (1 h), 4-8 Jan 2027 (50 h), Mon 11 Jan 08-09 (1 h).
    a, b = utc(2026, 12, 31, 17), utc(2027, 1, 11, 9)
    assert cal.business_time_between(a, b) == 52 * H
    assert cal.business_time_between(b, a) == -52 * H
    # All of 2026's working time, 2 Jan 08:00 to 4 Jan 2027 08:00: 261 weekdays less 8
    # bank holidays (1 Jan, 3 and 6 Apr, 4 and 25 May, 31 Aug, 25 and 28 Dec), 10 h each.
    assert cal.business_time_between(utc(2026, 1, 2, 8), utc(2027, 1, 4, 8)) == 2530 * H


def test_business_days_across_holidays_and_the_year_end():
    cal = london()
    # After Thu 24 Dec up to and including Mon 4 Jan: 29, 30, 31 Dec and 4 Jan.
    assert cal.business_days_between(utc(2026, 12, 24, 12), utc(2027, 1, 4, 12)) == 4
    assert cal.business_days_between(utc(2027, 1, 4, 12), utc(2026, 12, 24, 12)) == 0
    assert cal.add_business_days(utc(2026, 12, 24, 10), 1) == utc(2026, 12, 29, 10)
    assert cal.add_business_days(utc(2026, 12, 24, 10), 4) == utc(2027, 1, 4, 10)
    assert not cal.is_business_day(date(2026, 12, 28))
    assert cal.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"


def test_a_day_of_24x7_across_dst_is_its_true_length():
    # C9: "7 days" is 7 x 24 elapsed hours; a 24/7 calendar's time is elapsed time.
    cal = BusinessCalendar.always_open("pd", "Europe/London")
    assert cal.business_time_between(utc(2026, 3, 29, 0), utc(2026, 3, 29, 23)) == 23 * H
    assert cal.business_time_between(utc(2026, 10, 24, 23), utc(2026, 10, 26, 0)) == 25 * H
    assert cal.add_business_hours(utc(2026, 3, 26, 12), 7 * 24) == utc(2026, 4, 2, 12)
    assert cal.add_business_hours(utc(2026, 10, 22, 12), 7 * 24) == utc(2026, 10, 29, 12)


def test_working_intervals_on_dst_days_in_utc():
    cal = BusinessCalendar("sun", "Europe/London", ((),) * 6 + (((time(0), time(0)),),))
    # Sunday 29 Mar 2026: 00:00 GMT to 24:00 BST, 23 hours; Sunday 25 Oct: 25 hours.
    assert cal.working_intervals(date(2026, 3, 29)) == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))]
    assert cal.working_intervals(date(2026, 10, 25)) == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 26, 0))
    ]
    assert cal.working_intervals(date(2026, 3, 28)) == []


# -- a calendar with no working time ahead -------------------------------------------------


def sundays_closed_through(last: date) -> BusinessCalendar:
    """Open Sundays 09-17 UTC, every Sunday from 6 Dec 2026 through ``last`` a holiday."""
    first = date(2026, 12, 6)
    closed = frozenset(first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    hours = ((),) * 6 + (((time(9), time(17)),),)
    return BusinessCalendar("sundays", "UTC", hours, extra_holidays=closed)


AFTER_THE_LAST_SUNDAY = utc(2026, 11, 29, 17)  # Sunday 29 Nov 2026, closing time


def test_next_opening_looks_up_to_fifty_years_ahead():
    # 2027-2075 have no working time (49 years); the first Sunday of 2076 is 5 Jan.
    cal = sundays_closed_through(date(2075, 12, 29))
    assert cal.next_opening(AFTER_THE_LAST_SUNDAY) == utc(2076, 1, 5, 9)
    assert cal.add_business_days(AFTER_THE_LAST_SUNDAY, 0) == utc(2076, 1, 5, 9)
    # One empty year more, and the calendar is refused as having no working time ahead.
    closed = sundays_closed_through(date(2076, 12, 27))
    with pytest.raises(ValueError, match=r"^calendar 'sundays' has no working time ahead$"):
        closed.next_opening(AFTER_THE_LAST_SUNDAY)


def test_adding_business_hours_looks_up_to_fifty_years_ahead():
    # 2027-2076 are empty (50 years); the first Sunday of 2077 is 3 Jan.
    cal = sundays_closed_through(date(2076, 12, 27))
    assert cal.add_business_hours(AFTER_THE_LAST_SUNDAY, 1) == utc(2077, 1, 3, 10)
    closed = sundays_closed_through(date(2077, 12, 26))
    with pytest.raises(ValueError, match=r"^calendar 'sundays' has no working time ahead$"):
        closed.add_business_hours(AFTER_THE_LAST_SUNDAY, 1)
