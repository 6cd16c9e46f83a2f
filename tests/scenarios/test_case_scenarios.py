"""Whole-case scenarios for milestones, escalation, retention, re-opening, policy versions and
follow-the-sun (C2-C7, B7), each driven through the services and the real worker tick."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.urls import reverse

from casedesk.cases import services
from casedesk.cases.models import EventKind
from casedesk.core.errors import PolicyViolation
from casedesk.escalations.services import EscalationRequest, escalation_check, escalation_request
from casedesk.files.models import Attachment
from casedesk.files.services import attachment_store
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.sla.models import Milestone

from .desk import MINUTE, at, desk_at, followups

pytestmark = pytest.mark.django_db

ASK = EscalationRequest(
    kind="standard", reason="Go-live at risk", summary="Dialler stops", expectations="A plan"
)


@pytest.fixture
def fresh_policy_cache():
    """Saved versions are cached by number, and numbers repeat across rolled-back tests."""
    from casedesk.sla.selectors import _parsed

    _parsed.cache_clear()
    yield
    _parsed.cache_clear()


def close(desk, case, when):
    return services.case_transition(
        case=case,
        actor=desk.engineer,
        action="close",
        to="resolved",
        reason="Fixed in 9.2.2",
        close_reason="solution_accepted",
        now=when,
    )


def test_production_down_has_no_followup_and_a_seven_day_fix_clock():
    """London, Production Down opened Tue 24 Nov 2026 14:00. A request for information
    starts no timer (B3, C5). All info Tue 24 Nov 15:00 → root cause due in 7 business
    days: Wed 25 … Thu 3 Dec (7) → Thu 3 Dec 15:00. Root cause found Fri 27 Nov 12:00 →
    fix due 7 calendar days later, Fri 4 Dec 12:00. Its warning at 3/4 of the 50 business
    hours in between (Fri 6 h + Mon-Thu 40 h + Fri 4 h): 37.5 h → Thu 3 Dec 09:30. No
    solution by Fri 4 Dec 12:00 → breach."""
    # R: C3, C4, C5, B3
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.open(
        desk.world.alice,
        at(2026, 11, 24, 14, 0),
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
    )
    case = desk.ask_info(case, at(2026, 11, 24, 14, 30))
    assert case.waiting_since is None
    assert not Deadline.objects.filter(case=case, kind="followup").exists()
    services.case_mark_all_info_provided(case=case, actor=desk.engineer, now=at(2026, 11, 24, 15))
    root = Milestone.objects.get(case=case, kind="root_cause")
    assert root.target_at == at(2026, 12, 3, 15, 0)
    services.case_mark_root_cause(
        case=case, actor=desk.engineer, summary="Disk full", now=at(2026, 11, 27, 12, 0)
    )
    fix = Milestone.objects.get(case=case, kind="fix")
    assert fix.target_at == at(2026, 12, 4, 12, 0)
    desk.fires_at(at(2026, 12, 3, 9, 30))  # warning
    desk.fires_at(at(2026, 12, 4, 12, 0))  # breach
    fix.refresh_from_db()
    assert fix.warned_at == at(2026, 12, 3, 9, 30) and fix.breached_at == at(2026, 12, 4, 12)
    assert followups(case) == []


def test_japan_high_root_cause_warns_and_breaches_across_golden_week():
    """Japan, High. All info Mon 26 Apr 2027 10:00 JST (01:00 UTC); 9 business days skipping
    Showa Day and 3-5 May: Tue 27, Wed 28, Fri 30, Thu 6, Fri 7, Mon 10, Tue 11, Wed 12,
    Thu 13 → Thu 13 May 10:00 JST (01:00 UTC). Warning at 3/4 of 90 business hours = 67.5 h:
    Mon 26 8 h, Tue 10, Wed 10, Fri 10, Thu 6 10, Fri 7 10 (58 h), then 9.5 h of Mon 10 May
    → 17:30 JST = 08:30 UTC."""
    # R: C3, C4, C1
    desk = desk_at(at(2027, 4, 20, 1, 0))
    case = desk.open(desk.contact("japan"), at(2027, 4, 22, 1, 0), priority="high")
    services.case_mark_all_info_provided(case=case, actor=desk.engineer, now=at(2027, 4, 26, 1))
    assert Milestone.objects.get(case=case).target_at == at(2027, 5, 13, 1, 0)
    desk.fires_at(at(2027, 5, 10, 8, 30))
    desk.fires_at(at(2027, 5, 13, 1, 0))
    notes = list(case.events.filter(kind=EventKind.MILESTONE).values_list("data", flat=True))
    assert [n.get("warning", False) for n in notes] == [True, False]
    assert notes[1]["breach"]


def test_us_root_cause_target_skips_thanksgiving():
    """New York, Medium. All info Mon 23 Nov 2026 10:00 EST (15:00 UTC). 12 business days,
    Thanksgiving Thu 26 Nov off (Fri 27 is a working day): Tue 24 (1), Wed 25 (2), Fri 27
    (3), Mon 30 … Fri 4 Dec (8), Mon 7 … Thu 10 Dec (12) → Thu 10 Dec 15:00 UTC; met on
    Wed 9 Dec 15:00, so no breach."""
    # R: C3, C4, C1
    desk = desk_at(at(2026, 11, 20, 15, 0))
    case = desk.open(desk.contact("americas"), at(2026, 11, 20, 15, 0))
    services.case_mark_all_info_provided(case=case, actor=desk.engineer, now=at(2026, 11, 23, 15))
    assert Milestone.objects.get(case=case).target_at == at(2026, 12, 10, 15, 0)
    services.case_mark_root_cause(
        case=case, actor=desk.engineer, summary="Codec bug", now=at(2026, 12, 9, 15, 0)
    )
    assert desk.tick(at(2026, 12, 31)) == 0
    milestone = Milestone.objects.get(case=case)
    assert milestone.met_at == at(2026, 12, 9, 15) and milestone.breached_at is None


def test_brazil_escalation_becomes_eligible_at_the_right_business_hour():
    """Brazil, Medium. Support's last update Fri 5 Feb 2027 16:00 São Paulo (19:00 UTC).
    Three business days without an update, Carnival Mon 8 / Tue 9 off: Wed 10 (1), Thu 11
    (2), Fri 12 (3) → eligible from Fri 12 Feb 16:00 local = 19:00 UTC, not a minute
    earlier."""
    # R: C6, C1
    desk = desk_at(at(2027, 2, 1, 13, 0))
    case = desk.open(desk.contact("brazil", "cloud"), at(2027, 2, 4, 13, 0))
    services.case_add_update(
        case=case, actor=desk.engineer, body="Investigating", now=at(2027, 2, 5, 19, 0)
    )
    early = escalation_check(case=case, kind="standard", now=at(2027, 2, 12, 18, 59))
    assert not early and early.eligible_from == at(2027, 2, 12, 19, 0)
    assert "Fri 12 Feb 16:00 São Paulo time" in early.reason
    contact = case.contact
    with pytest.raises(PolicyViolation, match=r"^not yet: Medium cases need 3 business days"):
        escalation_request(case=case, actor=contact, request=ASK, now=at(2027, 2, 12, 18, 59))
    escalation = escalation_request(case=case, actor=contact, request=ASK, now=at(2027, 2, 12, 19))
    assert escalation.subject.endswith(f"{case.number} – {case.subject}")


def test_root_cause_request_premise_after_7_and_cloud_after_5_business_days():
    """All info Mon 1 Feb 2027 13:00 UTC on two Medium cases. London premise: 7 business
    days → Tue 2 … Wed 10 Feb 13:00 UTC. São Paulo cloud: 5 business days over Carnival →
    Tue 2, Wed 3, Thu 4, Fri 5, (Mon 8, Tue 9 off), Wed 10 Feb 10:00 local = 13:00 UTC. The
    same instant, by two different rules."""
    # R: C6
    desk = desk_at(at(2027, 1, 28, 13, 0))
    premise = desk.open(desk.contact("emea", "premise"), at(2027, 1, 28, 13, 0))
    cloud = desk.open(desk.contact("brazil", "cloud"), at(2027, 1, 28, 13, 0))
    for case, days in ((premise, "7 business days"), (cloud, "5 business days")):
        services.case_mark_all_info_provided(case=case, actor=desk.engineer, now=at(2027, 2, 1, 13))
        case.refresh_from_db()
        before = escalation_check(case=case, kind="root_cause", now=at(2027, 2, 10, 12, 59))
        assert not before and before.eligible_from == at(2027, 2, 10, 13, 0)
        assert days in before.reason
        assert escalation_check(case=case, kind="root_cause", now=at(2027, 2, 10, 13, 0))


def test_high_escalation_after_24_elapsed_hours_with_significant_impact():
    """London, High, opened Fri 27 Nov 2026 17:00 UTC, no update since. Support is 24/7, so
    the 24 hours are elapsed time: eligible from Sat 28 Nov 17:00 UTC, and only while the
    case is actively causing significant business impact."""
    # R: C6
    desk = desk_at(at(2026, 11, 27, 17, 0))
    case = desk.open(desk.world.alice, at(2026, 11, 27, 17, 0), priority="high")
    late = at(2026, 11, 28, 17, 0)
    assert not escalation_check(
        case=case, kind="standard", now=late - MINUTE, significant_impact=True
    )
    assert not escalation_check(case=case, kind="standard", now=late, significant_impact=False)
    assert escalation_check(case=case, kind="standard", now=late, significant_impact=True)


def test_low_is_never_escalated_however_long_it_waits():
    """London, Low, opened Tue 24 Nov 2026; 90 days later still not eligible, and no date."""
    # R: C6
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.open(desk.world.alice, at(2026, 11, 24, 14, 0), priority="low")
    verdict = escalation_check(case=case, kind="standard", now=at(2027, 2, 22, 14, 0))
    assert not verdict and verdict.eligible_from is None and "Medium" in verdict.reason


def test_reopen_after_30_days_becomes_a_linked_follow_on_case():
    """Closed Tue 1 Dec 2026 10:00. The window is 30 days: until Thu 31 Dec 10:00 inclusive.
    At 10:01 the request is refused and a new case linked to the old one is opened."""
    # R: B7
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = close(desk, desk.world.alice_case, at(2026, 12, 1, 10, 0))
    alice = desk.world.alice
    with pytest.raises(PolicyViolation, match="more than 30 days"):
        services.case_reopen(
            case=case, actor=alice, information="Back again", now=at(2026, 12, 31, 10, 1)
        )
    follow_on = services.case_open_follow_on(
        old_case=case,
        contact=alice,
        draft=services.CaseDraft(
            contract_id=desk.world.acme_contract.pk,
            subject=f"Follow-on to {case.number}",
            description="The dialler stops again.",
            product_id=desk.world.catalogue["product"].pk,
            major_version_id=desk.world.catalogue["version"].pk,
        ),
        now=at(2026, 12, 31, 10, 1),
    )
    assert follow_on.linked_from_id == case.pk
    assert case.events.filter(kind=EventKind.LINKED).exists()
    # A minute earlier it would still have been a re-open request (the last instant counts).
    other = close(desk, desk.world.carol_case, at(2026, 12, 1, 10, 0))
    services.case_reopen(
        case=other, actor=desk.world.carol, information="Back", now=at(2026, 12, 31, 10, 0)
    )


def test_purge_30_days_after_closure_then_reopen_asks_for_the_files(client):
    """Alice attaches a trace Tue 24 Nov 2026; the case closes Tue 1 Dec 10:00, so its files
    are purged Thu 31 Dec 10:00 (30 days, C7) — by the worker, not a minute earlier. Support
    re-opens at that same minute (the last instant of the 30-day window): the timeline says
    the files were removed and the portal asks her to upload them again."""
    # R: C7, D4, B7
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.world.alice_case
    attachment_store(
        case=case,
        actor=desk.world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"trace" * 100),
        source="browser",
        now=at(2026, 11, 24, 15, 0),
    )
    close(desk, case, at(2026, 12, 1, 10, 0))
    desk.fires_at(at(2026, 12, 31, 10, 0))
    assert Attachment.objects.get(case=case).purged_at == at(2026, 12, 31, 10, 0)
    services.case_reopen(
        case=case, actor=desk.engineer, information="Customer phoned", now=at(2026, 12, 31, 10)
    )
    notice = case.events.filter(kind=EventKind.FILES_PURGED).last()
    assert notice.data.get("reupload") and "upload them again" in notice.body
    with time_machine.travel(at(2026, 12, 31, 11, 0), tick=False):
        client.force_login(desk.world.alice)
        page = client.get(reverse("portal-case-detail", args=[case.number])).content.decode()
    assert "Please upload your files again" in page


def test_reopened_in_time_keeps_its_files():
    """Closed Tue 1 Dec 2026 10:00 (purge due Thu 31 Dec 10:00); support re-opens Mon 14 Dec,
    which cancels the purge; nothing is removed on 31 Dec or after."""
    # R: C7, B7
    desk = desk_at(at(2026, 11, 24, 14, 0))
    case = desk.world.alice_case
    attachment_store(
        case=case,
        actor=desk.world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"trace"),
        source="browser",
        now=at(2026, 11, 24, 15, 0),
    )
    close(desk, case, at(2026, 12, 1, 10, 0))
    services.case_reopen(case=case, actor=desk.engineer, information="More", now=at(2026, 12, 14))
    assert desk.tick(at(2027, 1, 15)) == 0
    assert Attachment.objects.get(case=case).purged_at is None
    assert Deadline.objects.get(case=case, kind="files.purge").state == DeadlineState.CANCELLED


def test_policy_change_mid_case_keeps_the_version_the_case_opened_under(fresh_policy_cache):
    """Case A opens Tue 24 Nov 2026 14:00 under the handbook defaults (v0). At 15:00 care
    saves v1 with reminders at 3/6/12 business days; case B opens at 15:30 under v1. Both
    get a request for information Wed 25 Nov 10:00 London: A's reminder #1 at +2 → Fri 27
    Nov 10:00, B's at +3 → Mon 30 Nov 10:00."""
    # R: C5 (policy is data), C1-C8
    from casedesk.policy.defaults import DEFAULT_POLICY
    from casedesk.sla.services import policy_version_save

    desk = desk_at(at(2026, 11, 24, 14, 0))
    a = desk.world.alice_case
    data = DEFAULT_POLICY.to_dict() | {"followup": {"business_days": [3, 6, 12]}}
    v1 = policy_version_save(
        data=data, note="slower ladder", actor=desk.world.care, now=at(2026, 11, 24, 15)
    )
    b = desk.open(desk.world.alice, at(2026, 11, 24, 15, 30))
    assert (a.policy_version, b.policy_version) == (0, v1.number)
    desk.ask_info(a, at(2026, 11, 25, 10, 0))
    desk.ask_info(b, at(2026, 11, 25, 10, 0))
    desk.fires_at(at(2026, 11, 27, 10, 0))
    desk.fires_at(at(2026, 11, 30, 10, 0))
    assert followups(a) == [(at(2026, 11, 27, 10, 0), 1)]
    assert followups(b) == [(at(2026, 11, 30, 10, 0), 1)]


