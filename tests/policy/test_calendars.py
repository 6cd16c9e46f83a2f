"""Business calendars: hand-worked examples and properties (R: C1, C2).

Every example states the local wall-clock reasoning in its docstring; expected
values are written in UTC so the DST offsets are visible.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.policy.calendars import (
    ALWAYS,
    BusinessCalendar,
    describe_due,
    format_duration,
    weekly_hours,
)
from casedesk.policy.defaults import DEFAULT_POLICY

EMEA = DEFAULT_POLICY.calendar("emea")
AMERICAS = DEFAULT_POLICY.calendar("americas")
BRAZIL = DEFAULT_POLICY.calendar("brazil")
JAPAN = DEFAULT_POLICY.calendar("japan")
LONDON_24X7 = BusinessCalendar.always_open("london-24x7", "Europe/London")
NEW_YORK_24X7 = BusinessCalendar.always_open("ny-24x7", "America/New_York")
# Lunch break and a short Friday: exercises several intervals per day and per-day hours.
SPLIT = BusinessCalendar(
    "split",
    "Europe/Berlin",
    (
        *((((time(8), time(12)), (time(13), time(17))),) * 4),
        ((time(8), time(14)),),
        (),
        (),
    ),
    extra_holidays=frozenset({date(2025, 12, 24)}),
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- hand-worked examples -----------------------------------------------------------


def test_friday_evening_start_waits_for_monday() -> None:  # R: C1
    """London, Fri 6 Jun 2025 19:30 BST is after closing.

    Next opening is Mon 9 Jun 08:00 BST (07:00 UTC); one business hour later is
    09:00 BST; two business days from that opening is Wed 11 Jun 08:00 BST.
    """
    start = utc(2025, 6, 6, 18, 30)
    assert not EMEA.is_working_time(start)
    assert EMEA.next_opening(start) == utc(2025, 6, 9, 7)
    assert EMEA.add_business_hours(start, 1) == utc(2025, 6, 9, 8)
    assert EMEA.add_business_days(start, 2) == utc(2025, 6, 11, 7)
    assert EMEA.business_time_between(start, utc(2025, 6, 9, 8)) == timedelta(hours=1)


def test_london_spring_forward_weekend() -> None:  # R: C1
    """Clocks go forward Sun 30 Mar 2025 01:00 GMT -> 02:00 BST.

    Fri 28 Mar 17:00 GMT (17:00 UTC) + 2 business hours: 1 h on Friday, then
    Mon 31 Mar 08:00-09:00 BST, i.e. 09:00 BST = 08:00 UTC. A business day from
    Fri 10:00 GMT is Mon 10:00 BST (09:00 UTC): same wall time, not 24 h.
    """
    start = utc(2025, 3, 28, 17)
    assert EMEA.add_business_hours(start, 2) == utc(2025, 3, 31, 8)
    assert EMEA.business_time_between(start, utc(2025, 3, 31, 8)) == timedelta(hours=2)
    assert EMEA.add_business_days(utc(2025, 3, 28, 10), 1) == utc(2025, 3, 31, 9)


def test_london_fall_back_weekend() -> None:  # R: C1
    """Clocks go back Sun 26 Oct 2025 02:00 BST -> 01:00 GMT.

    Fri 24 Oct 17:00 BST (16:00 UTC) + 2 business hours -> Mon 27 Oct 09:00 GMT
    (09:00 UTC). Fri 10:00 BST (09:00 UTC) + 1 business day -> Mon 10:00 GMT.
    """
    assert EMEA.add_business_hours(utc(2025, 10, 24, 16), 2) == utc(2025, 10, 27, 9)
    assert EMEA.add_business_days(utc(2025, 10, 24, 9), 1) == utc(2025, 10, 27, 10)


def test_london_24x7_dst_days_have_their_true_length() -> None:  # R: C1, C2
    """A 24/7 calendar's spring-forward Sunday lasts 23 h, its fall-back Sunday 25 h."""
    [(opens, closes)] = LONDON_24X7.working_intervals(date(2025, 3, 30))
    assert (opens, closes) == (utc(2025, 3, 30, 0), utc(2025, 3, 30, 23))
    [(opens, closes)] = LONDON_24X7.working_intervals(date(2025, 10, 26))
    assert closes - opens == timedelta(hours=25)
    # Same wall time next day across spring-forward is 23 h later.
    assert LONDON_24X7.add_business_days(utc(2025, 3, 29, 12), 1) == utc(2025, 3, 30, 11)


