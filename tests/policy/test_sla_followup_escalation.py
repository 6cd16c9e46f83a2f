"""SLA targets, follow-up ladder, escalation eligibility and the default policy.

Dates are worked by hand on the London calendar in June 2025 (BST = UTC+1; no
bank holiday between 27 May and 24 Aug) unless a docstring says otherwise.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.escalation import EscalationKind, escalation_eligibility
from casedesk.policy.followup import FollowUpPolicy, followup_ladder, next_followup
from casedesk.policy.priority import Priority
from casedesk.policy.sla import SlaTargets, fix_due, root_cause_due, targets_for

EMEA = DEFAULT_POLICY.calendar("emea")
BRAZIL = DEFAULT_POLICY.calendar("brazil")
P = DEFAULT_POLICY
MON_2_JUN_10_BST = datetime(2025, 6, 2, 9, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- SLA ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "production_down", "days", "expected"),
    [
        # R: C3 — Production Down: 7 business days -> Wed 11 Jun 10:00 BST.
        (Priority.CRITICAL, True, 7, utc(2025, 6, 11, 9)),
        # R: B3, C3 — Critical without the flag uses High: 9 -> Fri 13 Jun.
        (Priority.CRITICAL, False, 9, utc(2025, 6, 13, 9)),
        (Priority.HIGH, False, 9, utc(2025, 6, 13, 9)),
        # R: C3 — Medium 12 -> Wed 18 Jun; Low 15 -> Mon 23 Jun.
        (Priority.MEDIUM, False, 12, utc(2025, 6, 18, 9)),
        (Priority.LOW, False, 15, utc(2025, 6, 23, 9)),
    ],
)
def test_root_cause_due(
    priority: Priority, production_down: bool, days: int, expected: datetime
) -> None:
    """All information provided Mon 2 Jun 2025 10:00 BST; the clock counts business days
    from then (R: C4), same wall time."""
    due = root_cause_due(priority, production_down, MON_2_JUN_10_BST, EMEA, P)
    assert due.due_at == expected
    assert due.targets.root_cause_business_days == days
    assert f"within {days} business days" in due.reason
    assert "London time" in due.reason


def test_critical_reason_explains_high_targets() -> None:  # R: B3
    due = root_cause_due("critical", False, MON_2_JUN_10_BST, EMEA, P)
    assert "Critical without Production Down uses High" in due.reason


def test_policy_can_give_critical_its_own_targets() -> None:  # R: B3 "unless the policy says"
    own = SlaTargets("Critical", 10, True, root_cause_business_days=8)
    policy = dataclasses.replace(P, sla=dataclasses.replace(P.sla, critical=own))
    due = root_cause_due(Priority.CRITICAL, False, MON_2_JUN_10_BST, EMEA, policy)
    assert due.due_at == utc(2025, 6, 12, 9)
    assert targets_for(Priority.CRITICAL, False, policy)[0] is own


def test_production_down_only_on_critical() -> None:  # R: B3
    with pytest.raises(ValueError, match="only a Critical case"):
        root_cause_due(Priority.HIGH, True, MON_2_JUN_10_BST, EMEA, P)


def test_hold_and_outage_targets() -> None:  # R: C3
    pd, _ = targets_for(Priority.CRITICAL, True, P)
    assert (pd.hold_minutes, pd.hold_around_the_clock, pd.outage_minutes) == (5, True, 30)
    for prio in (Priority.HIGH, Priority.MEDIUM, Priority.LOW):
        row, _ = targets_for(prio, False, P)
        assert (row.hold_minutes, row.hold_around_the_clock, row.outage_minutes) == (
            10,
            False,
            None,
        )


def test_fix_due_production_down_is_seven_times_24_hours() -> None:  # R: C3, C9
    """Root cause Thu 27 Mar 2025 12:00 GMT; clocks change on the 30th; fix due 168 elapsed
    hours later, Thu 3 Apr 12:00 UTC = 13:00 BST (C9: "7 days" is 7 × 24 hours)."""
    fix = fix_due(Priority.CRITICAL, True, utc(2025, 3, 27, 12), EMEA, P)
    assert fix.due_at == utc(2025, 4, 3, 12)
    assert "13:00 London time" in fix.reason
    assert "7 × 24 hours" in fix.reason


def test_fix_due_other_priorities_ship_in_service_update() -> None:  # R: C3
    fix = fix_due(Priority.HIGH, False, utc(2025, 3, 27, 12), EMEA, P)
    assert fix.due_at is None
    assert "future service update" in fix.reason


# -- follow-up ----------------------------------------------------------------------


def test_followup_ladder_2_5_10_business_days() -> None:  # R: C5, B6
    """Timer starts Mon 2 Jun 10:00 BST: reminder #1 Wed 4 Jun, reminder #2 Mon 9 Jun,
    close Mon 16 Jun, all at 10:00 BST; nothing after the close."""
    ladder = followup_ladder(MON_2_JUN_10_BST, EMEA, P, Priority.MEDIUM, False)
    assert [(s.step, s.due_at, s.action) for s in ladder] == [
        (1, utc(2025, 6, 4, 9), "reminder"),
        (2, utc(2025, 6, 9, 9), "reminder"),
        (3, utc(2025, 6, 16, 9), "close"),
    ]
    assert next_followup(MON_2_JUN_10_BST, 1, EMEA, P, Priority.MEDIUM, False) == ladder[1]
    assert next_followup(MON_2_JUN_10_BST, 3, EMEA, P, Priority.MEDIUM, False) is None
    assert "reminder #1" in ladder[0].reason
    assert "final notice" in ladder[2].reason


def test_followup_never_for_production_down_but_for_critical() -> None:  # R: B3, C5
    assert next_followup(MON_2_JUN_10_BST, 0, EMEA, P, Priority.CRITICAL, True) is None
    step = next_followup(MON_2_JUN_10_BST, 0, EMEA, P, Priority.CRITICAL, False)
    assert step is not None
    assert step.step == 1


def test_followup_friday_evening_request() -> None:  # R: C5
    """Request sent Fri 6 Jun 19:00 BST: the timer counts from Mon 9 Jun 08:00 BST, so
    reminder #1 is Wed 11 Jun 08:00 BST (07:00 UTC)."""
    step = next_followup(utc(2025, 6, 6, 18), 0, EMEA, P, Priority.LOW, False)
    assert step is not None
    assert step.due_at == utc(2025, 6, 11, 7)


