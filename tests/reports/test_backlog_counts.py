"""The backlog's open cases counted by the database (issue 13 items 2, 8, 9, 10): the same
figures as counting each case in Python with ``age_band`` and ``status_group`` (the earlier
report), hand-computed over a small desk, per viewer's scope, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Q

from casedesk.accounts.models import Role
from casedesk.cases.models import ACTIVE_Q, Case
from casedesk.policy.regions import Region
from casedesk.reports.backlog import (
    AGE_BANDS,
    STATUS_GROUPS,
    age_band,
    backlog_report,
    open_counts,
    status_group,
)
from casedesk.reports.models import BacklogSnapshot, BacklogTotal
from casedesk.reports.selectors import GROUP_LABELS, priority_group, report_scope
from casedesk.reports.services import backlog_snapshot_take
from tests.factories import make_user

from .conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 12, 10, 12)


def python_counts(scope: Q, now: dt.datetime) -> dict[str, Counter[str]]:
    """The report before issue 13 item 10: every open case read and counted in Python."""
    counts: dict[str, Counter[str]] = {
        d: Counter() for d in ("age_band", "status_group", "priority", "region", "assignee")
    }
    regions = {r.value: r.label for r in Region}
    bands = {key: label for key, label, _ in AGE_BANDS}
    fields = ["region", "priority", "production_down", "status", "sub_status", "opened_at"]
    for c in Case.objects.filter(scope, ACTIVE_Q).values(*fields, "assignee__full_name"):
        counts["age_band"][bands[age_band(c["opened_at"], now)]] += 1
        counts["status_group"][STATUS_GROUPS[status_group(c["status"], c["sub_status"])]] += 1
        counts["priority"][GROUP_LABELS[priority_group(c["priority"], c["production_down"])]] += 1
        counts["region"][regions.get(c["region"], c["region"])] += 1
        counts["assignee"][c["assignee__full_name"] or "Unassigned"] += 1
    return counts


def put(case: Case, **fields) -> Case:  # type: ignore[no-untyped-def]
    Case.objects.filter(pk=case.pk).update(**fields)
    return case


@pytest.fixture
def backlog_desk(world):  # type: ignore[no-untyped-def]
    """Acme (EMEA): A open/investigation Medium, Eve's, 1 d 23:59 old; C awaiting info High,
    nobody's, exactly 2 days old; E solution proposed Low, Eve's, 30 days and a second; X
    resolved (not open). Globex (Brazil): G Production Down waiting on a third party, Rui's,
    91 days; H open/engineering request Medium, nobody's, 31 days."""
    rui = make_user("rui@support.example", role=Role.ENGINEER, region="brazil")
    eve = world.engineer
    put(world.alice_case, status="open", sub_status="investigation", priority="medium",
        assignee=eve, opened_at=NOW - dt.timedelta(days=1, hours=23, minutes=59))  # fmt: skip
    put(world.carol_case, status="awaiting_info", sub_status="info_required", priority="high",
        assignee=None, opened_at=NOW - dt.timedelta(days=2))  # fmt: skip
    put(world.gina_case, status="open", sub_status="third_party_pending", priority="critical",
        production_down=True, assignee=rui, opened_at=NOW - dt.timedelta(days=91))  # fmt: skip
    e = put(world.open_case(world.alice, subject="E"), status="solution_proposed",
            sub_status="replied", priority="low", assignee=eve,
            opened_at=NOW - dt.timedelta(days=30, seconds=1))  # fmt: skip
    put(world.open_case(world.alice, subject="X"), status="resolved", sub_status="",
        opened_at=NOW - dt.timedelta(days=3))  # fmt: skip
    h = put(world.open_case(world.gina, subject="H"), status="open",
            sub_status="engineering_request", priority="medium", assignee=None,
            opened_at=NOW - dt.timedelta(days=31))  # fmt: skip
    assert e.region == "emea" and h.region == "brazil"  # the contract's region
    return world, rui