def test_new_york_spring_forward_weekend() -> None:  # R: C1
    """Clocks go forward Sun 9 Mar 2025 02:00 EST -> 03:00 EDT.

    Fri 7 Mar 17:00 EST (22:00 UTC) + 3 business hours: 1 h Friday, 2 h Monday ->
    Mon 10 Mar 10:00 EDT = 14:00 UTC.
    """
    assert AMERICAS.add_business_hours(utc(2025, 3, 7, 22), 3) == utc(2025, 3, 10, 14)
    assert NEW_YORK_24X7.business_time_between(
        utc(2025, 3, 9, 5), utc(2025, 3, 10, 4)
    ) == timedelta(hours=23)
    # Sat 8 Mar 12:00 EST (17:00 UTC) + 1 day on 24/7 = Sun 12:00 EDT (16:00 UTC).
    assert NEW_YORK_24X7.add_business_days(utc(2025, 3, 8, 17), 1) == utc(2025, 3, 9, 16)


def test_new_york_fall_back_weekend() -> None:  # R: C1
    """Clocks go back Sun 2 Nov 2025 02:00 EDT -> 01:00 EST.

    Fri 31 Oct 16:00 EDT (20:00 UTC) + 3 business hours: 2 h Friday, 1 h Monday
    -> Mon 3 Nov 09:00 EST = 14:00 UTC. The 24/7 Sunday is 25 h long.
    """
    assert AMERICAS.add_business_hours(utc(2025, 10, 31, 20), 3) == utc(2025, 11, 3, 14)
    [(opens, closes)] = NEW_YORK_24X7.working_intervals(date(2025, 11, 2))
    assert closes - opens == timedelta(hours=25)


def test_us_independence_day_is_skipped() -> None:  # R: C1
    """Fri 4 Jul 2025 is a US holiday: Thu 3 Jul 17:00 EDT + 2 h -> Mon 7 Jul 09:00 EDT."""
    assert AMERICAS.add_business_hours(utc(2025, 7, 3, 21), 2) == utc(2025, 7, 7, 13)


def test_brazil_carnival_monday_and_tuesday_are_holidays() -> None:  # R: C1
    """Carnival 2025 is Mon 3 and Tue 4 Mar; São Paulo is UTC-3 all year.

    Fri 28 Feb 17:00 BRT (20:00 UTC) + 2 business hours -> Wed 5 Mar 09:00 BRT
    (12:00 UTC). One business day after Fri 10:00 BRT is Wed 10:00 BRT. Ash
    Wednesday is kept as a working day (documented choice in defaults.py).
    """
    assert BRAZIL.holiday_name(date(2025, 3, 3)) == "Carnival"
    assert BRAZIL.holiday_name(date(2025, 3, 4)) == "Carnival"
    assert BRAZIL.is_business_day(date(2025, 3, 5))
    assert BRAZIL.add_business_hours(utc(2025, 2, 28, 20), 2) == utc(2025, 3, 5, 12)
    assert BRAZIL.add_business_days(utc(2025, 2, 28, 13), 1) == utc(2025, 3, 5, 13)
    assert BRAZIL.holiday_name(date(2025, 6, 19)) is None  # Corpus Christi: optional, not taken


def test_brazil_carnival_moves_with_easter() -> None:  # R: C1
    """Carnival 2026 is 16-17 Feb; holidays are computed for any year on demand."""
    assert not BRAZIL.is_business_day(date(2026, 2, 16))
    assert not BRAZIL.is_business_day(date(2026, 2, 17))
    assert BRAZIL.is_business_day(date(2026, 2, 18))


