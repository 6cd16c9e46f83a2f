"""Follow-up outcomes (C5, I1; issue 13 item 3): reminders, responses after reminder 1/2,
automatic closes and re-openings, hand-counted over a small desk driven by the real worker
across the November DST change and the Christmas holidays; the same figures from the
stored daily rollups as from the live records (ADR 0008)."""

from __future__ import annotations

import csv
import io
import types

import pytest
import time_machine
from django.urls import reverse

from casedesk.accounts.models import Role
from casedesk.cases import services
from casedesk.reports.models import DailyCount, RollupDay
from casedesk.reports.outcomes import followup_outcomes
from casedesk.reports.rollups import rollup_day
from casedesk.reports.selectors import report_scope
from casedesk.reports.services import ROLLUP_KIND, rollup_ensure
from casedesk.scheduling.models import Deadline
from tests.factories import make_user
from tests.scenarios.desk import at, desk_at

pytestmark = pytest.mark.django_db
NOW = at(2027, 1, 13, 12)
START, END = at(2026, 10, 1).date(), at(2027, 1, 31).date()


def respond(case, contact, when):  # type: ignore[no-untyped-def]
    services.case_add_update(case=case, actor=contact, body="Here are the logs.", now=when)


@pytest.fixture
def followup_desk():  # type: ignore[no-untyped-def]
    return build_followup_desk()


def build_followup_desk():  # type: ignore[no-untyped-def]
    """A (London, Medium): asked Wed 23 Dec 10:00 GMT; Christmas, the Boxing Day substitute
    (Mon 28) and New Year's Day are off: reminder 1 Tue 29 Dec, reminder 2 Mon 4 Jan,
    closed Mon 11 Jan 10:00 UTC; support re-opens it Tue 12 Jan.
    B (New York, Medium): asked Thu 29 Oct 10:00 EDT = 14:00 UTC; DST ends Sun 1 Nov, so
    reminder 1 is Mon 2 Nov 10:00 EST = 15:00 UTC; the customer answers Tue 3 Nov.
    C (London, High): asked Mon 30 Nov; reminder 1 Wed 2 Dec, reminder 2 Mon 7 Dec; the
    customer answers Tue 8 Dec. D (London, Low): asked Mon 30 Nov, answered Tue 1 Dec,
    before any reminder. E (London, Production Down): asked Mon 30 Nov; never followed up."""
    desk = desk_at(at(2026, 10, 26, 14))
    london, new_york = desk.contact("emea"), desk.contact("americas")
    a = desk.open(london, at(2026, 12, 21, 10))
    b = desk.open(new_york, at(2026, 10, 26, 14))
    c = desk.open(london, at(2026, 11, 27, 10), priority="high")
    d = desk.open(london, at(2026, 11, 27, 10), priority="low")
    e = desk.open(
        london,
        at(2026, 11, 27, 10),
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
    )
    desk.ask_info(b, at(2026, 10, 29, 14))
    desk.tick(at(2026, 11, 2, 14, 59))
    desk.tick(at(2026, 11, 2, 15))
    respond(b, new_york, at(2026, 11, 3, 12))
    for case in (c, d, e):
        desk.ask_info(case, at(2026, 11, 30, 10))
    respond(d, london, at(2026, 12, 1, 9))
    desk.tick(at(2026, 12, 2, 10))
    desk.tick(at(2026, 12, 7, 10))
    respond(c, london, at(2026, 12, 8, 9))
    desk.ask_info(a, at(2026, 12, 23, 10))
    for when in (at(2026, 12, 29, 10), at(2027, 1, 4, 10), at(2027, 1, 11, 10)):
        desk.tick(when)
    a.refresh_from_db()
    assert a.closed_by_followup and a.closed_at == at(2027, 1, 11, 10)
    services.case_reopen(
        case=a, actor=desk.engineer, information="Customer called back", now=at(2027, 1, 12, 9)
    )
    return types.SimpleNamespace(desk=desk, london=london, new_york=new_york, a=a, b=b)


EXPECTED_BY_MONTH = {
    # month: reminder1, reminder2, response0, response1, response2, closed, reopened
    "2026-10-01": [0, 0, 0, 0, 0, 0, 0],
    "2026-11-01": [1, 0, 0, 1, 0, 0, 0],
    "2026-12-01": [2, 1, 1, 0, 1, 0, 0],
    "2027-01-01": [0, 1, 0, 0, 0, 1, 1],
}


def figures(report):  # type: ignore[no-untyped-def]
    return {r.label: [r.get(m) for m, _ in report.columns] for r in report.trend}


