"""G4-G6 and the G1 window flags as pure rules: when a site visit may be asked for and who
decides it, what it costs, where an out-of-scope case goes, and which cutover windows need
on-call cover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.cutover_window import cutover_window_flags
from casedesk.policy.scope import PROFESSIONAL_SERVICES, OutOfScope, scope_routing
from casedesk.policy.site_visits import (
    MAX_DAYS,
    visit_approval_verdict,
    visit_charge,
    visit_request_verdict,
)

moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
money = st.decimals(min_value=0, max_value=100_000, places=2)
# Pure rules, but the machine is shared: no wall-clock limits on a test or on drawing input.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(
    requested=moments,
    info_offset=st.one_of(st.none(), st.integers(-10_000, 10_000)),
    closed=st.booleans(),
    visit_offset=st.integers(-5, 60),
    days=st.integers(-2, MAX_DAYS + 3),
)
def test_a_visit_is_allowed_exactly_when_the_remote_information_is_in(
    requested, info_offset, closed, visit_offset, days
):
    # R: G4, C4 — only after the remote-troubleshooting information was received.
    info = None if info_offset is None else requested + dt.timedelta(minutes=info_offset)
    visit_on = requested.date() + dt.timedelta(days=visit_offset)
    verdict = visit_request_verdict(
        case_closed=closed,
        remote_info_received_at=info,
        requested_at=requested,
        visit_on=visit_on,
        days=days,
    )
    expected = (
        not closed
        and info is not None
        and info <= requested
        and 1 <= days <= MAX_DAYS
        and visit_offset >= 0
    )
    assert verdict.allowed is expected
    if not expected:
        assert verdict.reason
    if info is None and not closed:
        assert "remote-troubleshooting" in verdict.reason


@RELAXED
@given(
    role=st.sampled_from(["engineer", "care", "manager", "contact"]),
    approver=st.integers(1, 4),
    requester=st.integers(1, 4),
    state=st.sampled_from(["requested", "approved", "declined"]),
)
def test_only_another_manager_decides_a_pending_visit(role, approver, requester, state):
    # R: G4 — approved by a manager (never the one who asked).
    verdict = visit_approval_verdict(
        approver_role=role, approver_id=approver, requested_by_id=requester, state=state
    )
    assert verdict.allowed is (role == "manager" and state == "requested" and approver != requester)


@RELAXED
@given(billable=st.booleans(), days=st.integers(1, MAX_DAYS), rate=money, travel=money)
def test_the_charge_is_travel_plus_the_daily_rate_per_day(billable, days, rate, travel):
    # R: G4 — billable (travel and daily rate).
    charge = visit_charge(billable=billable, days=days, daily_rate=rate, travel_cost=travel)
    assert charge == ((travel + rate * days) if billable else Decimal(0))
    if billable:
        longer = visit_charge(billable=True, days=days + 1, daily_rate=rate, travel_cost=travel)
        assert longer - charge == rate


def test_negative_rates_are_refused():
    with pytest.raises(ValueError):
        visit_charge(billable=True, days=1, daily_rate=Decimal(-1), travel_cost=Decimal(0))


@RELAXED
@given(
    kind=st.sampled_from(list(OutOfScope)),
    third_party=st.booleans(),
    bought=st.booleans(),
    vendor=st.text(max_size=30),
    product=st.sampled_from(["", "Dialer", "Acme PBX"]),
)
def test_routing_follows_the_handbook(kind, third_party, bought, vendor, product):
    # R: G5 (third party only when bought from us), G6 (customisations to PS).
    verdict = scope_routing(
        kind, product=product, third_party=third_party, bought_from_vendor=bought, vendor=vendor
    )
    if kind is OutOfScope.CUSTOMISATION:
        assert verdict.routed and verdict.route_to == PROFESSIONAL_SERVICES
        assert PROFESSIONAL_SERVICES in verdict.answer
    else:
        assert verdict.routed is (third_party and not bought)
        if verdict.routed:
            assert verdict.route_to == (vendor.strip() or "its vendor")
            assert "not bought from us" in verdict.answer
    assert verdict.answer


LONDON = BusinessCalendar.for_region("uk", tz="Europe/London", country="GB")


@RELAXED  # the calendar builds each year's holidays on first use
@given(start=moments, hours=st.integers(0, 72))
def test_window_flags_match_the_calendar(start, hours):
    # R: G1 — after-hours and weekend cutovers marked for on-call cover.
    end = start + dt.timedelta(hours=hours)
    flags = cutover_window_flags(start, end, LONDON)
    probe = start
    outside = False
    weekend = False
    while probe < max(end, start + dt.timedelta(microseconds=1)):
        outside |= not LONDON.is_working_time(probe)
        weekend |= probe.astimezone(LONDON.zone).weekday() >= 5
        probe += dt.timedelta(minutes=30)
    # Sampling every 30 minutes can only miss, never invent, non-working time.
    if outside:
        assert flags.after_hours
    if weekend:
        assert flags.weekend and flags.after_hours
    if not flags.after_hours:
        assert LONDON.business_time_between(start, end) == end - start


def test_a_weekday_afternoon_needs_no_cover_and_saturday_does():
    tuesday = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    assert not cutover_window_flags(tuesday, tuesday + dt.timedelta(hours=4), LONDON).needs_cover
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    flags = cutover_window_flags(saturday, saturday + dt.timedelta(hours=4), LONDON)
    assert flags.weekend and flags.after_hours
    late = cutover_window_flags(tuesday, tuesday + dt.timedelta(hours=10), LONDON)
    assert late.after_hours and not late.weekend
    christmas = dt.datetime(2026, 12, 25, 10, 0, tzinfo=dt.UTC)
    assert cutover_window_flags(christmas, christmas + dt.timedelta(hours=1), LONDON).holiday