def test_follow_the_sun_on_thanksgiving_sends_a_us_case_to_london(client):
    """Thu 26 Nov 2026 15:00 UTC is 10:00 in New York but Thanksgiving, so the North America
    centre is closed; London (15:00) is on shift and serves the case. On Fri 27 Nov 15:00 UTC
    New York is open again and takes it back. A Brazil case stays with São Paulo (12:00
    local, open) on both days."""
    # R: C2, C1
    desk = desk_at(at(2026, 11, 23, 15, 0))
    us = desk.open(desk.contact("americas"), at(2026, 11, 23, 15, 0))
    client.force_login(desk.engineer)
    with time_machine.travel(at(2026, 11, 26, 15, 0), tick=False):
        london = client.get(reverse("console-queue"), {"state": "open", "centre": "emea"})
        ny = client.get(reverse("console-queue"), {"state": "open", "centre": "americas"})
        brazil = client.get(reverse("console-queue"), {"state": "open", "centre": "brazil"})
    assert us.number in london.content.decode() and us.number not in ny.content.decode()
    assert desk.world.gina_case.number in brazil.content.decode()
    with time_machine.travel(at(2026, 11, 27, 15, 0), tick=False):
        london = client.get(reverse("console-queue"), {"state": "open", "centre": "emea"})
        ny = client.get(reverse("console-queue"), {"state": "open", "centre": "americas"})
    assert us.number not in london.content.decode() and us.number in ny.content.decode()
