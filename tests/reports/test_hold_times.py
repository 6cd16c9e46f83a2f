"""Hold time in the service-level report (C3, H1, I1; issue 13 item 1): the phone app's
calls, queued → answered, averaged per priority beside the targets, hand-computed; a range
without calls says "no calls recorded" rather than zero."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from casedesk.phone.services import call_answered, call_attach_case, call_ended, call_queued
from casedesk.reports.holdtimes import call_scope
from casedesk.reports.selectors import report_scope, service_levels

from .conftest import REPORT_NOW, at

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


def call(caller, queued, held_minutes, *, emergency=False, case=None):  # type: ignore[no-untyped-def]
    c = call_queued(now=queued, caller=caller, emergency=emergency)
    if case is not None:
        call_attach_case(call=c, case=case)
    if held_minutes is None:
        return call_ended(call=c, now=queued + dt.timedelta(minutes=3))
    return call_answered(call=c, engineer=None, now=queued + dt.timedelta(minutes=held_minutes))


@pytest.fixture
def calls(report_world):  # type: ignore[no-untyped-def]
    """Acme (London calendar), caller Alice:
    1. emergency, Sat 7 Nov 03:00 UTC, held 4 min: Production Down, 24/7 → met.
    2. emergency, Tue 10 Nov 10:00, held 7 min → missed (not under 5).
    3. about E (Medium), Tue 17 Nov 10:00 GMT (business hours), held 8 min → met (< 10).
    4. about E, Sun 1 Nov 12:00 (weekend), held 20 min → outside hours, no target.
    5. about F (Medium), Fri 25 Dec 10:00 (Christmas Day), held 15 min → no target.
    6. about no case, Wed 2 Dec 10:00, abandoned after 3 minutes → unanswered.
    Globex (Brazil), caller Gina: 7. emergency, Thu 3 Dec 10:00, held 2 min → met.
    Production Down: 4, 7, 2 → 13/3 min; Medium: 8, 20, 15 → 43/3 min."""
    rw = report_world
    alice, gina = rw.world.alice, rw.world.gina
    call(alice, at(2026, 11, 7, 3), 4, emergency=True)
    call(alice, at(2026, 11, 10, 10), 7, emergency=True)
    call(alice, at(2026, 11, 17, 10), 8, case=rw.e)
    call(alice, at(2026, 11, 1, 12), 20, case=rw.e)
    call(alice, at(2026, 12, 25, 10), 15, case=rw.f)
    call(alice, at(2026, 12, 2, 10), None)
    call(gina, at(2026, 12, 3, 10), 2, emergency=True)
    return rw


def hold_of(report):  # type: ignore[no-untyped-def]
    return {r.key: r.as_dict() for r in report.by_priority}


def test_hold_per_priority_beside_the_targets(calls):
    # R: C3, H1, I1
    manager = calls.world.manager
    report = service_levels(
        scope=report_scope(manager), start=START, end=END, period="month", now=REPORT_NOW,
        calls=call_scope(manager),
    )  # fmt: skip
    rows = hold_of(report)
    pd, medium, none = rows["production_down"], rows["medium"], rows["no_case"]
    assert pd["hold_avg_minutes"] == pytest.approx(13 / 3)
    assert (pd["hold_calls"], pd["hold_met"], pd["hold_missed"]) == (3, 2, 1)
    assert pd["hold_target_minutes"] == 5
    assert medium["hold_avg_minutes"] == pytest.approx(43 / 3)
    assert (medium["hold_met"], medium["hold_missed"], medium["hold_no_target"]) == (1, 0, 2)
    assert medium["hold_target_minutes"] == 10
    assert (none["hold_calls"], none["hold_unanswered"], none["hold_avg_minutes"]) == (1, 1, None)
    assert rows["low"]["hold"] == "no calls recorded"  # D and G: cases, but no calls
    assert report.hold_total.calls == 7
    # A contact: her organisation's calls only.
    gina = calls.world.gina
    theirs = service_levels(
        scope=report_scope(gina), start=START, end=END, period="month", now=REPORT_NOW,
        calls=call_scope(gina),
    )  # fmt: skip
    assert hold_of(theirs)["production_down"]["hold_avg_minutes"] == 2.0
    assert report.hold_note.startswith("from the phone app's 7 calls")
    # A range without calls says so.
    empty = service_levels(
        scope=report_scope(manager), start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
        period="month", now=REPORT_NOW, calls=call_scope(manager),
    )  # fmt: skip
    assert empty.hold_note == "no calls recorded from 2026-10-01 to 2026-10-31"


def test_console_and_portal_show_hold(client, calls):
    # R: C3, I1 (item 8)
    query = {"start": "2026-10-01", "end": "2026-12-31", "period": "month"}
    with time_machine.travel(REPORT_NOW, tick=False):
        client.force_login(calls.world.manager)
        page = client.get(reverse("console-report-sla"), query).content.decode()
        client.force_login(calls.world.gina)
        portal = client.get(reverse("portal-service")).content.decode()
    assert "4.3 min, 3 calls: 2 met / 1 missed (&lt; 5 min, 24/7)" in page
    assert "&lt; 10 min, business hours" in page
    assert "2.0 (&lt; 5)" in portal
