"""C3 hold-time targets as a pure rule: < 5 min Production Down 24/7, < 10 min in business
hours, no target outside them."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.holdtime import (
    BUSINESS_HOURS_HOLD,
    PRODUCTION_DOWN_HOLD,
    HoldVerdict,
    hold_verdict,
)

LONDON = BusinessCalendar.for_region("uk", tz="Europe/London", country="GB")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a working Monday in London
SATURDAY_10 = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)

moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
holds = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=2))


@given(queued=moments, hold=holds)
def test_production_down_is_five_minutes_around_the_clock(queued, hold):
    result = hold_verdict(
        production_down=True, queued_at=queued, answered_at=queued + hold, calendar=LONDON
    )
    assert result.target == PRODUCTION_DOWN_HOLD
    assert result.verdict == (
        HoldVerdict.MET if hold < PRODUCTION_DOWN_HOLD else HoldVerdict.BREACHED
    )


@given(queued=moments, hold=holds)
def test_other_calls_have_ten_minutes_only_in_business_hours(queued, hold):
    result = hold_verdict(
        production_down=False, queued_at=queued, answered_at=queued + hold, calendar=LONDON
    )
    if LONDON.is_working_time(queued):
        assert result.target == BUSINESS_HOURS_HOLD
        met = hold < BUSINESS_HOURS_HOLD
        assert result.verdict == (HoldVerdict.MET if met else HoldVerdict.BREACHED)
    else:
        assert result.target is None and result.verdict == HoldVerdict.NO_TARGET
    assert result.hold == hold


@given(queued=moments, production_down=st.booleans())
def test_unanswered_is_waiting_and_a_clock_skew_never_gives_a_negative_hold(
    queued, production_down
):
    waiting = hold_verdict(
        production_down=production_down, queued_at=queued, answered_at=None, calendar=LONDON
    )
    assert waiting.verdict == HoldVerdict.WAITING and waiting.hold is None
    skewed = hold_verdict(
        production_down=production_down,
        queued_at=queued,
        answered_at=queued - dt.timedelta(seconds=3),
        calendar=LONDON,
    )
    assert skewed.hold == dt.timedelta(0)


def test_the_boundaries_are_strict():
    five = MONDAY_10 + PRODUCTION_DOWN_HOLD
    ten = MONDAY_10 + BUSINESS_HOURS_HOLD
    pd = dict(production_down=True, queued_at=MONDAY_10, calendar=LONDON)
    other = dict(production_down=False, queued_at=MONDAY_10, calendar=LONDON)
    assert hold_verdict(answered_at=five, **pd).verdict == HoldVerdict.BREACHED
    assert hold_verdict(answered_at=five - dt.timedelta(seconds=1), **pd).verdict == "met"
    assert hold_verdict(answered_at=ten, **other).verdict == HoldVerdict.BREACHED
    assert hold_verdict(answered_at=ten - dt.timedelta(seconds=1), **other).text == (
        "Held 9 min 59 s: met (target under 10 min 00 s)"
    )
    weekend = hold_verdict(
        production_down=False,
        queued_at=SATURDAY_10,
        answered_at=SATURDAY_10 + dt.timedelta(hours=1),
        calendar=LONDON,
    )
    assert weekend.verdict == HoldVerdict.NO_TARGET and weekend.text == "Held 60 min 00 s"
