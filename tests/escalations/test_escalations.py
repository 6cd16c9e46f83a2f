"""Escalation eligibility explained, requests with the template, manager outcomes (C6)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases import services
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.escalations.models import Escalation
from casedesk.escalations.services import (
    EscalationRequest,
    escalation_check,
    escalation_request,
    escalation_resolve,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def ask(kind="standard", **extra):
    return EscalationRequest(
        kind=kind,
        reason="Go-live on Monday at risk",
        summary="Dialer stops after ten calls",
        expectations="A fix plan",
        critical_dates="Go-live Mon 30 Nov",
        **extra,
    )


def test_low_is_never_escalated(world):
    # R: C6
    case = world.open_case(world.alice, priority="low")
    verdict = escalation_check(case=case, kind="standard", now=world.now + dt.timedelta(days=60))
    assert not verdict and "Medium" in verdict.reason and verdict.eligible_from is None


def test_medium_after_three_business_days_without_update(world):
    """Opened Tue 24 Nov 2026 14:00 London; eligible from Fri 27 Nov 14:00."""
    # R: C6
    case = world.alice_case
    early = escalation_check(
        case=case, kind="standard", now=dt.datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    )
    assert not early and early.eligible_from == dt.datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert "eligible from" in early.reason
    with pytest.raises(PolicyViolation, match="not yet"):
        escalation_request(
            case=case,
            actor=world.alice,
            request=ask(),
            now=dt.datetime(2026, 11, 27, 13, 0, tzinfo=UTC),
        )
    # A support reply restarts the quiet period.
    services.case_add_update(
        case=case,
        actor=world.engineer,
        body="Looking at the logs",
        now=dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
    )
    later = escalation_check(
        case=case, kind="standard", now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    )
    assert not later
    assert later.eligible_from == dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_high_needs_24_hours_and_significant_impact(world):
    # R: C6
    case = world.open_case(world.alice, priority="high")
    at = world.now + dt.timedelta(hours=25)
    assert not escalation_check(case=case, kind="standard", now=at, significant_impact=False)
    assert escalation_check(case=case, kind="standard", now=at, significant_impact=True)
    assert not escalation_check(
        case=case, kind="standard", now=world.now + dt.timedelta(hours=23), significant_impact=True
    )


def test_root_cause_request_after_analysis_days_by_deployment(world):
    """Acme is premise (7 business days), Globex cloud (5). All info Tue 24 Nov 14:00 UTC.
    Premise London: Thu 3 Dec 14:00. Cloud São Paulo (UTC-3, 11:00 local): 5 business days
    → Tue 1 Dec 11:00 local = 14:00 UTC."""
    # R: C6
    premise = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=world.now
    )
    cloud = services.case_mark_all_info_provided(
        case=world.gina_case, actor=world.engineer, now=world.now
    )
    p = escalation_check(case=premise, kind="root_cause", now=world.now)
    c = escalation_check(case=cloud, kind="root_cause", now=world.now)
    assert p.eligible_from == dt.datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert c.eligible_from == dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_request_records_template_and_manager_resolves(world):
    # R: C6, E4
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    esc = escalation_request(case=world.alice_case, actor=world.alice, request=ask(), now=at)
    assert esc.subject == f"Acme – {world.alice_case.number} – {world.alice_case.subject}"
    assert "eligible" in esc.eligibility
    with pytest.raises(PolicyViolation, match="already has an open"):
        escalation_request(case=world.alice_case, actor=world.alice, request=ask(), now=at)
    with pytest.raises(NotPermitted, match="contact who opened"):  # R: C9 (a colleague)
        escalation_request(case=world.alice_case, actor=world.bob, request=ask(), now=at)
    with pytest.raises(NotPermitted, match="Escalations are worked by support managers"):
        escalation_resolve(
            escalation=esc, actor=world.engineer, state="resolved", outcome="x", now=at
        )
    with pytest.raises(PolicyViolation, match="outcome"):
        escalation_resolve(
            escalation=esc, actor=world.manager, state="resolved", outcome="", now=at
        )
    esc = escalation_resolve(
        escalation=esc,
        actor=world.manager,
        state="resolved",
        outcome="Engineering assigned a developer; fix in 2 days",
        now=at,
    )
    assert esc.closed_at == at
    kinds = list(
        world.alice_case.events.filter(kind="escalation").values_list(
            "data__state", "data__code", "public"
        )
    )
    # The duplicate request is kept as an internal refusal the reports count (C6, I1).
    assert kinds == [("open", None, True), (None, "already_open", False), ("resolved", None, True)]


def test_other_organisation_cannot_escalate(world):
    # R: A4, C6
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with pytest.raises(NotFound, match=r"^No such case\.$"):
        escalation_request(case=world.alice_case, actor=world.gina, request=ask(), now=at)
    assert not Escalation.objects.exists()