def test_hand_counted_per_month_and_priority(followup_desk):
    # R: C5, I1
    manager = followup_desk.desk.world.manager
    report = followup_outcomes(
        scope=report_scope(manager), start=START, end=END, period="month", now=NOW
    )
    assert figures(report) == EXPECTED_BY_MONTH
    prio = {r.key: [r.get(m) for m, _ in report.columns] for r in report.by_priority}
    assert prio["medium"] == [2, 1, 0, 1, 0, 1, 1]  # A and B
    assert prio["high"] == [1, 1, 0, 0, 1, 0, 0]  # C
    assert prio["low"] == [0, 0, 1, 0, 0, 0, 0]  # D
    assert prio["production_down"] == [0] * 7  # E: never followed up
    # By day: the DST-shifted reminder lands on 2 Nov, the holiday ladder on 29 Dec / 4 Jan.
    daily = followup_outcomes(
        scope=report_scope(manager), start=START, end=END, period="day", now=NOW
    )
    reminders = {r.label for r in daily.trend if r.get("followup.reminder1")}
    assert reminders == {"2026-11-02", "2026-12-02", "2026-12-29"}


def test_stored_rollups_give_the_same_figures(followup_desk):
    # ADR 0008: a day is read from DailyCount once stored, live before; same answer.
    manager = followup_desk.desk.world.manager
    day = START
    while day < NOW.date():
        rollup_day(day=day, now=NOW)
        day = day.fromordinal(day.toordinal() + 1)
    assert RollupDay.objects.count() == (NOW.date() - START).days
    assert DailyCount.objects.filter(metric="followup.reminder1").count() == 3
    DailyCount.objects.filter(metric__startswith="survey.").delete()  # not read here
    report = followup_outcomes(
        scope=report_scope(manager), start=START, end=END, period="month", now=NOW
    )
    assert figures(report) == EXPECTED_BY_MONTH


def test_scopes_contact_and_engineer(followup_desk):
    # R: I1 (item 8): a contact sees her organisation's, an engineer his region's and own.
    fd = followup_desk
    london = followup_outcomes(
        scope=report_scope(fd.london), start=START, end=END, period="month", now=NOW
    )
    assert london.total.get("followup.reminder1") == 2  # A and C, never New York's B
    rollup_day(day=at(2026, 11, 2).date(), now=NOW)  # stored rows are scoped the same way
    americas = make_user("amy@support.example", role=Role.ENGINEER, region="americas")
    figures_ = followup_outcomes(
        scope=report_scope(americas), start=START, end=END, period="month", now=NOW
    )
    assert figures_.total.get("followup.reminder1") == 1  # B only
    assert figures_.total.get("followup.response1") == 1
    ny = followup_outcomes(
        scope=report_scope(fd.new_york), start=START, end=END, period="month", now=NOW
    )
    assert ny.total.get("followup.reminder1") == 1


def test_worker_rolls_up_the_day_that_ended(followup_desk):
    # The nightly deadline stores yesterday and schedules the next night (ADR 0008).
    rollup_ensure(now=at(2027, 1, 12, 9))
    due = Deadline.objects.get(kind=ROLLUP_KIND, state="pending")
    assert due.due_at == at(2027, 1, 13, 0, 10)
    followup_desk.desk.tick(at(2027, 1, 13, 0, 10))
    assert list(RollupDay.objects.values_list("day", flat=True)) == [at(2027, 1, 12).date()]
    reopened = DailyCount.objects.get(metric="followup.reopened")
    assert (reopened.day, reopened.count, reopened.priority) == (
        at(2027, 1, 12).date(),
        1,
        "medium",
    )
    assert Deadline.objects.filter(kind=ROLLUP_KIND, state="pending").get().due_at == at(
        2027, 1, 14, 0, 10
    )


def test_page_csv_and_api(client, followup_desk):
    # R: I1 (items 6, 7): chart with title and description, table, CSV with BOM, JSON.
    from casedesk.accounts.services import api_token_create
    from tests.api.conftest import ApiClient

    manager = followup_desk.desk.world.manager
    query = {"start": "2026-10-01", "end": "2027-01-31", "period": "month"}
    url = reverse("console-report-followups")
    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)
        page = client.get(url, query).content.decode()
        assert "Responses after reminder 2" in page and page.count("<svg") == 2
        assert "<desc id=" in page
        body = b"".join(client.get(url, {**query, "format": "csv"}).streaming_content)
        bad = client.get(url, {"start": "2027-01-31", "end": "2026-10-01", "period": "month"})
        token = api_token_create(user=manager, name="t", now=NOW)
        json = ApiClient(token).get("/reports/follow-ups", **query).json()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "group", "reminder1", "reminder2", "response0", "response1", "response2", "closed",
        "reopened",
    ]  # fmt: skip
    assert rows[-1] == ["total", "3", "2", "1", "1", "1", "1", "1"]
    assert bad.status_code == 400
    assert [t["reminder1"] for t in json["trend"]] == [0, 1, 2, 0]
    assert json["total"]["reopened"] == 1
