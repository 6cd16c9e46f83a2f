"""C9 readings as properties: hours of operation, the 7 × 24 h fix, closure settling
milestones, the moved root-cause target, and when an unassigned case reaches a person."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.alerts import StaffAlerts, is_urgent, unassigned_alert_due
from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.follow_the_sun import route
from casedesk.policy.priority import Priority
from casedesk.policy.sla import Settlement, fix_due, root_cause_due, settle, urgency_rank

UTC = dt.UTC
P = DEFAULT_POLICY
# Naive bounds are what hypothesis wants; the drawn instants are aware (UTC).
instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
AROUND_THE_CLOCK = ("emea", "americas", "apac")
LOCAL_HOURS = ("latam", "brazil", "japan")


@given(instants, st.sampled_from(AROUND_THE_CLOCK))
def test_global_regions_always_have_a_centre_on_shift(now, region):
    # R: C2, C9 — follow the sun, then on-call, every day, every priority.
    routing = route(region, now, P)
    assert routing.on_shift
    if routing.on_call:  # nobody in business hours: the case's own centre answers
        assert routing.centre == region
        assert not any(r.calendar.is_working_time(now) for r in P.regions if not r.local_hours_only)
    else:
        assert P.calendar(routing.centre).is_working_time(now)


@given(instants, st.sampled_from(LOCAL_HOURS))
def test_local_regions_keep_their_hours(now, region):
    # R: C2, C9 — only Latin America, Brazil and Japan have hours.
    routing = route(region, now, P)
    assert routing.centre == region and not routing.on_call
    assert routing.on_shift == P.calendar(region).is_working_time(now)


def test_the_handbook_gaps_are_served():
    """Sat 28 Nov 2026 10:00 UTC (weekend everywhere) and Wed 25 Nov 07:30 UTC (Sydney shut
    at 07:00 UTC, London opens 08:00 GMT) were "no centre on shift" before C9."""
    # R: C9
    saturday = route("emea", dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), P)
    assert (saturday.centre, saturday.on_shift, saturday.on_call) == ("emea", True, True)
    assert "on-call" in saturday.reason
    gap = route("emea", dt.datetime(2026, 11, 25, 7, 30, tzinfo=UTC), P)
    assert (gap.centre, gap.on_call) == ("emea", True)
    # In summer London opens 07:00 UTC, so 07:30 UTC is its business hours.
    summer = route("emea", dt.datetime(2026, 6, 24, 7, 30, tzinfo=UTC), P)
    assert (summer.centre, summer.on_call) == ("emea", False)


def test_a_policy_without_around_the_clock_support_has_gaps():
    # R: C2 — the flag is policy data; switched off, the weekend has nobody on shift.
    from dataclasses import replace

    office_hours = replace(P, support_around_the_clock=False)
    assert not route("emea", dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), office_hours).on_shift


@given(instants)
def test_production_down_fix_is_seven_times_24_elapsed_hours(root_cause_at):
    # R: C3, C9 — across DST changes too (the strategy spans three years of them).
    for region in ("emea", "americas", "apac", "brazil"):
        fix = fix_due(Priority.CRITICAL, True, root_cause_at, P.calendar(region), P)
        assert fix.due_at - root_cause_at == dt.timedelta(hours=168)


@given(st.one_of(st.none(), instants), instants, instants)
def test_closure_settles_every_milestone(met_at, target_at, closed_at):
    # R: C9 — met stays met; running past its target is missed; otherwise not applicable.
    outcome = settle(met_at=met_at, target_at=target_at, closed_at=closed_at)
    if met_at is not None:
        assert outcome is Settlement.MET
    elif closed_at > target_at:
        assert outcome is Settlement.MISSED
    else:
        assert outcome is Settlement.NOT_APPLICABLE


@given(instants, st.sampled_from(["high", "medium", "low"]), st.sampled_from(AROUND_THE_CLOCK))
def test_root_cause_target_moves_with_priority_from_the_same_start(start, new, region):
    """C9: after a change, the target is the new priority's, counted from all-info. The three
    rows are 9, 12 and 15 business days, so a lower priority never brings the target closer."""
    cal = P.calendar(region)
    moved = root_cause_due(new, False, start, cal, P)
    assert moved.due_at == cal.add_business_days(start, {"high": 9, "medium": 12, "low": 15}[new])
    high = root_cause_due("high", False, start, cal, P).due_at
    assert moved.due_at >= high


@given(instants, st.sampled_from(list(Priority)), st.sampled_from([r.key for r in P.regions]))
def test_unassigned_alert_timing(opened_at, priority, region):
    # R: B, C2, C3 — urgent after 10 elapsed minutes, others after 30 business minutes.
    cal = P.calendar(region)
    due, why = unassigned_alert_due(priority, opened_at, cal, P.alerts)
    if is_urgent(priority):
        assert due - opened_at == dt.timedelta(minutes=10)
    else:
        assert due > opened_at
        assert cal.business_time_between(opened_at, due) == dt.timedelta(minutes=30)
    assert "queue owner" in why


def test_alert_delays_are_policy_data():
    # R: C1-C8 are data: the delays round-trip and old saved versions take the defaults.
    custom = SupportPolicy(alerts=StaffAlerts(45, 5))
    assert SupportPolicy.from_dict(custom.to_dict()).alerts == StaffAlerts(45, 5)
    old = custom.to_dict()
    del old["alerts"]
    assert SupportPolicy.from_dict(old).alerts == StaffAlerts()


def test_urgency_rank_puts_production_down_first():
    # R: B10, C3
    ranks = [
        urgency_rank("critical", True),
        urgency_rank("critical", False),
        urgency_rank("high", False),
        urgency_rank("medium", False),
        urgency_rank("low", False),
    ]
    assert ranks == sorted(ranks) == [0, 1, 2, 3, 4]
