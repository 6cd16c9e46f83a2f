"""Automated follow-up (C5) through durable deadlines and the worker, on an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from casedesk.cases import services
from casedesk.cases.models import Case, EventKind
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.services import worker_tick

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def tick(at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return worker_tick(worker="test-worker", now=at)


def followups(case: Case) -> list[str]:
    return list(case.events.filter(kind=EventKind.FOLLOW_UP).values_list("body", flat=True))


def request_info(world, case, at):
    return services.case_transition(
        case=case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the dialer log",
        now=at,
    )


def test_ladder_reminds_at_2_and_5_and_closes_at_10_business_days(world):
    """London (EMEA), no holidays in the span. Request Tue 24 Nov 2026 14:00 GMT.

    +2 business days: Thu 26 Nov 14:00; +5: Tue 1 Dec 14:00; +10: Tue 8 Dec 14:00 (UTC = GMT).
    """
    # R: C5, B6
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    case = request_info(world, world.alice_case, start)
    assert tick(dt.datetime(2026, 11, 26, 13, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC)) == 1
    assert tick(dt.datetime(2026, 11, 26, 14, 5, tzinfo=UTC)) == 0  # never twice
    assert [b[:11] for b in followups(case)] == ["Reminder #1"]
    assert tick(dt.datetime(2026, 12, 1, 13, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)) == 1
    assert tick(dt.datetime(2026, 12, 8, 13, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 12, 8, 14, 0, tzinfo=UTC)) == 1
    case.refresh_from_db()
    assert case.is_closed and case.closed_by_followup
    assert case.close_reason == "no_response_after_followups" and case.sub_status == "resolved"
    assert case.closed_at == dt.datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert len(followups(case)) == 3
    pending = Deadline.objects.filter(case=case, state=DeadlineState.PENDING)
    # Only the retention purge (C7) waits now: 30 days after closure.
    assert [(d.kind, d.due_at) for d in pending] == [
        ("files.purge", dt.datetime(2027, 1, 7, 14, 0, tzinfo=UTC))
    ]


def test_customer_response_stops_and_next_request_restarts(world):
    """Request Tue 24 Nov 14:00; reminder #1 Thu 26 Nov 14:00; customer answers Fri 27 Nov 10:00
    (timer stops); engineer proposes a solution Mon 30 Nov 09:00 → new ladder: #1 Wed 2 Dec
    09:00, and nothing of the old ladder (Tue 1 Dec 14:00) fires."""
    # R: C5, B5
    case = request_info(world, world.alice_case, dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    assert tick(dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC)) == 1
    services.case_add_update(
        case=case,
        actor=world.alice,
        body="Log attached",
        now=dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    )
    case.refresh_from_db()
    assert case.sub_status == "customer_responded" and case.waiting_since is None
    assert tick(dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)) == 0
    services.case_transition(
        case=case,
        actor=world.engineer,
        action="propose_solution",
        to="replied",
        reason="Raise the pacing ratio",
        now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )
    assert tick(dt.datetime(2026, 12, 2, 8, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)) == 1
    assert len(followups(case)) == 2


def test_production_down_is_never_followed_up_but_critical_is(world):
    # R: C5, B3
    down = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    critical = world.open_case(world.alice, priority="critical")
    at = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    request_info(world, down, at)
    request_info(world, critical, at)
    assert not Deadline.objects.filter(case=down, kind="followup").exists()
    assert Deadline.objects.filter(case=critical, state=DeadlineState.PENDING).count() == 1
    services.case_change_priority(
        case=critical,
        actor=world.engineer,
        priority="critical",
        production_down=True,
        emergency_criterion="core_mission",
        reason="Site cannot dial out",
        now=at,
    )
    assert not Deadline.objects.filter(case=critical, state=DeadlineState.PENDING).exists()
    assert tick(dt.datetime(2026, 12, 31, tzinfo=UTC)) == 0


def test_brazil_carnival_is_not_a_business_day(world):
    """Globex is served from São Paulo (UTC-3, no DST since 2019). Request Fri 13 Feb 2026
    15:00 local (18:00 UTC). Carnival Mon 16 + Tue 17 Feb are holidays, so business day 1 is
    Wed 18, day 2 is Thu 19: reminder #1 Thu 19 Feb 15:00 local = 18:00 UTC."""
    # R: C1, C5
    case = request_info(world, world.gina_case, dt.datetime(2026, 2, 13, 18, 0, tzinfo=UTC))
    assert tick(dt.datetime(2026, 2, 17, 18, 0, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 2, 19, 17, 59, tzinfo=UTC)) == 0
    assert tick(dt.datetime(2026, 2, 19, 18, 0, tzinfo=UTC)) == 1
    assert followups(case)[0].startswith("Reminder #1")


def test_closed_by_followup_reopens_by_phone_only(world):
    # R: B7, C5
    case = request_info(world, world.alice_case, dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    for day in (26, 1, 8):
        month = 11 if day == 26 else 12
        tick(dt.datetime(2026, month, day, 14, 0, tzinfo=UTC))
    case.refresh_from_db()
    from casedesk.core.errors import PolicyViolation

    with pytest.raises(PolicyViolation, match="call support"):
        services.case_reopen(
            case=case,
            actor=world.alice,
            information="back from leave",
            now=dt.datetime(2026, 12, 9, tzinfo=UTC),
        )
    reopened = services.case_reopen(
        case=case,
        actor=world.engineer,
        information="phoned in",
        now=dt.datetime(2026, 12, 9, tzinfo=UTC),
    )
    assert reopened.status == "open"


def test_failing_handler_backs_off_and_does_not_block_others(world, monkeypatch):
    # R: C5 — architecture convention 4: a failure records its error and backs off.
    from casedesk.scheduling import registry

    at = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    request_info(world, world.alice_case, at)
    request_info(world, world.carol_case, at + dt.timedelta(minutes=1))
    original = registry.HANDLERS["followup"]
    broken_case = world.alice_case.pk

    def flaky(deadline, now):
        if deadline.case_id == broken_case:
            raise RuntimeError("SMTP down")
        return original(deadline, now)

    monkeypatch.setitem(registry.HANDLERS, "followup", flaky)
    due = dt.datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
    assert tick(due) == 1  # carol's ran; alice's failed
    failed = Deadline.objects.get(case=world.alice_case, state=DeadlineState.PENDING)
    assert "SMTP down" in failed.last_error and failed.due_at > due
    assert failed.attempts == 1
    monkeypatch.setitem(registry.HANDLERS, "followup", original)
    assert tick(failed.due_at) == 1
    assert len(followups(world.alice_case)) == 1
