"""Business calendars as data (C1; "policy is data, not code"): the stored form, word for word.

The round-trip test in test_calendars.py proves ``from_dict(to_dict(c)) == c``, which a
renamed key or a lost default survives as long as both sides agree. Here the stored form
is written out literally, both ways, with every optional field set and with none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from casedesk.policy.calendars import (
    ALWAYS,
    BusinessCalendar,
    HolidaySource,
    describe_due,
    weekly_hours,
)
from casedesk.policy.calendars.hours import _week

FULL = BusinessCalendar(
    "ops",
    "America/Sao_Paulo",
    (
        ((time(8), time(12)), (time(13), time(18))),
        ((time(8), time(18)),),
        ((time(8), time(18)),),
        ((time(8), time(18)),),
        ((time(8), time(14)),),
        ((time(22), time(0)),),
        (),
    ),
    HolidaySource("BR", "SP", ("public", "optional"), ("Carnival",), ("optional", "bank")),
    extra_holidays=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    removed_holidays=frozenset({date(2026, 11, 20)}),
    place="Campinas",
)
FULL_DICT = {
    "name": "ops",
    "tz": "America/Sao_Paulo",
    "place": "Campinas",
    "hours": {
        "mon": [["08:00", "12:00"], ["13:00", "18:00"]],
        "tue": [["08:00", "18:00"]],
        "wed": [["08:00", "18:00"]],
        "thu": [["08:00", "18:00"]],
        "fri": [["08:00", "14:00"]],
        "sat": [["22:00", "24:00"]],
        "sun": [],
    },
    "holiday_source": {
        "country": "BR",
        "subdivision": "SP",
        "categories": ["public", "optional"],
        "include_names": ["Carnival"],
        "include_categories": ["optional", "bank"],
    },
    "extra_holidays": ["2026-12-24", "2026-12-31"],
    "removed_holidays": ["2026-11-20"],
}


def test_the_stored_form_is_exactly_this():
    assert FULL.to_dict() == FULL_DICT


def test_the_stored_form_reads_back_field_by_field():
    read = BusinessCalendar.from_dict(FULL_DICT)
    assert read == FULL
    assert (read.name, read.tz, read.place) == ("ops", "America/Sao_Paulo", "Campinas")
    assert read.hours == FULL.hours
    assert read.holiday_source == FULL.holiday_source
    assert read.extra_holidays == {date(2026, 12, 24), date(2026, 12, 31)}
    assert read.removed_holidays == {date(2026, 11, 20)}


def test_a_minimal_stored_form_takes_the_defaults():
    minimal = {
        "name": "m",
        "tz": "Asia/Tokyo",
        "hours": {"mon": [["09:00", "17:00"]]},
        "holiday_source": {"country": "JP"},
    }
    read = BusinessCalendar.from_dict(minimal)
    assert read == BusinessCalendar(
        "m",
        "Asia/Tokyo",
        weekly_hours("09:00", "17:00", days=[0]),
        HolidaySource("JP", None, ("public",), (), ("optional",)),
    )
    assert read.place == "Tokyo"  # from the zone name
    assert read.to_dict()["holiday_source"] == {
        "country": "JP",
        "subdivision": None,
        "categories": ["public"],
        "include_names": [],
        "include_categories": ["optional"],
    }
    no_holidays = BusinessCalendar.from_dict({**minimal, "holiday_source": None})
    assert no_holidays.holiday_source is None
    assert no_holidays.to_dict()["holiday_source"] is None
    assert BusinessCalendar.from_dict({**minimal, "holiday_source": None}).holidays_in(2026) == {}


def test_place_defaults_to_the_city_of_the_zone():
    assert BusinessCalendar("x", "America/Sao_Paulo", weekly_hours()).place == "Sao Paulo"
    buenos_aires = BusinessCalendar("x", "America/Argentina/Buenos_Aires", weekly_hours())
    assert buenos_aires.place == "Buenos Aires"
    assert BusinessCalendar("x", "UTC", weekly_hours()).place == "UTC"
    assert BusinessCalendar("x", "UTC", weekly_hours(), place="Leeds").place == "Leeds"


def test_for_region_defaults():
    cal = BusinessCalendar.for_region("r", tz="Europe/London", country="GB")
    assert cal == BusinessCalendar(
        "r", "Europe/London", weekly_hours(), HolidaySource("GB", None, ("public",), ())
    )
    assert cal.hours == weekly_hours("08:00", "18:00", range(5))
    assert cal.place == "London"
    own = BusinessCalendar.for_region(
        "r",
        tz="Europe/London",
        country="GB",
        subdivision="SCT",
        hours=weekly_hours("09:00", "17:00"),
        categories=("public", "bank"),
        include_names=("Boxing",),
        place="Glasgow",
    )
    assert own.holiday_source == HolidaySource("GB", "SCT", ("public", "bank"), ("Boxing",))
    assert (own.hours, own.place) == (weekly_hours("09:00", "17:00"), "Glasgow")


def test_always_open_defaults():
    cal = BusinessCalendar.always_open()
    assert (cal.name, cal.tz, cal.hours, cal.holiday_source) == ("24x7", "UTC", (ALWAYS,) * 7, None)
    named = BusinessCalendar.always_open("pd", "Asia/Tokyo")
    assert (named.name, named.tz) == ("pd", "Asia/Tokyo")
    christmas = datetime(2026, 12, 25, 3, tzinfo=UTC)
    assert named.is_working_time(christmas)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ((weekly_hours()[:6]), "hours needs seven weekdays, Monday first"),
        ((((time(10), time(9)),),) * 7, "working intervals must be sorted and non-empty"),
        ((((time(9), time(9)),),) * 7, "working intervals must be sorted and non-empty"),
        ((((time(8), time(12)), (time(11), time(14))),) * 7, "working intervals must be sorted"),
        ((((time(13), time(14)), (time(8), time(9))),) * 7, "working intervals must be sorted"),
        (((),) * 7, "a business calendar needs some working hours"),
    ],
)
def test_invalid_hours_say_why(hours, message):
    with pytest.raises(ValueError, match="^" + message):
        BusinessCalendar("bad", "UTC", hours)


def test_a_week_needs_seven_days():
    # The stored form always names seven days; a list of six is a programming error.
    with pytest.raises(ValueError, match=r"^working hours need seven weekdays, Monday first$"):
        _week([()] * 6)
    assert _week([()] * 7) == ((),) * 7


def test_touching_intervals_and_a_shift_to_midnight_are_fine():
    cal = BusinessCalendar("ok", "UTC", (((time(8), time(12)), (time(12), time(0))),) * 7)
    assert cal.is_working_time(datetime(2026, 1, 5, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("due", "now", "text"),
    [
        # London, BST; Mon-Fri 08:00-18:00.
        (datetime(2025, 6, 2, 9, tzinfo=UTC), datetime(2025, 6, 2, 9, tzinfo=UTC),
         "overdue by 0 min of business time (was due Mon 2 Jun 10:00 London time)"),
        (datetime(2025, 6, 2, 9, tzinfo=UTC), datetime(2025, 6, 2, 10, 30, tzinfo=UTC),
         "overdue by 1 h 30 min of business time (was due Mon 2 Jun 10:00 London time)"),
        (datetime(2025, 6, 2, 15, tzinfo=UTC), datetime(2025, 6, 2, 9, tzinfo=UTC),
         "due in 6 h of business time, Mon 2 Jun 16:00 London time"),
        (datetime(2025, 6, 3, 9, tzinfo=UTC), datetime(2025, 6, 2, 9, tzinfo=UTC),
         "due in 1 business day, Tue 3 Jun 10:00 London time"),
        (datetime(2025, 6, 9, 9, tzinfo=UTC), datetime(2025, 6, 6, 9, tzinfo=UTC),
         "due in 1 business day, Mon 9 Jun 10:00 London time"),
        (datetime(2025, 6, 5, 9, tzinfo=UTC), datetime(2025, 6, 2, 9, tzinfo=UTC),
         "due in 3 business days, Thu 5 Jun 10:00 London time"),
    ],
)  # fmt: skip
def test_describe_due_word_for_word(due, now, text):
    london = BusinessCalendar.for_region("emea", tz="Europe/London", country="GB")
    assert describe_due(due, now, london) == text


# -- add_business_days where the target day's hours differ (C1) -----------------------
# Europe/London; clocks go forward Sun 30 Mar 2025 01:00 UTC, so Sunday (open all day)
# is not a steady day: the general path runs; Mon-Wed of 24-26 Mar are steady days.
UNEVEN = BusinessCalendar(
    "uneven",
    "Europe/London",
    (
        ((time(8), time(17)),),  # Mon
        ((time(8), time(12)), (time(13), time(17))),  # Tue: lunch break
        ((time(10), time(18)),),  # Wed: opens late
        ((time(8), time(18)),),
        ((time(8), time(18)),),
        (),
        (ALWAYS[0],),  # Sun: 00:00-24:00
    ),
)


def gmt(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # From the DST Sunday: the same wall-clock time, not the same elapsed hours.
        (gmt(3, 30, 8), 1, gmt(3, 31, 8)),  # Sun 09:00 BST -> Mon 09:00 BST
        (gmt(3, 30, 6), 1, gmt(3, 31, 7)),  # Sun 07:00 BST -> Mon opens 08:00 BST
        (gmt(3, 30, 16, 30), 1, gmt(3, 31, 16)),  # Sun 17:30 BST -> Mon closes 17:00 BST
        (gmt(3, 30, 11), 2, gmt(4, 1, 12)),  # Sun 12:00 BST -> Tue 12:00 is lunch: 13:00
        # Steady days (GMT).
        (gmt(3, 24, 12), 1, gmt(3, 25, 13)),  # Mon 12:00 -> Tue 12:00 is lunch: 13:00
        (gmt(3, 24, 8, 30), 2, gmt(3, 26, 10)),  # Mon 08:30 -> Wed opens 10:00
        (gmt(3, 24, 16, 30), 2, gmt(3, 26, 16, 30)),
        (gmt(3, 24, 9), 0, gmt(3, 24, 9)),
    ],
)
def test_add_business_days_lands_in_the_target_days_hours(start, days, expected):
    assert UNEVEN.add_business_days(start, days) == expected


def test_add_business_days_refuses_negative_days():
    with pytest.raises(ValueError, match=r"^business days to add must not be negative$"):
        UNEVEN.add_business_days(gmt(3, 24, 9), -1)


def test_working_intervals_of_a_closed_day_are_empty():
    assert UNEVEN.working_intervals(date(2025, 3, 29)) == []  # Saturday
    assert UNEVEN.working_intervals(date(2025, 3, 25)) == [
        (gmt(3, 25, 8), gmt(3, 25, 12)),
        (gmt(3, 25, 13), gmt(3, 25, 17)),
    ]