def test_japan_golden_week() -> None:  # R: C1
    """Golden Week 2025: Tue 29 Apr (Showa Day), Sat 3-Tue 6 May off (6 May substitute).

    Fri 2 May 17:00 JST (08:00 UTC) + 2 business hours -> Wed 7 May 09:00 JST
    (00:00 UTC). Mon 28 Apr 10:00 JST + 3 business days skips the 29th: 30 Apr,
    1 May, 2 May -> Fri 2 May 10:00 JST (01:00 UTC).
    """
    assert JAPAN.add_business_hours(utc(2025, 5, 2, 8), 2) == utc(2025, 5, 7, 0)
    assert JAPAN.add_business_days(utc(2025, 4, 28, 1), 3) == utc(2025, 5, 2, 1)
    assert JAPAN.add_business_days(utc(2025, 5, 2, 1), 1) == utc(2025, 5, 7, 1)
    assert JAPAN.business_days_between(utc(2025, 5, 2, 1), utc(2025, 5, 7, 1)) == 1


def test_business_days_clamp_to_shorter_day_and_skip_lunch() -> None:  # R: C1
    """Berlin calendar, Mon-Thu 08-12 and 13-17, Fri 08-14 (CET = UTC+1 in Jan).

    Thu 9 Jan 2025 16:00 CET + 1 business day: Friday closes at 14:00, so the
    result is Fri 14:00 CET (13:00 UTC). Mon 6 Jan 12:30 is the lunch break: the
    anchor is 13:00, so +1 day is Tue 13:00 CET (12:00 UTC).
    """
    assert SPLIT.add_business_days(utc(2025, 1, 9, 15), 1) == utc(2025, 1, 10, 13)
    assert SPLIT.add_business_days(utc(2025, 1, 6, 11, 30), 1) == utc(2025, 1, 7, 12)
    assert SPLIT.add_business_hours(utc(2025, 1, 6, 10), 2.5) == utc(2025, 1, 6, 13, 30)


def test_add_business_hours_ending_at_close_returns_close() -> None:  # R: C1
    """London Mon 2 Jun 2025 08:00 BST + 10 h = 18:00 BST that day, not Tue 08:00."""
    assert EMEA.add_business_hours(utc(2025, 6, 2, 7), 10) == utc(2025, 6, 2, 17)
    assert EMEA.add_business_hours(utc(2025, 6, 2, 7), 0) == utc(2025, 6, 2, 7)


def test_operator_holiday_overrides() -> None:  # R: C1
    """Company holidays can be added and package holidays removed by the operator."""
    assert not SPLIT.is_business_day(date(2025, 12, 24))
    assert SPLIT.holiday_name(date(2025, 12, 24)) == "Company holiday"
    open_on_boxing_day = BusinessCalendar(
        "x",
        EMEA.tz,
        EMEA.hours,
        EMEA.holiday_source,
        removed_holidays=frozenset({date(2025, 12, 26)}),
    )
    assert open_on_boxing_day.is_business_day(date(2025, 12, 26))
    assert not EMEA.is_business_day(date(2025, 12, 26))


