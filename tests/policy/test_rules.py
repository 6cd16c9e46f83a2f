"""Pure access, re-open and priority rules (A5, B3, B7, B8)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from casedesk.policy.maintenance import GraceWindow, maintenance_decision
from casedesk.policy.priority import (
    PHONE_FOR_HIGHER,
    EmergencyCriterion,
    Priority,
    priority_change_decision,
    production_down_decision,
)
from casedesk.policy.reopen import reopen_decision
from casedesk.policy.transitions import Actor

TODAY = dt.date(2026, 11, 25)
CLOSED = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)


@given(st.integers(min_value=-400, max_value=400))
def test_maintenance_paid_through_today_or_later(offset):
    # R: A5
    paid = TODAY + dt.timedelta(days=offset)
    verdict = maintenance_decision(paid_through=paid, today=TODAY)
    assert bool(verdict) == (offset >= 0)
    if not verdict:
        assert "Accounts Receivable" in verdict.reason


def test_grace_period_covers_its_days_only():
    # R: A5 — one grace period per disputed invoice.
    grace = [GraceWindow("INV-7", TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=2))]
    lapsed = TODAY - dt.timedelta(days=40)
    assert maintenance_decision(paid_through=lapsed, today=TODAY, grace=grace)
    after = TODAY + dt.timedelta(days=3)
    assert not maintenance_decision(paid_through=lapsed, today=after, grace=grace)
    assert "INV-7" in maintenance_decision(paid_through=lapsed, today=TODAY, grace=grace).reason


@given(st.integers(min_value=0, max_value=60 * 24 * 60))
def test_reopen_window_is_30_days(minutes):
    # R: B7
    now = CLOSED + dt.timedelta(minutes=minutes)
    verdict = reopen_decision(
        actor=Actor.CONTACT,
        closed_at=CLOSED,
        now=now,
        closed_by_followup=False,
        new_information="New logs attached",
    )
    assert bool(verdict) == (now <= CLOSED + dt.timedelta(days=30))


def test_reopen_needs_new_information_and_phone_after_followup_close():
    # R: B7
    now = CLOSED + dt.timedelta(days=2)
    assert not reopen_decision(
        actor=Actor.CONTACT,
        closed_at=CLOSED,
        now=now,
        closed_by_followup=False,
        new_information="  ",
    )
    by_portal = reopen_decision(
        actor=Actor.CONTACT,
        closed_at=CLOSED,
        now=now,
        closed_by_followup=True,
        new_information="It happened again",
    )
    assert not by_portal and "call support" in by_portal.reason
    assert reopen_decision(
        actor=Actor.SUPPORT,
        closed_at=CLOSED,
        now=now,
        closed_by_followup=True,
        new_information="Customer phoned",
    )


@given(st.sampled_from(list(Priority)), st.sampled_from(list(Priority)))
def test_contacts_only_raise_low_to_medium(current, requested):
    # R: B8
    verdict = priority_change_decision(
        actor=Actor.CONTACT, current=current, requested=requested, reason="work note"
    )
    assert bool(verdict) == (current is Priority.LOW and requested is Priority.MEDIUM)
    if requested in (Priority.HIGH, Priority.CRITICAL) and current is not requested:
        assert verdict.reason == PHONE_FOR_HIGHER


def test_support_changes_any_priority_with_a_reason():
    # R: B8 — every change keeps its reason.
    assert priority_change_decision(
        actor=Actor.SUPPORT, current=Priority.LOW, requested=Priority.CRITICAL, reason="phone call"
    )
    assert not priority_change_decision(
        actor=Actor.SUPPORT, current=Priority.LOW, requested=Priority.HIGH, reason=""
    )


@given(
    st.sampled_from(list(Priority)),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(list(EmergencyCriterion))),
)
def test_production_down_needs_critical_and_a_criterion(priority, flag, criterion):
    # R: B3
    verdict = production_down_decision(priority=priority, production_down=flag, criterion=criterion)
    expected = (not flag and criterion is None) or (
        flag and priority is Priority.CRITICAL and criterion is not None
    )
    assert bool(verdict) == expected