def test_database_counts_match_hand_counts(backlog_desk):
    # R: I1 — issue 13 items 2 and 9.
    counts = open_counts(Q(), NOW)
    assert dict(counts["age_band"]) == {
        "up to 1 day": 1, "2–7 days": 1, "8–30 days": 1, "31–90 days": 1, "over 90 days": 1,
    }  # fmt: skip
    assert dict(counts["status_group"]) == {
        "Waiting on support": 1, "Waiting on the customer": 2, "Waiting on a third party": 2,
    }  # fmt: skip
    assert dict(counts["priority"]) == {"Production Down": 1, "High": 1, "Medium": 2, "Low": 1}
    assert dict(counts["region"]) == {"Europe, Middle East & Africa": 3, "Brazil": 2}
    assert dict(counts["assignee"]) == {"Eve": 2, "Rui": 1, "Unassigned": 2}
    report = backlog_report(scope=Q(), start=NOW.date(), end=NOW.date(), now=NOW)
    assert report.total == 5
    assert report.by_dimension["priority"] == [
        ("Production Down", 1), ("Critical", 0), ("High", 1), ("Medium", 2), ("Low", 1),
    ]  # fmt: skip
    assert report.by_dimension["assignee"] == [("Eve", 2), ("Unassigned", 2), ("Rui", 1)]


@pytest.mark.parametrize(
    "shift",
    [dt.timedelta(0), dt.timedelta(minutes=1), dt.timedelta(seconds=-1), dt.timedelta(days=1),
     dt.timedelta(days=60, hours=1), dt.timedelta(days=-3)],
)  # fmt: skip
def test_database_counts_equal_the_python_count_at_every_band_edge(backlog_desk, shift):
    # R: I1 — a second either side of each floor lands every case on an edge in turn.
    world, rui = backlog_desk
    now = NOW + shift
    for user in (world.manager, world.engineer, rui, world.alice, world.gina):
        scope = report_scope(user)
        assert open_counts(scope, now) == python_counts(scope, now), user.email


def test_each_viewer_counts_only_her_scope(backlog_desk):
    # R: I1, A4 — issue 13 item 8: managers all; engineers their region's and their own; a
    # contact her organisation's, never another's.
    world, rui = backlog_desk

    def total(user):  # type: ignore[no-untyped-def]
        scope = report_scope(user)
        report = backlog_report(scope=scope, start=NOW.date(), end=NOW.date(), now=NOW)
        return report.total, dict(report.by_dimension["region"])

    assert total(world.manager) == (5, {"Europe, Middle East & Africa": 3, "Brazil": 2})
    assert total(rui) == (2, {"Brazil": 2})  # Brazil's G (his own too) and H
    assert total(world.engineer) == (2, {"Europe, Middle East & Africa": 2})  # her own A and E
    assert total(world.alice) == (3, {"Europe, Middle East & Africa": 3})  # Acme's A, C, E
    assert total(world.gina) == (2, {"Brazil": 2})  # Globex's G and H


def test_the_trend_reads_coarse_totals_unscoped_and_cells_scoped(backlog_desk):
    # R: I1 — issue 13 item 10: a manager's trend sums the day's few coarse rows, a scoped
    # viewer's the cells her scope filters; both give the recorded figures.
    world, rui = backlog_desk
    day = NOW.date()
    assert backlog_snapshot_take(day=day, at=NOW) == 5
    totals = {
        (t.region, t.priority, t.status_group, t.age_band): t.count
        for t in BacklogTotal.objects.filter(day=day)
    }
    assert totals[("emea", "medium", "support", "0-1")] == 1
    assert totals[("brazil", "production_down", "third_party", "90+")] == 1
    assert sum(totals.values()) == 5
    # Planted: were the manager's trend read from the cells, this extra cell would show.
    BacklogSnapshot.objects.create(
        day=day, region="emea", priority="low", status_group="support", age_band="0-1",
        organisation=world.acme, count=100,
    )  # fmt: skip

    def trend(user):  # type: ignore[no-untyped-def]
        return backlog_report(scope=report_scope(user), start=day, end=day, now=NOW).trend

    assert trend(world.manager) == [(day, 5)]
    assert trend(world.gina) == [(day, 2)]
    assert trend(rui) == [(day, 2)]
    assert trend(world.alice) == [(day, 103)]
    BacklogTotal.objects.filter(day=day).delete()
    assert trend(world.manager) == []  # a day without totals is not recomputed
