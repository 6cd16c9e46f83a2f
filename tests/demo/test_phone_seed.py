"""The demo's phone desk and cutovers (issue 14): a day of calls with holds, live callers,
upcoming cutovers; seeding twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.demo.seed import seed_demo
from casedesk.obligations.models import CutoverNotice
from casedesk.phone import selectors
from casedesk.phone.models import Call
from casedesk.policy.holdtime import HoldVerdict

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def test_demo_seeds_calls_with_hold_times_and_upcoming_cutovers():
    assert seed_demo(now=NOW)
    ended = Call.objects.filter(ended_at__isnull=False)
    assert ended.count() == 18
    verdicts = {selectors.call_hold(c).verdict for c in ended}
    assert {HoldVerdict.MET, HoldVerdict.BREACHED} <= verdicts
    assert ended.filter(caller__isnull=True).exists() and ended.filter(emergency=True).exists()
    assert ended.filter(cases__isnull=False).exists()
    live = selectors.live_calls()
    assert len(live) == 2 and live[0].emergency
    notices = CutoverNotice.objects.all()
    assert notices.count() == 2 and all(n.cutover_start > NOW for n in notices)
    assert any(n.cutover_start.weekday() == 5 for n in notices)
    assert seed_demo(now=NOW) is False
    assert Call.objects.count() == 20 and CutoverNotice.objects.count() == 2


def test_demo_seeds_site_work():
    # R: G1, G4, G6 — issue 14 item 8.
    from casedesk.sitework.models import CutoverDiagram, ScopeRouting, SiteVisit, VisitState

    assert seed_demo(now=NOW)
    assert CutoverDiagram.objects.count() == 1
    states = sorted(SiteVisit.objects.values_list("state", flat=True))
    assert states == [VisitState.APPROVED, VisitState.REQUESTED]
    approved = SiteVisit.objects.get(state=VisitState.APPROVED)
    assert approved.charge == approved.travel_cost + approved.daily_rate * approved.days > 0
    routing = ScopeRouting.objects.get()
    assert routing.case.is_closed and routing.route_to == "Professional Services"
