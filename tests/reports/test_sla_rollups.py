"""Stored service-level cells (I1, C3; issue 13 items 1, 8, 10; ADR 0008): a figure is the
same whether its opening days were stored by the nightly run or computed live, a milestone
settled later reaches the stored figure after the next night, and a viewer's scope applies
to stored cells as it does to cases."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse

from casedesk.cases import services
from casedesk.reports import selectors, slrollups
from casedesk.reports.models import SlaCell, SlaDay
from casedesk.reports.selectors import missed_milestones, report_scope, service_levels
from casedesk.reports.services import run_rollup
from casedesk.reports.slrollups import sla_backfill, sla_nightly

from .conftest import REPORT_NOW, at

pytestmark = pytest.mark.django_db
NOON = at(2027, 1, 5, 12)
FIRST, LAST = dt.date(2026, 10, 1), dt.date(2027, 1, 3)  # LAST: the day before REPORT_NOW


def figures(scope, now=REPORT_NOW, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)):
    report = service_levels(scope=scope, start=start, end=end, period="week", now=now)
    return {
        "priority": [r.as_dict() for r in report.by_priority],
        "region": [r.as_dict() for r in report.by_region],
        "group": [r.as_dict() for r in report.by_product_group],
        "trend": report.trend,
        "total": report.total.as_dict(),
    }


@pytest.fixture
def live_days(monkeypatch):  # type: ignore[no-untyped-def]
    """The opening days the report computed live (the rest came from stored cells)."""
    seen: list[dt.date] = []
    real = slrollups.sla_cells

    def spy(days, scope=None):  # type: ignore[no-untyped-def]
        seen.extend(days)
        return real(days, scope)

    monkeypatch.setattr(slrollups, "sla_cells", spy)
    return seen


def scopes(rw):  # type: ignore[no-untyped-def]
    w = rw.world
    return {
        "manager": report_scope(w.manager),
        "rui": report_scope(rw.rio),
        "eve": report_scope(w.engineer),
        "alice": report_scope(w.alice),
        "gina": report_scope(w.gina),
    }


def test_stored_cells_give_the_same_figures_as_live(report_world, live_days):
    # Every viewer's figures (manager: the coarse cube; the others: the case grain).
    before = {name: figures(scope) for name, scope in scopes(report_world).items()}
    assert live_days  # nothing stored yet: all live
    rows = sla_backfill(FIRST, LAST, now=REPORT_NOW)
    assert rows == SlaCell.objects.count() > 0
    assert SlaDay.objects.count() == (LAST - FIRST).days + 1
    assert set(SlaCell.objects.values_list("grain", flat=True)) == {"all", "case"}
    live_days.clear()
    after = {name: figures(scope) for name, scope in scopes(report_world).items()}
    assert live_days == []  # every day of the range came from the stored cells
    assert after == before
    pd = next(r for r in after["manager"]["priority"] if r["key"] == "production_down")
    assert (pd["root_cause_avg_days"], pd["root_cause_p90_days"]) == (7.5, 8)
    assert (pd["fix_avg_days"], pd["fix_p90_days"], pd["outage_avg_hours"]) == (5.0, 8.0, 5.0)


def test_scopes_apply_to_stored_cells(report_world, live_days):
    # R: I1 item 8 — an engineer his region's and own, a contact her organisation's only.
    sla_backfill(FIRST, LAST, now=REPORT_NOW)
    live_days.clear()
    s = scopes(report_world)
    totals = {name: figures(scope)["total"]["cases"] for name, scope in s.items()}
    assert live_days == []
    assert totals == {"manager": 9, "rui": 3, "eve": 0, "alice": 7, "gina": 2}
    regions = {r["key"] for r in figures(s["alice"])["region"]}
    assert "brazil" not in regions  # Globex's Brazil case never reaches Acme's contact


def test_a_case_changed_after_the_rollup_is_counted_live_then_stored_at_night(report_world):
    rw = report_world
    sla_backfill(FIRST, LAST, now=REPORT_NOW)
    # Rui takes over C (Acme, EMEA) the next morning: his "own" scope now holds it.
    later = at(2027, 1, 5, 9)
    services.case_assign(case=rw.c, actor=rw.world.manager, assignee=rw.rio, now=later)
    rui = report_scope(rw.rio)
    assert figures(rui, now=later)["total"]["cases"] == 4  # C's day is dirty: computed live
    stale = SlaCell.objects.filter(grain="case", assignee=rw.rio, day=dt.date(2026, 11, 2))
    assert not stale.exists()  # the stored cells still say C was nobody's
    new, dirty = sla_nightly(now=at(2027, 1, 6, 0, 10))
    assert dirty == {dt.date(2026, 11, 2)}
    assert new == [dt.date(2027, 1, 4), dt.date(2027, 1, 5)]
    assert stale.filter(metric="cases").get().count == 1
    assert figures(rui, now=at(2027, 1, 6, 1))["total"]["cases"] == 4


def test_a_milestone_settled_later_changes_the_stored_figure_after_the_nightly_run(
    report_world, live_days
):
    rw = report_world
    sla_backfill(FIRST, LAST, now=REPORT_NOW)
    manager = Q()
    g_day = dt.date(2026, 12, 30)
    low = next(r for r in figures(manager)["priority"] if r["key"] == "low")
    assert (low["milestones_running"], low["root_cause_avg_days"]) == (1, None)
    # G's root cause is found on Tue 5 Jan 2027, after the rollup stored its day.
    services.case_mark_root_cause(
        case=rw.g, actor=rw.world.engineer, summary="Found", now=at(2027, 1, 5, 12)
    )
    live_days.clear()
    now = at(2027, 1, 5, 13)
    low = next(r for r in figures(manager, now=now)["priority"] if r["key"] == "low")
    assert g_day in live_days  # dirty since the rollup
    assert (low["milestones_met"], low["milestones_running"]) == (1, 0)
    met_days = low["root_cause_avg_days"]
    assert not SlaCell.objects.filter(day=g_day, metric="root_cause").exists()  # not yet
    run_rollup(None, at(2027, 1, 6, 0, 10))  # the nightly deadline
    stored = SlaCell.objects.filter(day=g_day, metric="root_cause", grain="all").get()
    assert (stored.value, stored.count) == (met_days, 1)
    assert not SlaCell.objects.filter(day=g_day, metric="pending").exists()
    live_days.clear()
    again = figures(manager, now=at(2027, 1, 6, 1))
    assert g_day not in live_days
    assert next(r for r in again["priority"] if r["key"] == "low") == low


def test_a_running_milestone_turns_missed_at_its_target_without_any_event(report_world):
    # G's root cause is due in late January; the stored "pending" cell carries its target
    # so the reader calls it missed once that passes, as the live count does.
    sla_backfill(FIRST, LAST, now=REPORT_NOW)
    feb = at(2027, 2, 15, 12)
    stored = figures(Q(), now=feb)
    low = next(r for r in stored["priority"] if r["key"] == "low")
    assert (low["milestones_running"], low["milestones_missed"]) == (0, 1)
    SlaDay.objects.all().delete()  # everything live
    assert figures(Q(), now=feb) == stored


def test_nightly_run_stores_new_days_and_marks_the_others_fresh(report_world):
    sla_nightly(now=at(2027, 1, 4, 0, 10))  # fresh install: yesterday only
    assert list(SlaDay.objects.values_list("day", flat=True)) == [dt.date(2027, 1, 3)]
    sla_backfill(FIRST, dt.date(2027, 1, 2), now=at(2027, 1, 4, 1))
    new, dirty = sla_nightly(now=at(2027, 1, 5, 0, 10))
    assert (new, dirty) == ([dt.date(2027, 1, 4)], set())
    fresh = set(SlaDay.objects.values_list("fresh_at", flat=True))
    assert fresh == {at(2027, 1, 5, 0, 0)}  # the run's time less the margin
    with pytest.raises(ValueError):
        slrollups.sla_rollup_days([dt.date(2027, 1, 5)], now=at(2027, 1, 5, 12), fresh_at=NOON)


def test_backfill_command(report_world, capsys):
    with time_machine.travel(REPORT_NOW, tick=False):
        call_command(
            "reports_rollup", "--start", "2026-11-01", "--end", "2026-11-30", "--only", "sla"
        )
    assert SlaDay.objects.count() == 30
    assert "service-level rows" in capsys.readouterr().out


def test_misses_are_bounded_and_paged(report_world):
    rw = report_world
    seen, after = [], None
    for _ in range(4):
        page, more = missed_milestones(
            scope=Q(), start=FIRST, end=LAST, now=REPORT_NOW, after=after, limit=1
        )
        seen += [(m.number, m.kind) for m in page]
        if not more:
            break
        after = (page[-1].case_id, page[-1].kind)
    # Newest opened first: D (9 Nov), then C (2 Nov) fix before root cause; no repeats.
    assert seen == [
        (rw.d.number, "root_cause"),
        (rw.c.number, "fix"),
        (rw.c.number, "root_cause"),
    ]
    rui, _ = missed_milestones(scope=report_scope(rw.rio), start=FIRST, end=LAST, now=REPORT_NOW)
    assert rui == []  # C and D are EMEA's and not his


def test_page_lists_misses_a_page_at_a_time(client, report_world, monkeypatch):
    rw = report_world
    monkeypatch.setattr(selectors, "MISSES_SHOWN", 2)
    url = reverse("console-report-sla")
    query = {"start": "2026-10-01", "end": "2026-12-31", "period": "month"}
    with time_machine.travel(REPORT_NOW, tick=False):
        client.force_login(rw.world.manager)
        first = client.get(url, query).content.decode()
        more = re.search(r'href="\?([^"]+)#miss-title">More missed milestones', first)
        assert more is not None
        second = client.get(f"{url}?{html.unescape(more[1])}").content.decode()
        bad = client.get(url, {**query, "misses_after": "1; DROP TABLE"})
    d_link = reverse("console-case-detail", args=[rw.d.number])
    c_link = reverse("console-case-detail", args=[rw.c.number])
    assert d_link in first and c_link in first  # D's root cause, C's fix
    assert c_link in second and d_link not in second  # C's root cause
    assert "More missed milestones" not in second
    assert bad.status_code == 400
    assert "That link to more missed milestones is not valid." in bad.content.decode()
