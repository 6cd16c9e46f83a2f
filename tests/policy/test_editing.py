"""The policy editor's text forms round-trip, and bad text says how to write it (C1, C5)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.editing import (
    DAYS,
    EditError,
    format_dates,
    format_hours,
    parse_dates,
    parse_hours,
    parse_ladder,
    policy_preview,
)


@st.composite
def day_spans(draw):  # type: ignore[no-untyped-def]
    marks = sorted(draw(st.sets(st.integers(0, 24 * 4), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    spans = []
    for opens, closes in zip(marks[::2], marks[1::2], strict=True):

        def hhmm(q: int) -> str:
            return "24:00" if q == 96 else f"{q // 4:02d}:{q % 4 * 15:02d}"

        if opens == 96:
            continue
        spans.append([hhmm(opens), hhmm(closes)])
    return spans


week = st.fixed_dictionaries({day: day_spans() for day in DAYS})


@given(week)
def test_hours_round_trip_through_the_text_form(hours):
    # R: C1
    assert parse_hours(format_hours(hours)) == hours


@given(week.filter(lambda hours: any(hours.values())))
def test_parsed_hours_make_a_valid_calendar(hours):
    data = DEFAULT_POLICY.calendar("emea").to_dict() | {"hours": parse_hours(format_hours(hours))}
    assert BusinessCalendar.from_dict(data).to_dict()["hours"] == hours


@given(st.sets(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))))
def test_dates_round_trip(dates):
    iso = sorted(d.isoformat() for d in dates)
    assert parse_dates(format_dates(iso)) == iso


@given(st.lists(st.integers(1, 60), min_size=1, max_size=6, unique=True))
def test_ladder_accepts_increasing_days_only(days):
    text = ", ".join(map(str, days))
    if days == sorted(days):
        assert parse_ladder(text) == days
    else:
        with pytest.raises(EditError, match="increasing"):
            parse_ladder(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon-fri 18:00-08:00", "closes before it opens"),
        ("moday 08:00-18:00", "not a weekday"),
        ("fri-mon 08:00", "runs forward"),
        ("mon 8-18", "not a span"),
        ("mon 08:00-12:00\nmon-fri 13:00-17:00", "twice"),
        ("mon 12:00-13:00, 08:00-09:00", "in order"),
    ],
)
def test_unreadable_hours_say_how_to_write_them(text, message):
    with pytest.raises(EditError, match=message):
        parse_hours(text)


def test_preview_names_follow_ups_targets_escalation_and_retention():
    # R: C3, C5, C6, C7, B7 — Tue 24 Nov 2026 14:00 UTC, a Medium EMEA case.
    now = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
    lines = policy_preview(
        DEFAULT_POLICY, region="emea", priority="medium", production_down=False, now=now
    )
    text = {line.what: line.when for line in lines}
    assert text["Reminder #1 (if we ask the customer now)"] == "Thu 26 Nov 14:00 London time"
    assert text["Closed with the final notice (if we ask the customer now)"].startswith("Tue 8 Dec")
    assert text["Escalation"] == "when not updated for 3 business days"
    assert text["If closed now: files purged"] == "Thu 24 Dec 14:00 London time"
    down = policy_preview(
        DEFAULT_POLICY, region="emea", priority="critical", production_down=True, now=now
    )
    assert any(line.when.startswith("never") for line in down)
    assert any(line.what.startswith("Fix or workaround") for line in down)


def test_default_policy_round_trips_through_the_editor_text():
    data = DEFAULT_POLICY.to_dict()
    for region in data["regions"]:
        calendar = region["calendar"]
        calendar["hours"] = parse_hours(format_hours(calendar["hours"]))
    assert SupportPolicy.from_dict(data) == DEFAULT_POLICY
