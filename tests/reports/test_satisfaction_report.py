"""Satisfaction (F7, I1; issue 13 item 5): survey scores by priority, region, product,
engineer and period, response rate and comments, hand-counted over a small desk."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from casedesk.accounts.models import Role
from casedesk.accounts.services import api_token_create
from casedesk.cases import services
from casedesk.notifications.services import survey_respond
from casedesk.notifications.survey import SurveyInvitation
from casedesk.reports.rollups import rollup_day
from casedesk.reports.satisfaction import satisfaction
from casedesk.reports.selectors import report_scope
from tests.api.conftest import ApiClient
from tests.factories import make_user
from tests.scenarios.desk import at, desk_at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 16, 12)
START, END = at(2026, 10, 26).date(), at(2026, 11, 15).date()


def close(desk, case, when):  # type: ignore[no-untyped-def]
    return services.case_transition(
        case=case, actor=desk.engineer, action="close", to="resolved", reason="Works now",
        close_reason="solution_accepted", now=when,
    )  # fmt: skip


def answer(case, score, solved, comment, when):  # type: ignore[no-untyped-def]
    survey_respond(
        invitation=SurveyInvitation(case=case, closure=case.closed_at),
        score=score, solved=solved, comment=comment, now=when,
    )  # fmt: skip


@pytest.fixture
def survey_desk():  # type: ignore[no-untyped-def]
    """London: P1 Medium (Eve) closed Mon 2 Nov, answered Tue 3 Nov: 5, solved, "Great help".
    P2 High (Rui) closed and answered Wed 4 Nov: 2, not solved, "Slow". P3 Low (nobody)
    closed Thu 5 Nov, never answered. New York: N1 Medium (nobody) closed Sat 31 Oct 23:30
    UTC — 19:30 EDT, the evening before the clocks go back; the day is the UTC day —
    answered Tue 10 Nov: 4, solved, no comment."""
    desk = desk_at(at(2026, 10, 26, 8))
    london, new_york = desk.contact("emea"), desk.contact("americas")
    rui = make_user("rui@support.example", role=Role.ENGINEER, region="emea")
    manager = desk.world.manager
    p1 = desk.open(london, at(2026, 10, 27, 9))
    p1 = services.case_assign(case=p1, actor=manager, assignee=desk.engineer, now=p1.opened_at)
    p2 = desk.open(london, at(2026, 10, 27, 9), priority="high")
    p2 = services.case_assign(case=p2, actor=manager, assignee=rui, now=p2.opened_at)
    p3 = desk.open(london, at(2026, 10, 27, 9), priority="low")
    n1 = desk.open(new_york, at(2026, 10, 27, 9))
    n1 = close(desk, n1, at(2026, 10, 31, 23, 30))
    p1 = close(desk, p1, at(2026, 11, 2, 12))
    answer(p1, 5, True, "Great help", at(2026, 11, 3, 9))
    p2 = close(desk, p2, at(2026, 11, 4, 9))
    answer(p2, 2, False, "Slow", at(2026, 11, 4, 15))
    close(desk, p3, at(2026, 11, 5, 9))
    answer(n1, 4, True, "", at(2026, 11, 10, 9))
    return desk, london, rui


def rows(items):  # type: ignore[no-untyped-def]
    return {r.label: (r.invitations, r.responses, r.average) for r in items}


def test_hand_counted_scores_by_every_dimension(survey_desk):
    # R: F7, I1
    desk, london, rui = survey_desk
    scope = report_scope(desk.world.manager)
    report = satisfaction(scope=scope, start=START, end=END, period="week", now=NOW)
    assert rows(report.trend) == {
        "2026-10-26": (1, 0, None),  # N1's closure, on Saturday 31 Oct (UTC)
        "2026-11-02": (3, 2, 3.5),
        "2026-11-09": (0, 1, 4.0),
    }
    total = report.total
    assert (total.invitations, total.responses, total.average, total.solved) == (4, 3, 11 / 3, 2)
    assert total.response_rate == 0.75
    by = report.by_dimension
    prio = rows(by["priority"])
    assert prio["Medium"] == (2, 2, 4.5) and prio["High"] == (1, 1, 2.0)
    assert prio["Low"] == (1, 0, None)
    assert rows(by["region"]) == {
        "Europe, Middle East & Africa": (3, 2, 3.5),
        "North America": (1, 1, 4.0),
    }
    engineers = rows(by["assignee"])
    assert engineers[desk.engineer.full_name] == (1, 1, 5.0)
    assert engineers[rui.full_name] == (1, 1, 2.0)
    assert engineers["Unassigned"] == (2, 1, 4.0)
    assert [(r.invitations, r.responses) for r in by["product"]] == [(4, 3)]
    assert report.distribution == [(1, 0), (2, 1), (3, 0), (4, 1), (5, 1)]
    assert [c.comment for c in report.comments] == ["Slow", "Great help"]
    # Stored days answer the same (ADR 0008).
    day = START
    while day < NOW.date():
        rollup_day(day=day, now=NOW)
        day = day.fromordinal(day.toordinal() + 1)
    again = satisfaction(scope=scope, start=START, end=END, period="week", now=NOW)
    assert rows(again.trend) == rows(report.trend)
    assert rows(again.by_dimension["assignee"]) == engineers
    # A contact: her organisation only.
    own = satisfaction(scope=report_scope(london), start=START, end=END, period="week", now=NOW)
    assert (own.total.invitations, own.total.responses) == (3, 2)


def test_page_csv_and_api(client, survey_desk):
    # R: F7, I1 (items 6, 7, 8)
    desk, london, _ = survey_desk
    query = {"start": "2026-10-26", "end": "2026-11-15", "period": "week"}
    url = reverse("console-report-satisfaction")
    with time_machine.travel(NOW, tick=False):
        client.force_login(desk.world.manager)
        page = client.get(url, query).content.decode()
        body = b"".join(client.get(url, {**query, "format": "csv"}).streaming_content)
        staff = ApiClient(api_token_create(user=desk.world.manager, name="t", now=NOW))
        contact = ApiClient(api_token_create(user=london, name="t", now=NOW))
        json = staff.get("/reports/satisfaction", **query).json()
        theirs = contact.get("/reports/satisfaction", **query).json()
    assert "By engineer" in page and "Great help" in page and page.count("<svg") == 2
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert lines[0] == [
        "group", "invitations", "responses", "response_rate", "average_score", "solved",
    ]  # fmt: skip
    assert lines[-1][:4] == ["total", "4", "3", "0.75"]
    assert json["total"]["responses"] == 3 and len(json["comments"]) == 2
    assert theirs["total"]["invitations"] == 3 and theirs["comments"] == []


def figures(report):  # type: ignore[no-untyped-def]
    """Every figure of the report, labels included, for comparing two ways of finding them."""
    by = {dim: sorted((r.label, r.as_dict()["invitations"], r.responses, r.score_sum, r.solved)
                      for r in rows) for dim, rows in report.by_dimension.items()}  # fmt: skip
    trend = [(r.label, r.invitations, r.responses, r.score_sum, r.solved) for r in report.trend]
    return by, trend, report.distribution, report.total.as_dict()


def test_one_grouped_read_gives_the_same_figures_for_every_viewer(survey_desk):
    # R: F7, I1 — issue 13 items 5 and 10: the stored days are read in one grouped query
    # (GROUPING SETS on PostgreSQL); every dimension, the trend, the distribution and the
    # totals equal the live computation, for a manager, each engineer and a contact.
    desk, london, rui = survey_desk
    viewers = (desk.world.manager, desk.engineer, rui, london)
    live = {
        v.email: figures(
            satisfaction(scope=report_scope(v), start=START, end=END, period="day", now=NOW)
        )
        for v in viewers
    }
    assert live[rui.email][3]["responses"] == 2  # EMEA's P1 and P2 (his own among them)
    assert live[desk.engineer.email][3]["invitations"] == 1  # her own P1 (no region)
    day = START
    while day < NOW.date():
        rollup_day(day=day, now=NOW)
        day = day.fromordinal(day.toordinal() + 1)
    for v in viewers:
        stored = satisfaction(scope=report_scope(v), start=START, end=END, period="day", now=NOW)
        assert figures(stored) == live[v.email], v.email
