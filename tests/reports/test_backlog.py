"""Backlog report and the nightly snapshots the worker keeps (I1; issue 13 items 2, 8, 9)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db.models import Q
from django.urls import reverse

from casedesk.accounts.models import Role
from casedesk.cases import services
from casedesk.reports.backlog import age_band, backlog_report, status_group
from casedesk.reports.models import BacklogSnapshot
from casedesk.reports.selectors import report_scope
from casedesk.reports.services import SNAPSHOT_KIND, backlog_snapshot_ensure
from casedesk.scheduling.models import Deadline
from casedesk.scheduling.services import worker_tick
from tests.factories import make_user

from .conftest import at

pytestmark = pytest.mark.django_db


def tick(when):
    with time_machine.travel(when, tick=False):
        return worker_tick(worker="t", now=when)


def snapshot_total(day):
    return sum(BacklogSnapshot.objects.filter(day=day).values_list("count", flat=True))


def test_age_bands_and_status_groups():
    opened = at(2026, 11, 24, 14)
    assert age_band(opened, at(2026, 11, 25, 13)) == "0-1"
    assert age_band(opened, at(2026, 11, 26, 14)) == "2-7"
    assert age_band(opened, at(2026, 12, 2, 14)) == "8-30"
    assert age_band(opened, at(2027, 2, 22, 14)) == "31-90"  # 90 days
    assert age_band(opened, at(2027, 2, 23, 14)) == "90+"  # 91 days
    assert status_group("open", "investigation") == "support"
    assert status_group("awaiting_info", "info_required") == "customer"
    assert status_group("solution_proposed", "replied") == "customer"
    assert status_group("open", "third_party_pending") == "third_party"


def test_worker_keeps_one_snapshot_a_day_and_history_stays(world):
    """Three cases open since Tue 24 Nov 14:00. The Dec 1 run records them; closing one on
    Dec 2 changes Dec 2's row, never Dec 1's."""
    backlog_snapshot_ensure(now=at(2026, 12, 1, 10))
    backlog_snapshot_ensure(now=at(2026, 12, 1, 11))  # idempotent
    assert Deadline.objects.filter(kind=SNAPSHOT_KIND).count() == 1
    tick(at(2026, 12, 2, 0, 4))
    assert not BacklogSnapshot.objects.exists()  # not due yet
    tick(at(2026, 12, 2, 0, 5))
    assert snapshot_total(dt.date(2026, 12, 1)) == 3
    rows = BacklogSnapshot.objects.filter(day=dt.date(2026, 12, 1))
    assert {(r.age_band, r.status_group, r.priority) for r in rows} == {
        ("2-7", "support", "medium")
    }
    nxt = Deadline.objects.get(kind=SNAPSHOT_KIND, state="pending")
    assert nxt.due_at == at(2026, 12, 3, 0, 5)

    services.case_transition(
        case=world.gina_case,
        actor=world.engineer,
        action="close",
        to="cancelled",
        reason="Duplicate",
        close_reason="duplicate",
        now=at(2026, 12, 2, 9),
    )
    tick(at(2026, 12, 3, 0, 5))
    assert snapshot_total(dt.date(2026, 12, 2)) == 2
    assert snapshot_total(dt.date(2026, 12, 1)) == 3
    report = backlog_report(
        scope=Q(), start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 31), now=at(2026, 12, 3, 1)
    )
    assert report.trend == [(dt.date(2026, 12, 1), 3), (dt.date(2026, 12, 2), 2)]
    assert report.total == 2
    assert dict(report.by_dimension["age_band"])["8–30 days"] == 2
    # Scoped history: Globex's contact saw one open case on Dec 1 and none on Dec 2.
    gina = backlog_report(
        scope=report_scope(world.gina),
        start=dt.date(2026, 12, 1),
        end=dt.date(2026, 12, 2),
        now=at(2026, 12, 3, 1),
    )
    assert gina.trend == [(dt.date(2026, 12, 1), 1)]
    assert gina.total == 0


def test_backlog_now_by_dimension(world):
    rio = make_user("rui@support.example", role=Role.ENGINEER, region="brazil")
    services.case_assign(
        case=world.alice_case, actor=world.manager, assignee=rio, now=at(2026, 11, 25, 9)
    )
    now = at(2026, 11, 25, 10)
    report = backlog_report(scope=Q(), start=now.date(), end=now.date(), now=now)
    assert report.total == 3
    assert dict(report.by_dimension["assignee"]) == {"Unassigned": 2, "Rui": 1}
    assert dict(report.by_dimension["region"]) == {
        "Europe, Middle East & Africa": 2,
        "Brazil": 1,
    }
    assert dict(report.by_dimension["age_band"])["up to 1 day"] == 3
    assert dict(report.by_dimension["priority"])["Medium"] == 3
    # Rui: Brazil's case and his own.
    mine = backlog_report(scope=report_scope(rio), start=now.date(), end=now.date(), now=now)
    assert mine.total == 2


def test_backlog_page_and_csv(client, world):
    client.force_login(world.manager)
    url = reverse("console-report-backlog")
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        page = client.get(url)
        assert page.status_code == 200
        assert "No day recorded in this range yet" in page.content.decode()
        response = client.get(url, {"format": "csv"})
        assert client.get(url, {"start": "2026-13-01"}).status_code == 400
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["dimension", "value", "open_cases"]
    assert ["Priority", "Medium", "3"] in rows
    client.force_login(world.alice)
    assert client.get(url).status_code == 404
