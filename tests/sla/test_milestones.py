"""SLA milestones on an injected clock (C3, C4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from casedesk.cases import services
from casedesk.cases.models import EventKind
from casedesk.core.errors import PolicyViolation
from casedesk.scheduling.services import worker_tick
from casedesk.sla.milestones import describe
from casedesk.sla.models import Milestone

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def tick(at):
    with time_machine.travel(at, tick=False):
        return worker_tick(worker="t", now=at)


def test_medium_root_cause_target_warning_and_breach(world):
    """Medium, London. All info Tue 24 Nov 2026 14:00 GMT; 12 business days → Thu 10 Dec 14:00.
    Warning at 3/4 of the 120 business hours (90 h): Tue 4 h + 8 days × 10 h = 84 h by Fri 4
    Dec 18:00, then 6 h on Mon 7 Dec → 14:00."""
    # R: C3, C4
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=start
    )
    milestone = Milestone.objects.get(case=case, kind="root_cause")
    assert milestone.target_at == dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert "12 business days" in milestone.reason
    text = describe(milestone, start)
    assert text.startswith("due in 12 business days") and "London time" in text
    assert tick(dt.datetime(2026, 12, 7, 13, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) == 1
    assert tick(dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC)) == 1
    milestone.refresh_from_db()
    assert milestone.warned_at and milestone.breached_at
    notes = case.events.filter(kind=EventKind.MILESTONE)
    assert [n.public for n in notes] == [False, False]
    assert "breached" in notes.last().body


def test_met_milestone_is_not_breached(world):
    # R: C3
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=start
    )
    services.case_mark_root_cause(
        case=case,
        actor=world.engineer,
        summary="Pacing bug in 9.2",
        now=start + dt.timedelta(days=3),
    )
    assert tick(dt.datetime(2026, 12, 31, tzinfo=UTC)) == 0
    milestone = Milestone.objects.get(case=case)
    assert milestone.met_at and not milestone.breached_at
    assert describe(milestone, start).startswith("met ")
    with pytest.raises(PolicyViolation, match="already"):
        services.case_mark_root_cause(
            case=case, actor=world.engineer, summary="again", now=start + dt.timedelta(days=4)
        )


def test_production_down_root_cause_starts_seven_day_fix_target(world):
    """PD: root cause within 7 business days; then fix within 7 × 24 elapsed hours (C9).
    Root cause Fri 23 Oct 2026 10:00 BST (09:00 UTC); clocks go back Sun 25 Oct, so the
    fix is due Fri 30 Oct 09:00 UTC = 09:00 GMT, an hour earlier on the wall clock."""
    # R: C3, C9, C1 (DST)
    case = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    services.case_mark_all_info_provided(
        case=case, actor=world.engineer, now=dt.datetime(2026, 10, 22, 9, 0, tzinfo=UTC)
    )
    services.case_mark_root_cause(
        case=case,
        actor=world.engineer,
        summary="Disk full",
        now=dt.datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
    )
    fix = Milestone.objects.get(case=case, kind="fix")
    assert fix.target_at == dt.datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    services.case_transition(
        case=case,
        actor=world.engineer,
        action="propose_solution",
        to="fixed_software_provided",
        reason="Hot fix 9.2.1.4",
        now=dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
    )
    fix.refresh_from_db()
    assert fix.met_at == dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_root_cause_needs_all_info_first(world):
    # R: C4
    with pytest.raises(PolicyViolation, match="all necessary information"):
        services.case_mark_root_cause(
            case=world.alice_case, actor=world.engineer, summary="x", now=world.now
        )
