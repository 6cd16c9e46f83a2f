"""C3 targets, the C5 follow-up ladder and C6 escalation, as golden tables from the handbook.

Each row is transcribed from /work/shared/spec/requirements.md (cited per table) and
worked by hand on the London (EMEA) calendar: BST = UTC+1 from 30 Mar to 26 Oct 2025,
Mon 25 Aug 2025 is the summer bank holiday. Nothing is derived from the policy objects
under test, so a changed number in ``defaults.py`` or a dropped condition in
``escalation.py`` fails here (issue 16: "Critical escalation without significant
business impact" went unnoticed because only High was tested).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from casedesk.policy.defaults import DEFAULT_POLICY
from casedesk.policy.escalation import escalation_eligibility
from casedesk.policy.followup import followup_ladder, next_followup
from casedesk.policy.sla import root_cause_due, targets_for

EMEA = DEFAULT_POLICY.calendar("emea")
P = DEFAULT_POLICY


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


# -- C3 targets -----------------------------------------------------------------------
# requirements.md C3 (lines 105-113): "Production Down: average hold < 5 min 24/7;
# average outage from first contact < 30 min; root cause within 7 business days ...;
# fix or workaround within 7 days after root cause. High: hold < 10 min in business
# hours; root cause within 9 business days. Medium: hold < 10 min; root cause within 12
# business days. Low: hold < 10 min; root cause within 15 business days."
# B3 (line 60): "a Critical case without the flag uses the High targets".
# Columns: hold minutes, hold 24/7, outage minutes, root-cause business days, fix days.
C3 = {
    ("critical", True): ("Production Down", 5, True, 30, 7, 7),
    ("critical", False): ("High", 10, False, None, 9, None),
    ("high", False): ("High", 10, False, None, 9, None),
    ("medium", False): ("Medium", 10, False, None, 12, None),
    ("low", False): ("Low", 10, False, None, 15, None),
}


@pytest.mark.parametrize(("row", "expected"), C3.items())
def test_c3_targets(row, expected):
    # R: C3, B3
    targets, _ = targets_for(*row, P)
    assert (
        targets.label,
        targets.hold_minutes,
        targets.hold_around_the_clock,
        targets.outage_minutes,
        targets.root_cause_business_days,
        targets.fix_calendar_days,
    ) == expected


@pytest.mark.parametrize(
    ("priority", "production_down", "all_info_at", "due_at"),
    [
        # R: C3, C4 — business days from "all necessary information", same wall time.
        # Thu 21 Aug 10:00 BST: Fri 22 is day 1, Mon 25 a bank holiday, Tue 26 day 2,
        # Fri 29 day 5, Tue 2 Sep day 7, Thu 4 Sep day 9, Tue 9 Sep day 12, Fri 12 day 15.
        ("critical", True, utc(8, 21, 9), utc(9, 2, 9)),
        ("critical", False, utc(8, 21, 9), utc(9, 4, 9)),
        ("high", False, utc(8, 21, 9), utc(9, 4, 9)),
        ("medium", False, utc(8, 21, 9), utc(9, 9, 9)),
        ("low", False, utc(8, 21, 9), utc(9, 12, 9)),
    ],
)
def test_c3_root_cause_dates_skip_the_bank_holiday(priority, production_down, all_info_at, due_at):
    assert root_cause_due(priority, production_down, all_info_at, EMEA, P).due_at == due_at


# -- C5 follow-up ladder -------------------------------------------------------------
# requirements.md C5 (lines 116-120): "No customer response after 2 business days:
# reminder #1; after 5: reminder #2; after 10: the case closes and a final notice goes
# out ... Never for Production Down cases; every other priority, Critical included".
C5_LADDERS = [
    # Request Mon 2 Jun 10:00 BST: Wed 4 Jun, Mon 9 Jun, Mon 16 Jun, all 10:00 BST.
    (utc(6, 2, 9), [utc(6, 4, 9), utc(6, 9, 9), utc(6, 16, 9)]),
    # Request Thu 21 Aug 10:00 BST: Fri 22 is day 1, Mon 25 a bank holiday, so day 2 is
    # Tue 26 Aug; day 5 Fri 29 Aug; day 10 Fri 5 Sep.
    (utc(8, 21, 9), [utc(8, 26, 9), utc(8, 29, 9), utc(9, 5, 9)]),
]
C5_PRIORITIES = [("critical", False), ("high", False), ("medium", False), ("low", False)]


@pytest.mark.parametrize(("started_at", "dues"), C5_LADDERS)
@pytest.mark.parametrize(("priority", "production_down"), C5_PRIORITIES)
def test_c5_ladder(started_at, dues, priority, production_down):
    # R: C5, B6
    ladder = followup_ladder(started_at, EMEA, P, priority, production_down)
    assert [(s.step, s.due_at, s.action) for s in ladder] == [
        (1, dues[0], "reminder"),
        (2, dues[1], "reminder"),
        (3, dues[2], "close"),
    ]
    assert "send reminder #1" in ladder[0].reason
    assert "send reminder #2" in ladder[1].reason
    assert "close the case and send the final notice" in ladder[2].reason
    assert "no customer response 2 business days after the request" in ladder[0].reason
    assert "no customer response 10 business days after the request" in ladder[2].reason
    for done, step in enumerate(ladder):
        assert next_followup(started_at, done, EMEA, P, priority, production_down) == step
    assert next_followup(started_at, 3, EMEA, P, priority, production_down) is None


def test_c5_never_for_production_down():
    # R: C5 "Never for Production Down cases", B3
    assert followup_ladder(utc(6, 2, 9), EMEA, P, "critical", True) == ()
    assert next_followup(utc(6, 2, 9), 0, EMEA, P, "critical", True) is None


def test_c5_steps_done_must_not_be_negative():
    with pytest.raises(ValueError, match="must not be negative"):
        next_followup(utc(6, 2, 9), -1, EMEA, P, "low", False)


# -- C6 escalation -------------------------------------------------------------------
# requirements.md C6 (lines 121-125): "Low — never (ask for Medium instead); Medium —
# when not updated for 3 business days; High — when not updated for 24 hours and
# actively causing significant business impact; a root-cause request — only after 5
# business days (cloud) or 7 (premise) of analysis." C9: "24 hours" are elapsed hours.
# B3: a Critical case without Production Down is treated like High; the documented
# default lets Production Down escalate at once (EscalationPolicy docstring).
# Last update Mon 2 Jun 10:00 BST (09:00 UTC). Columns: priority, Production Down,
# significant impact, now, eligible, eligible from.
LAST_UPDATE = utc(6, 2, 9)
C6_STANDARD = [
    # Low: never, whatever the wait or impact.
    ("low", False, True, utc(7, 1, 9), False, None),
    ("low", False, False, utc(7, 1, 9), False, None),
    # Medium: 3 business days -> Thu 5 Jun 10:00 BST; impact plays no part.
    ("medium", False, False, utc(6, 5, 8, 59), False, utc(6, 5, 9)),
    ("medium", False, False, utc(6, 5, 9), True, utc(6, 5, 9)),
    ("medium", False, True, utc(6, 5, 9), True, utc(6, 5, 9)),
    # High: 24 elapsed hours AND significant impact.
    ("high", False, True, utc(6, 3, 8, 59), False, utc(6, 3, 9)),
    ("high", False, True, utc(6, 3, 9), True, utc(6, 3, 9)),
    ("high", False, False, utc(6, 3, 9), False, None),
    ("high", False, False, utc(7, 1, 9), False, None),
    # Critical without Production Down: exactly like High.
    ("critical", False, True, utc(6, 3, 8, 59), False, utc(6, 3, 9)),
    ("critical", False, True, utc(6, 3, 9), True, utc(6, 3, 9)),
    ("critical", False, False, utc(6, 3, 9), False, None),
    ("critical", False, False, utc(7, 1, 9), False, None),
    # Production Down: at once, impact or not.
    ("critical", True, False, LAST_UPDATE, True, LAST_UPDATE),
    ("critical", True, True, utc(6, 2, 10), True, utc(6, 2, 10)),
]


@pytest.mark.parametrize(
    ("priority", "production_down", "impact", "now", "eligible", "eligible_from"), C6_STANDARD
)
def test_c6_standard_escalation(priority, production_down, impact, now, eligible, eligible_from):
    result = escalation_eligibility(
        priority, production_down, LAST_UPDATE, now, EMEA, "cloud", "standard", None, impact, P
    )
    assert (result.eligible, result.eligible_from) == (eligible, eligible_from)
    assert bool(result) is eligible
    assert result.as_decision().allowed is eligible
    assert result.as_decision().reason == result.reason


C6_REASONS = [
    ("low", False, True, utc(7, 1, 9),
     "Low priority cases are not escalated; ask for Medium priority instead"),
    ("medium", False, False, utc(6, 5, 8, 59),
     "not yet: Medium cases need 3 business days without an update; "
     "eligible from Thu 5 Jun 10:00 London time"),
    ("medium", False, False, utc(6, 5, 9),
     "eligible: Medium case not updated for 3 business days "
     "(since Thu 5 Jun 10:00 London time)"),
    ("high", False, False, utc(6, 3, 9),
     "High cases are escalated only while actively causing significant business impact"),
    ("critical", False, False, utc(6, 3, 9),
     "Critical cases are escalated only while actively causing significant business impact"),
    ("critical", False, True, utc(6, 3, 8),
     "not yet: Critical cases need 24 hours without an update and significant business "
     "impact; eligible from Tue 3 Jun 10:00 London time"),
    ("high", False, True, utc(6, 3, 9),
     "eligible: High case not updated for 24 hours and significant business impact "
     "(since Tue 3 Jun 10:00 London time)"),
    ("critical", True, False, utc(6, 2, 9),
     "Production Down cases may be escalated at any time"),
]  # fmt: skip


@pytest.mark.parametrize(("priority", "production_down", "impact", "now", "reason"), C6_REASONS)
def test_c6_reasons_explain(priority, production_down, impact, now, reason):
    # R: C6 "with eligibility the system explains"
    result = escalation_eligibility(
        priority, production_down, LAST_UPDATE, now, EMEA, "cloud", "standard", None, impact, P
    )
    assert result.reason == reason


def test_c6_one_business_day_is_singular():
    # R: C6 — an operator may shorten the Medium wait; the reason still reads right.
    esc = dataclasses.replace(
        P.escalation, medium=dataclasses.replace(P.escalation.medium, quiet_business_days=1)
    )
    policy = dataclasses.replace(P, escalation=esc)
    result = escalation_eligibility(
        "medium", False, LAST_UPDATE, utc(6, 3, 9), EMEA, "cloud", "standard", None, False, policy
    )
    assert result.reason == (
        "eligible: Medium case not updated for 1 business day (since Tue 3 Jun 10:00 London time)"
    )


def test_c6_medium_wait_skips_weekend_and_bank_holiday():
    # R: C6, C1 — last update Thu 21 Aug 10:00 BST: Fri 22, (Sat, Sun, Mon 25 holiday),
    # Tue 26, Wed 27 -> eligible from Wed 27 Aug 10:00 BST.
    result = escalation_eligibility(
        "medium", False, utc(8, 21, 9), utc(8, 27, 8, 59), EMEA, "cloud", "standard", None,
        False, P,
    )  # fmt: skip
    assert (result.eligible, result.eligible_from) == (False, utc(8, 27, 9))


# Root-cause request: analysis started Mon 2 Jun 10:00 BST. Cloud + 5 business days ->
# Mon 9 Jun; premise + 7 -> Wed 11 Jun. Low is never escalated, in either kind.
C6_ROOT_CAUSE = [
    ("medium", "cloud", utc(6, 9, 8, 59), False, utc(6, 9, 9),
     "not yet: a root-cause request needs 5 business days of analysis (cloud); "
     "eligible from Mon 9 Jun 10:00 London time"),
    ("high", "cloud", utc(6, 9, 9), True, utc(6, 9, 9),
     "eligible: 5 business days of analysis done (cloud) since Mon 9 Jun 10:00 London time"),
    ("medium", "premise", utc(6, 11, 8, 59), False, utc(6, 11, 9),
     "not yet: a root-cause request needs 7 business days of analysis (premise); "
     "eligible from Wed 11 Jun 10:00 London time"),
    ("critical", "premise", utc(6, 11, 9), True, utc(6, 11, 9),
     "eligible: 7 business days of analysis done (premise) since Wed 11 Jun 10:00 London time"),
    ("low", "cloud", utc(7, 1, 9), False, None,
     "Low priority cases are not escalated; ask for Medium priority instead"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("priority", "deployment", "now", "eligible", "eligible_from", "reason"), C6_ROOT_CAUSE
)
def test_c6_root_cause_request(priority, deployment, now, eligible, eligible_from, reason):
    result = escalation_eligibility(
        priority, False, utc(6, 1, 9), now, EMEA, deployment, "root_cause", utc(6, 2, 9),
        False, P,
    )  # fmt: skip
    assert (result.eligible, result.eligible_from, result.reason) == (
        eligible,
        eligible_from,
        reason,
    )


def test_c6_root_cause_needs_analysis_started():
    result = escalation_eligibility(
        "high", False, LAST_UPDATE, utc(7, 1, 9), EMEA, "premise", "root_cause", None, True, P
    )
    assert (result.eligible, result.eligible_from) == (False, None)
    assert result.reason == (
        "a root-cause request needs 7 business days of analysis (premise); analysis has not started"
    )


@pytest.mark.parametrize(
    ("kind", "deployment", "message"),
    [
        ("urgent", "cloud", "unknown escalation kind 'urgent'"),
        ("root_cause", "hybrid", "unknown deployment 'hybrid'"),
    ],
)
def test_c6_unknown_kind_or_deployment_is_an_error(kind, deployment, message):
    with pytest.raises(ValueError, match=message):
        escalation_eligibility(
            "medium", False, LAST_UPDATE, utc(7, 1, 9), EMEA, deployment, kind, utc(6, 2, 9),
            False, P,
        )  # fmt: skip


def test_c6_production_down_only_on_critical():
    # R: B3
    with pytest.raises(ValueError, match="only a Critical case can be Production Down"):
        escalation_eligibility(
            "high", True, LAST_UPDATE, utc(7, 1, 9), EMEA, "cloud", "standard", None, True, P
        )