def test_followup_brazil_carnival() -> None:  # R: C5, C1
    """Request Thu 27 Feb 2025 10:00 BRT: Fri 28 Feb is day 1, Carnival Mon/Tue skipped,
    Wed 5 Mar is day 2 -> reminder #1 Wed 5 Mar 10:00 BRT (13:00 UTC)."""
    step = next_followup(utc(2025, 2, 27, 13), 0, BRAZIL, P, Priority.HIGH, False)
    assert step is not None
    assert step.due_at == utc(2025, 3, 5, 13)
    assert "São Paulo time" in step.reason


def test_followup_numbers_come_from_policy() -> None:  # R: C5
    policy = dataclasses.replace(P, followup=FollowUpPolicy((1, 3)))
    ladder = followup_ladder(MON_2_JUN_10_BST, EMEA, policy, Priority.LOW, False)
    assert [s.action for s in ladder] == ["reminder", "close"]
    assert ladder[1].due_at == utc(2025, 6, 5, 9)
    with pytest.raises(ValueError, match="increasing"):
        FollowUpPolicy((5, 2))


# -- escalation ---------------------------------------------------------------------


def eligibility(
    priority: Priority,
    *,
    now: datetime,
    production_down: bool = False,
    kind: EscalationKind = "standard",
    deployment: str = "cloud",
    analysis_started_at: datetime | None = None,
    impact: bool = False,
) -> tuple[bool, str, datetime | None]:
    result = escalation_eligibility(
        priority,
        production_down,
        MON_2_JUN_10_BST,
        now,
        EMEA,
        deployment,  # type: ignore[arg-type]
        kind,
        analysis_started_at,
        impact,
        P,
    )
    return result.eligible, result.reason, result.eligible_from


def test_low_never_escalates() -> None:  # R: C6
    eligible, reason, since = eligibility(Priority.LOW, now=utc(2026, 1, 1), impact=True)
    assert (eligible, since) == (False, None)
    assert "ask for Medium" in reason


def test_medium_after_three_business_days_without_update() -> None:  # R: C6
    """Last update Mon 2 Jun 10:00 BST -> eligible from Thu 5 Jun 10:00 BST (09:00 UTC)."""
    eligible, reason, since = eligibility(Priority.MEDIUM, now=utc(2025, 6, 5, 8, 59))
    assert (eligible, since) == (False, utc(2025, 6, 5, 9))
    assert "3 business days" in reason
    assert "Thu 5 Jun 10:00 London time" in reason
    assert eligibility(Priority.MEDIUM, now=utc(2025, 6, 5, 9))[0]