def test_naive_datetimes_are_rejected() -> None:  # R: C1
    naive = datetime(2025, 6, 2, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        EMEA.add_business_hours(naive, 1)
    with pytest.raises(ValueError, match="naive"):
        EMEA.business_time_between(naive, utc(2025, 6, 3))
    with pytest.raises(ValueError, match="naive"):
        EMEA.is_working_time(naive)
    with pytest.raises(ValueError, match="negative"):
        EMEA.add_business_days(utc(2025, 6, 3), -1)


def test_results_are_utc_even_for_local_inputs() -> None:  # R: C1
    local = datetime(2025, 6, 6, 19, 30, tzinfo=EMEA.zone)
    assert EMEA.next_opening(local).tzinfo is UTC
    assert EMEA.next_opening(local) == utc(2025, 6, 9, 7)


def test_year_boundary_and_far_years() -> None:  # R: C1
    """Wed 31 Dec 2025 17:00 GMT + 2 h: 1 Jan is a holiday -> Fri 2 Jan 2026 09:00 GMT."""
    assert EMEA.add_business_hours(utc(2025, 12, 31, 17), 2) == utc(2026, 1, 2, 9)
    start, end = utc(2040, 1, 1), utc(2042, 1, 1)
    assert EMEA.business_time_between(start, end) > timedelta(hours=2 * 240 * 10)


def test_describe_due() -> None:  # R: C1
    now = utc(2025, 3, 28, 17)
    due = EMEA.add_business_days(now, 3)
    assert describe_due(due, now, EMEA) == "due in 3 business days, Wed 2 Apr 17:00 London time"
    soon = EMEA.add_business_hours(utc(2025, 3, 3, 9), 2.5)
    assert describe_due(soon, utc(2025, 3, 3, 9), EMEA).startswith("due in 2 h 30 min")
    assert describe_due(utc(2025, 3, 3, 9), utc(2025, 3, 3, 10), EMEA).startswith("overdue by 1 h")
    assert "São Paulo time" in describe_due(utc(2025, 3, 5, 12), utc(2025, 2, 28, 20), BRAZIL)
    assert format_duration(timedelta(minutes=45)) == "45 min"


def test_calendar_round_trips_through_dict() -> None:  # R: C1
    for cal in (EMEA, BRAZIL, SPLIT, LONDON_24X7):
        assert BusinessCalendar.from_dict(cal.to_dict()) == cal
    assert weekly_hours("00:00", "24:00", range(7)) == (ALWAYS,) * 7


def test_invalid_hours_rejected() -> None:  # R: C1
    with pytest.raises(ValueError, match="sorted"):
        BusinessCalendar("bad", "UTC", weekly_hours("18:00", "08:00"))
    with pytest.raises(ValueError, match="working hours"):
        BusinessCalendar("none", "UTC", weekly_hours(days=()))


# -- properties ---------------------------------------------------------------------

CALENDARS = [
    *(region.calendar for region in DEFAULT_POLICY.regions),
    SPLIT,
    LONDON_24X7,
    NEW_YORK_24X7,
]
calendars = st.sampled_from(CALENDARS)
instants = st.datetimes(
    min_value=datetime(2019, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by API
    max_value=datetime(2031, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))
PROPS = settings(max_examples=300, deadline=None)


@PROPS
@given(calendars, instants, spans)
def test_add_then_measure_round_trips(cal: BusinessCalendar, start: datetime, h: timedelta) -> None:
    # R: C1 — measuring what was added gives it back exactly, from any start.
    assert cal.business_time_between(start, cal.add_business_hours(start, h)) == h
    opened = cal.next_opening(start)
    assert cal.business_time_between(opened, cal.add_business_hours(opened, h)) == h


@PROPS
@given(calendars, instants, spans, spans)
def test_add_is_monotonic(
    cal: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    # R: C1
    lo, hi = sorted((a, b))
    assert cal.add_business_hours(start, lo) <= cal.add_business_hours(start, hi)


@PROPS
@given(calendars, instants, spans.filter(bool))
def test_result_is_working_time_or_a_closing_instant(
    cal: BusinessCalendar, start: datetime, h: timedelta
) -> None:
    # R: C1 — a deadline never lands in a closed period (it may be "by 18:00").
    due = cal.add_business_hours(start, h)
    tick = timedelta(microseconds=1)
    assert cal.is_working_time(due) or cal.is_working_time(due - tick)
    assert due > start


@PROPS
@given(instants, spans, st.sampled_from([LONDON_24X7, NEW_YORK_24X7]))
def test_24x7_equals_elapsed_time(start: datetime, h: timedelta, cal: BusinessCalendar) -> None:
    # R: C2 — around-the-clock support measures plain elapsed time, DST included.
    assert cal.add_business_hours(start, h) == start + h
    assert cal.business_time_between(start, start + h) == h
    assert cal.is_working_time(start)


@PROPS
@given(calendars, instants, instants, instants)
def test_measure_is_additive_and_antisymmetric(
    cal: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    # R: C1
    ab, bc = cal.business_time_between(a, b), cal.business_time_between(b, c)
    assert ab + bc == cal.business_time_between(a, c)
    assert cal.business_time_between(b, a) == -ab
    assert abs(ab) <= abs(b - a)


@PROPS
@given(calendars, instants, st.integers(min_value=0, max_value=40))
def test_add_business_days_counts_business_days(
    cal: BusinessCalendar, start: datetime, days: int
) -> None:
    # R: C1 — the result is on the n-th business day after the anchor's day.
    anchor = cal.next_opening(start)
    due = cal.add_business_days(start, days)
    assert due >= anchor
    assert cal.business_days_between(anchor, due) == days
    assert cal.is_working_time(due) or cal.is_working_time(due - timedelta(microseconds=1))
    assert cal.add_business_days(start, days + 1) > due
