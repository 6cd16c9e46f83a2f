"""The smaller rules as golden tables: verdict AND the sentence a person reads.

Every rule in ``policy/`` answers with a reason that the portal, console or API shows
verbatim (architecture: "the system never just says no"), so a reason is part of the
behaviour: rows give both, literally. Requirement lines are cited per table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from casedesk.policy.decision import allow, deny
from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy
from casedesk.policy.escalation import EscalationPolicy, EscalationRule
from casedesk.policy.follow_the_sun import route
from casedesk.policy.followup import FollowUpPolicy, followup_ladder, next_followup
from casedesk.policy.maintenance import ACCOUNTS_RECEIVABLE, GraceWindow, maintenance_decision
from casedesk.policy.priority import (
    PHONE_FOR_HIGHER,
    EmergencyCriterion,
    Priority,
    priority_change_decision,
    production_down_decision,
)
from casedesk.policy.reopen import reopen_decision
from casedesk.policy.sla import SlaTable, SlaTargets, fix_due, targets_for
from casedesk.policy.text import is_surrogate
from casedesk.policy.transitions import Actor

P = DEFAULT_POLICY
UTC = dt.UTC


def test_decision_defaults():
    assert (allow().allowed, allow().reason) == (True, "Allowed.")
    assert (bool(deny("no")), deny("no").reason) == (False, "no")


# -- B8 priority changes: "a contact may ask Low → Medium through a work note; a change to
# High or Critical is done by support after a phone call. Every change keeps its reason."
B8 = [
    ("contact", "low", "medium", "note", True,
     "Contact raised priority Low → Medium with a work note."),
    ("contact", "low", "high", "note", False, PHONE_FOR_HIGHER),
    ("contact", "medium", "critical", "note", False, PHONE_FOR_HIGHER),
    ("contact", "medium", "low", "note", False, "Contacts may only raise a Low case to Medium."),
    ("contact", "high", "medium", "note", False, "Contacts may only raise a Low case to Medium."),
    ("contact", "low", "medium", "  ", False, "A priority change needs a reason."),
    ("support", "low", "critical", "call", True, "Support changed priority Low → Critical."),
    ("support", "high", "low", "call", True, "Support changed priority High → Low."),
    ("support", "high", "high", "call", False, "The case is already High."),
    ("system", "low", "medium", "clock", False, "The system does not change priorities."),
]  # fmt: skip


@pytest.mark.parametrize(("actor", "current", "requested", "reason", "ok", "says"), B8)
def test_b8_priority_changes(actor, current, requested, reason, ok, says):
    verdict = priority_change_decision(
        actor=Actor(actor), current=Priority(current), requested=Priority(requested), reason=reason
    )
    assert (verdict.allowed, verdict.reason) == (ok, says)


# -- B3 Production Down: "A Critical case may carry the Production Down flag ...
# Production Down requires choosing the emergency criterion".
B3 = [
    ("critical", True, "server_down", True,
     "Production Down: Primary server down or no dial tone."),
    ("critical", True, None, False, "Production Down requires choosing the emergency criterion."),
    ("high", True, "core_mission", False, "Production Down applies to Critical cases only."),
    ("critical", False, None, True, "Not Production Down."),
    ("high", False, None, True, "Not Production Down."),
    ("critical", False, "switchover_without_backup", False,
     "An emergency criterion only goes with the Production Down flag."),
]  # fmt: skip


@pytest.mark.parametrize(("priority", "flag", "criterion", "ok", "says"), B3)
def test_b3_production_down(priority, flag, criterion, ok, says):
    verdict = production_down_decision(
        priority=Priority(priority),
        production_down=flag,
        criterion=None if criterion is None else EmergencyCriterion(criterion),
    )
    assert (verdict.allowed, verdict.reason) == (ok, says)


# -- B7 reopen: "only within 30 days of closure and only with new supporting information
# ... A case closed by the third automated follow-up can be reopened by phone only."
# C9: "30 days" is 30 × 24 elapsed hours. Closed Wed 1 Oct 2026 12:00 UTC.
CLOSED = dt.datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
LAST = CLOSED + dt.timedelta(hours=30 * 24)  # Sat 31 Oct 12:00 UTC
B7 = [
    ("contact", LAST, False, "new logs", True,
     "Within 30 days of closure (until 2026-10-31 12:00 UTC)."),
    ("contact", LAST + dt.timedelta(microseconds=1), False, "new logs", False,
     "This case closed more than 30 days ago; open a new case linked to it instead."),
    ("contact", CLOSED, False, " \n", False, "Re-opening needs new supporting information."),
    ("contact", CLOSED, True, "new logs", False,
     "This case was closed after the automated follow-ups; please call support to re-open it."),
    ("support", CLOSED, True, "caller sent logs", True,
     "Within 30 days of closure (until 2026-10-31 12:00 UTC)."),
]  # fmt: skip


@pytest.mark.parametrize(("actor", "now", "by_followup", "info", "ok", "says"), B7)
def test_b7_reopen(actor, now, by_followup, info, ok, says):
    verdict = reopen_decision(
        actor=Actor(actor),
        closed_at=CLOSED,
        now=now,
        closed_by_followup=by_followup,
        new_information=info,
    )
    assert (verdict.allowed, verdict.reason) == (ok, says)


# -- A5 maintenance: "a contract not paid through today cannot open cases ... A disputed
# invoice grants one grace period per invoice (start, end)" — both ends included.
TODAY = dt.date(2026, 11, 25)
A5 = [
    (TODAY, (), True, "Maintenance paid through 2026-11-25."),
    (TODAY - dt.timedelta(days=1), (), False, ACCOUNTS_RECEIVABLE),
    (None, (), False, ACCOUNTS_RECEIVABLE),
    (None, (("INV-1", TODAY, TODAY + dt.timedelta(days=9)),), True,
     "Maintenance lapsed; support continues in the grace period for disputed invoice INV-1 "
     "until 2026-12-04."),
    (None, (("INV-2", TODAY - dt.timedelta(days=9), TODAY),), True,
     "Maintenance lapsed; support continues in the grace period for disputed invoice INV-2 "
     "until 2026-11-25."),
    (None, (("INV-3", TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=9)),), False,
     ACCOUNTS_RECEIVABLE),
]  # fmt: skip


@pytest.mark.parametrize(("paid", "grace", "ok", "says"), A5)
def test_a5_maintenance(paid, grace, ok, says):
    verdict = maintenance_decision(
        paid_through=paid, today=TODAY, grace=[GraceWindow(*g) for g in grace]
    )
    assert (verdict.allowed, verdict.reason) == (ok, says)


# -- C2 follow the sun, as settled by C9: "North America, EMEA and Asia-Pacific cases are
# served around the clock, every day, for every priority: some centre is always on shift
# for them (follow the sun, then on-call). Only Latin America, Brazil and Japan have hours."
# Default centres work Mon-Fri 08:00-18:00 local, in the policy's region order.
EMEA_L = "Europe, Middle East & Africa"
MON_03 = dt.datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # Tokyo 12:00, Sydney 13:00, London 04:00
MON_09 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # London 10:00, New York 05:00
SAT_12 = dt.datetime(2025, 6, 7, 12, 0, tzinfo=UTC)  # a weekend everywhere
ON_CALL = "no centre is in business hours; the {} on-call engineers are on shift"
C2 = [
    ("emea", MON_09, "emea", True, f"the {EMEA_L} centre is on shift", False),
    ("americas", MON_09, "emea", True,
     f"follow-the-sun: the {EMEA_L} centre is on shift while North America is closed", False),
    ("emea", MON_03, "apac", True,
     f"follow-the-sun: the Asia-Pacific centre is on shift while {EMEA_L} is closed", False),
    ("japan", MON_03, "japan", True,
     "Japan cases are served by the Japan centre in local business hours; it is open now", False),
    ("brazil", MON_03, "brazil", False,
     "Brazil cases are served by the Brazil centre in local business hours only; "
     "it opens Mon 2 Jun 08:00 São Paulo time", False),
    # A weekend everywhere: the case's own centre is on shift through its on-call engineers.
    ("emea", SAT_12, "emea", True, ON_CALL.format(EMEA_L), True),
    ("apac", SAT_12, "apac", True, ON_CALL.format("Asia-Pacific"), True),
    ("americas", SAT_12, "americas", True, ON_CALL.format("North America"), True),
    # ... but the regions with hours keep them, weekend or not.
    ("latam", SAT_12, "latam", False,
     "Latin America cases are served by the Latin America centre in local business hours "
     "only; it opens Mon 9 Jun 08:00 Mexico City time", False),
]  # fmt: skip


@pytest.mark.parametrize(("region", "now", "centre", "on_shift", "says", "on_call"), C2)
def test_c2_follow_the_sun(region, now, centre, on_shift, says, on_call):
    assert dataclasses.astuple(route(region, now, P)) == (centre, on_shift, says, on_call)


def test_c2_a_policy_without_around_the_clock_support_leaves_the_weekend_unstaffed():
    old = dataclasses.replace(P, support_around_the_clock=False)
    assert dataclasses.astuple(route("emea", SAT_12, old)) == (
        "emea",
        False,
        f"no centre is on shift; the {EMEA_L} on-call engineers take Production Down cases",
        False,
    )


# -- C1/C2 default regions (defaults.py docstring): zone, local hours only, language.
REGIONS = {
    "emea": ("Europe, Middle East & Africa", "Europe/London", False, "en"),
    "americas": ("North America", "America/New_York", False, "en"),
    "latam": ("Latin America", "America/Mexico_City", True, "es"),
    "brazil": ("Brazil", "America/Sao_Paulo", True, "pt-BR"),
    "japan": ("Japan", "Asia/Tokyo", True, "ja"),
    "apac": ("Asia-Pacific", "Australia/Sydney", False, "en"),
}


def test_default_regions_table():
    actual = {r.key: (r.label, r.calendar.tz, r.local_hours_only, r.language) for r in P.regions}
    assert actual == REGIONS
    assert P.calendar("japan").tz == "Asia/Tokyo"
    with pytest.raises(KeyError, match="mars"):
        P.region("mars")


# -- C3 reasons and the Production Down fix date.
@pytest.mark.parametrize(
    ("priority", "flag", "says"),
    [
        ("critical", True, "Production Down targets"),
        ("critical", False, "High targets (Critical without Production Down uses High)"),
        ("high", False, "High targets"),
        ("medium", False, "Medium targets"),
        ("low", False, "Low targets"),
    ],
)
def test_c3_which_row_and_why(priority, flag, says):
    assert targets_for(priority, flag, P)[1] == says


def test_c3_critical_row_of_its_own_says_so():
    own = SlaTargets("Critical", 10, True, root_cause_business_days=8)
    policy = dataclasses.replace(P, sla=dataclasses.replace(P.sla, critical=own))
    assert targets_for("critical", False, policy) == (own, "Critical targets")


def test_c3_fix_date_in_a_zone_far_from_utc():
    # R: C3 "fix or workaround within 7 days after root cause", C9 "7 × 24 elapsed hours":
    # Tokyo has no DST: Mon 2 Jun 09:00 JST + 168 h is Mon 9 Jun 09:00 JST.
    tokyo = P.calendar("japan")
    root_cause = dt.datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
    fix = fix_due("critical", True, root_cause, tokyo, P)
    assert fix.due_at == dt.datetime(2025, 6, 9, 0, 0, tzinfo=UTC)
    assert fix.reason == (
        "fix or workaround due within 7 × 24 hours of the root cause (Production Down "
        "targets): Mon 9 Jun 09:00 Tokyo time"
    )
    with pytest.raises(ValueError, match=r"^root_cause_at must be timezone-aware$"):
        fix_due("critical", True, dt.datetime(2025, 6, 2), tokyo, P)  # noqa: DTZ001


def test_c3_fix_date_is_elapsed_hours_across_a_dst_change():
    # C9: 168 elapsed hours from Fri 24 Oct 10:00 BST; London leaves DST on Sun 26 Oct, so
    # the deadline is Fri 31 Oct 09:00 GMT (a wall-clock reading would say 10:00).
    london = P.calendar("emea")
    root_cause = dt.datetime(2025, 10, 24, 9, 0, tzinfo=UTC)
    fix = fix_due("critical", True, root_cause, london, P)
    assert fix.due_at == dt.datetime(2025, 10, 31, 9, 0, tzinfo=UTC)
    assert fix.reason == (
        "fix or workaround due within 7 × 24 hours of the root cause (Production Down "
        "targets): Fri 31 Oct 09:00 London time"
    )


# -- C5 ladder: reasons word for word, and the inputs it refuses.
def test_c5_reasons_word_for_word():
    ladder = followup_ladder(dt.datetime(2025, 6, 2, 9, tzinfo=UTC), P.calendar("emea"), P,
                             "low", False)  # fmt: skip
    assert [s.reason for s in ladder] == [
        "no customer response 2 business days after the request (emea calendar): "
        "send reminder #1 at Wed 4 Jun 10:00 London time",
        "no customer response 5 business days after the request (emea calendar): "
        "send reminder #2 at Mon 9 Jun 10:00 London time",
        "no customer response 10 business days after the request (emea calendar): "
        "close the case and send the final notice at Mon 16 Jun 10:00 London time",
    ]


def test_c5_refusals():
    emea = P.calendar("emea")
    start = dt.datetime(2025, 6, 2, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="only a Critical case can be Production Down"):
        followup_ladder(start, emea, P, "high", True)
    with pytest.raises(ValueError, match=r"^steps_done must not be negative$"):
        next_followup(start, -1, emea, P, "low", False)
    for days in [(), (0, 5), (-1, 5), (2, 2, 5), (5, 2)]:
        with pytest.raises(ValueError, match="follow-up days must be positive and increasing"):
            FollowUpPolicy(days)


# -- "Policy is data, not code": every field survives the JSON round trip.
def test_a_policy_with_every_number_changed_round_trips():
    custom = dataclasses.replace(
        P,
        sla=dataclasses.replace(
            P.sla,
            high=SlaTargets("High", 12, True, root_cause_business_days=8),
            critical=SlaTargets("Critical", 7, True, root_cause_business_days=6),
        ),
        followup=FollowUpPolicy((1, 4, 9)),
        escalation=EscalationPolicy(
            medium=EscalationRule(quiet_business_days=2),
            high=EscalationRule(quiet_hours=12, requires_significant_impact=True),
            critical=EscalationRule(quiet_hours=6),
            low=EscalationRule(allowed=False, refusal="never"),
            production_down=EscalationRule(quiet_hours=1),
            root_cause_business_days_cloud=4,
            root_cause_business_days_premise=6,
        ),
        reopen_window_days=14,
        attachment_retention_days=60,
        sftp_account_hours=48,
        support_around_the_clock=False,
        regions=P.regions[:2],
        default_region="americas",
    )
    data = json.loads(json.dumps(custom.to_dict()))
    assert data["sla"]["critical"]["root_cause_business_days"] == 6
    assert SupportPolicy.from_dict(data) == custom
    assert SlaTable.from_dict(P.sla.to_dict()).critical is None


def test_policy_refuses_inconsistent_regions():
    with pytest.raises(ValueError, match=r"^region keys must be unique: \['emea', 'emea'\]$"):
        dataclasses.replace(P, regions=(P.regions[0], P.regions[0]))
    with pytest.raises(ValueError, match=r"^default region 'mars' is not one of \['emea'"):
        dataclasses.replace(P, default_region="mars")


def test_surrogates_are_the_whole_range():
    assert is_surrogate("\ud800") and is_surrogate("\udfff")
    assert not is_surrogate("\ud7ff") and not is_surrogate("\ue000")