def test_high_needs_24_hours_and_significant_impact() -> None:  # R: C6
    """24 elapsed hours (support is 24/7): from Tue 3 Jun 10:00 BST, only with impact."""
    assert not eligibility(Priority.HIGH, now=utc(2025, 6, 3, 9), impact=False)[0]
    assert eligibility(Priority.HIGH, now=utc(2025, 6, 3, 9), impact=False)[2] is None
    early = eligibility(Priority.HIGH, now=utc(2025, 6, 3, 8), impact=True)
    assert early[:1] == (False,)
    assert early[2] == utc(2025, 6, 3, 9)
    assert eligibility(Priority.HIGH, now=utc(2025, 6, 3, 9), impact=True)[0]
    # R: B3 — Critical without the flag is treated like High.
    assert not eligibility(Priority.CRITICAL, now=utc(2025, 6, 3, 8), impact=True)[0]


def test_production_down_may_escalate_at_once() -> None:  # R: C6 (documented default)
    assert eligibility(Priority.CRITICAL, production_down=True, now=MON_2_JUN_10_BST)[0]


@pytest.mark.parametrize(
    ("deployment", "days", "eligible_from"),
    [
        ("cloud", 5, utc(2025, 6, 9, 9)),  # Mon 2 Jun + 5 business days = Mon 9 Jun
        ("premise", 7, utc(2025, 6, 11, 9)),  # + 7 = Wed 11 Jun
    ],
)
def test_root_cause_request_after_analysis(
    deployment: str, days: int, eligible_from: datetime
) -> None:  # R: C6
    """Analysis started Mon 2 Jun 10:00 BST."""
    before = eligible_from - timedelta(minutes=1)
    result = eligibility(
        Priority.MEDIUM,
        now=before,
        kind="root_cause",
        deployment=deployment,
        analysis_started_at=MON_2_JUN_10_BST,
    )
    assert result[0] is False
    assert result[2] == eligible_from
    assert f"{days} business days of analysis" in result[1]
    assert eligibility(
        Priority.MEDIUM,
        now=eligible_from,
        kind="root_cause",
        deployment=deployment,
        analysis_started_at=MON_2_JUN_10_BST,
    )[0]


def test_root_cause_request_needs_analysis_started() -> None:  # R: C6
    eligible, reason, since = eligibility(Priority.HIGH, now=utc(2026, 1, 1), kind="root_cause")
    assert (eligible, since) == (False, None)
    assert "analysis has not started" in reason


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(Priority)),
    st.booleans(),
    st.booleans(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_eligibility_is_consistent(
    priority: Priority, production_down: bool, impact: bool, waited: timedelta
) -> None:
    # R: C6 — eligible iff now has reached eligible_from; a reason is always given.
    production_down = production_down and priority is Priority.CRITICAL
    result = escalation_eligibility(
        priority,
        production_down,
        MON_2_JUN_10_BST,
        MON_2_JUN_10_BST + waited,
        EMEA,
        "cloud",
        "standard",
        None,
        impact,
        P,
    )
    assert result.reason
    if result.eligible_from is None:
        assert not result.eligible
    else:
        assert result.eligible == (MON_2_JUN_10_BST + waited >= result.eligible_from)


# -- the default policy -------------------------------------------------------------


def test_default_policy_numbers() -> None:  # R: B7, C3, C5, C6, C7, C8
    assert P.reopen_window_days == 30
    assert P.attachment_retention_days == 30
    assert P.sftp_account_hours == 120
    assert P.followup.business_days == (2, 5, 10)
    assert P.escalation.medium.quiet_business_days == 3
    assert P.escalation.high.quiet_hours == 24
    esc = P.escalation
    assert (esc.root_cause_business_days_cloud, esc.root_cause_business_days_premise) == (5, 7)
    assert P.sla.production_down.fix_calendar_days == 7
    assert P.sla.critical is None


def test_default_regions() -> None:  # R: C1, C2
    zones = {r.key: (r.calendar.tz, r.local_hours_only) for r in P.regions}
    assert zones == {
        "emea": ("Europe/London", False),
        "americas": ("America/New_York", False),
        "latam": ("America/Mexico_City", True),
        "brazil": ("America/Sao_Paulo", True),
        "japan": ("Asia/Tokyo", True),
        "apac": ("Australia/Sydney", False),
    }


def test_policy_round_trips_through_json() -> None:  # R: C1-C8 "policy is data"
    changed = dataclasses.replace(P, reopen_window_days=45, followup=FollowUpPolicy((3, 6, 9)))
    for policy in (P, changed):
        stored = json.dumps(policy.to_dict())
        assert SupportPolicy.from_dict(json.loads(stored)) == policy
    assert SupportPolicy.from_dict(changed.to_dict()) != P
