"""Service-level figures against hand-computed values (I1, C3; issue 13 items 1, 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from casedesk.reports.periods import p90
from casedesk.reports.selectors import report_scope, service_levels

from .conftest import REPORT_NOW

pytestmark = pytest.mark.django_db


def run(scope=None, period="month", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)):
    return service_levels(
        scope=scope if scope is not None else Q(),
        start=start,
        end=end,
        period=period,
        now=REPORT_NOW,
    )


def by_key(rows):
    return {r.key: r.as_dict() for r in rows}


def test_p90_is_the_nearest_rank():
    assert p90([]) is None
    assert p90([7, 8]) == 8
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 12))) == 10


def test_production_down_row(report_world):
    """B (DST: met on 7 business days, 2-day fix, 4 h outage) and C (8 and 8 days late, 6 h)."""
    pd = by_key(run().by_priority)["production_down"]
    assert pd["label"] == "Production Down"
    assert pd["cases"] == 2
    assert (pd["root_cause_avg_days"], pd["root_cause_p90_days"]) == (7.5, 8)
    assert (pd["fix_avg_days"], pd["fix_p90_days"]) == (5.0, 8.0)
    assert pd["outage_avg_hours"] == 5.0
    assert (pd["root_cause_target_days"], pd["fix_target_days"]) == (7, 7)
    assert pd["outage_target_hours"] == 0.5
    assert (pd["milestones_met"], pd["milestones_missed"], pd["milestones_running"]) == (2, 2, 0)
    assert pd["met_share"] == 0.5
    assert pd["hold"] == "no calls recorded"


def test_priority_change_counts_against_the_new_target(report_world):
    """D was raised Low → High: 10 business days misses High's 9 (Low's 15 would be met)."""
    high = by_key(run().by_priority)["high"]
    assert high["cases"] == 1
    assert high["root_cause_avg_days"] == 10
    assert high["root_cause_target_days"] == 9
    assert (high["milestones_met"], high["milestones_missed"]) == (0, 1)
    assert "low" in by_key(run().by_priority)  # G only
    assert by_key(run().by_priority)["low"]["cases"] == 1


def test_reopened_and_holiday_cases_in_medium(report_world):
    """E (re-opened, 4 days) and F (over Christmas, 4 days), plus the world's three cases."""
    medium = by_key(run().by_priority)["medium"]
    assert medium["cases"] == 5
    assert (medium["root_cause_avg_days"], medium["root_cause_p90_days"]) == (4, 4)
    assert (medium["milestones_met"], medium["milestones_missed"]) == (2, 0)
    assert medium["milestones_not_applicable"] == 0
    assert medium["fix_avg_days"] is None


def test_running_milestone_and_order(report_world):
    report = run()
    assert [r.key for r in report.by_priority] == ["production_down", "high", "medium", "low"]
    low = by_key(report.by_priority)["low"]
    assert (low["milestones_running"], low["running_share"]) == (1, 1.0)
    total = report.total
    assert (total.cases, total.met, total.missed, total.running) == (9, 4, 3, 1)


def test_regions_and_product_groups(report_world):
    report = run()
    regions = by_key(report.by_region)
    assert (regions["emea"]["cases"], regions["brazil"]["cases"]) == (7, 2)
    assert regions["brazil"]["label"] == "Brazil"
    assert regions["brazil"]["milestones_running"] == 1
    groups = by_key(report.by_product_group)
    assert groups["Contact Centre"]["cases"] == 9


def test_trend_by_month_and_week(report_world):
    report = run()
    assert report.trend == [
        (dt.date(2026, 10, 1), 1, 0),
        (dt.date(2026, 11, 1), 6, 3),
        (dt.date(2026, 12, 1), 2, 0),
    ]
    weeks = run(period="week", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 15)).trend
    assert [w[0] for w in weeks] == [
        dt.date(2026, 10, 26),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
    ]
    assert [w[1] for w in weeks] == [0, 1, 1]


def test_misses_are_listed(report_world):
    misses = run().misses
    got = sorted((m.number, m.kind) for m in misses)
    rw = report_world
    assert got == sorted(
        [(rw.c.number, "root_cause"), (rw.c.number, "fix"), (rw.d.number, "root_cause")]
    )


def test_range_selects_by_opening_day(report_world):
    report = run(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 21))
    assert report.total.cases == 1  # F only


def test_scopes(report_world):
    rw = report_world
    w = rw.world
    assert report_scope(w.manager) == Q()
    # Rui works Brazil and holds B: Brazil's two cases and his own.
    rui = run(report_scope(rw.rio))
    assert rui.total.cases == 3
    assert {r.key for r in rui.by_region} == {"brazil", "emea"}
    # Eve has no region and holds nothing: no figures.
    assert run(report_scope(w.engineer)).total.cases == 0
    # A contact: her organisation's cases only, never Globex's.
    acme = run(report_scope(w.alice))
    assert acme.total.cases == 7
    assert "brazil" not in {r.key for r in acme.by_region}
    gina = run(report_scope(w.gina))
    assert gina.total.cases == 2
