"""Escalations report (C6, I1; issue 13 item 4): requests, eligible and refused by the reason
the system gave, outcomes and time to outcome — hand-counted over a small London desk."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from casedesk.accounts.services import api_token_create
from casedesk.core.errors import PolicyViolation
from casedesk.escalations.services import EscalationRequest, escalation_request, escalation_resolve
from casedesk.reports.outcomes import escalation_report
from casedesk.reports.rollups import rollup_day
from casedesk.reports.selectors import report_scope
from tests.api.conftest import ApiClient
from tests.scenarios.desk import at, desk_at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 9, 12)
START, END = at(2026, 11, 1).date(), at(2026, 11, 30).date()


def ask(kind: str = "standard", **extra: object) -> EscalationRequest:
    return EscalationRequest(
        kind=kind, reason="Go-live at risk", summary="Dialer stops", expectations="A plan",
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def refused(case, contact, when, kind="standard", **extra):  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyViolation):
        escalation_request(case=case, actor=contact, request=ask(kind, **extra), now=when)


@pytest.fixture
def escalation_desk():  # type: ignore[no-untyped-def]
    """London (EMEA), every case opened Mon 2 Nov 2026 09:00 UTC, no support update since.
    Tue 3 Nov 09:00: L (Low) refused — Low is never escalated; M (Medium) refused — it needs
    3 business days without an update (eligible from Thu 5 Nov 09:00).
    Wed 4 Nov 10:00: H (High) refused without significant impact; with it, eligible (25 h
    quiet); a manager declines at 16:00 (6 h).
    Thu 5 Nov 10:00: M eligible; 11:00 M's root-cause request refused (analysis not
    started); a manager takes M up at 12:00 (2 h) and resolves it Fri 6 Nov 10:00 (24 h)."""
    desk = desk_at(at(2026, 11, 2, 8))
    contact = desk.contact("emea")
    manager = desk.world.manager
    low = desk.open(contact, at(2026, 11, 2, 9), priority="low")
    medium = desk.open(contact, at(2026, 11, 2, 9), priority="medium")
    high = desk.open(contact, at(2026, 11, 2, 9), priority="high")
    refused(low, contact, at(2026, 11, 3, 9))
    refused(medium, contact, at(2026, 11, 3, 9))
    refused(high, contact, at(2026, 11, 4, 10))
    h = escalation_request(
        case=high, actor=contact, request=ask(significant_impact=True), now=at(2026, 11, 4, 10)
    )
    escalation_resolve(
        escalation=h, actor=manager, state="declined", outcome="Not urgent",
        now=at(2026, 11, 4, 16),
    )  # fmt: skip
    m = escalation_request(case=medium, actor=contact, request=ask(), now=at(2026, 11, 5, 10))
    refused(medium, contact, at(2026, 11, 5, 11), kind="root_cause")
    m = escalation_resolve(
        escalation=m, actor=manager, state="in_progress", outcome="", now=at(2026, 11, 5, 12)
    )
    escalation_resolve(
        escalation=m, actor=manager, state="resolved", outcome="Developer assigned",
        now=at(2026, 11, 6, 10),
    )  # fmt: skip
    return desk, contact


def test_hand_counted_requests_refusals_and_outcomes(escalation_desk):
    # R: C6, I1
    desk, contact = escalation_desk
    scope = report_scope(desk.world.manager)
    report = escalation_report(scope=scope, start=START, end=END, period="day", now=NOW)
    by_day = {
        r.label: [r.get(m) for m, _ in report.columns]
        for r in report.trend
        if any(r.get(m) for m, _ in report.columns)
    }
    # requested, eligible, refused, taken up, resolved, declined
    assert by_day == {
        "2026-11-03": [2, 0, 2, 0, 0, 0],
        "2026-11-04": [2, 1, 1, 0, 0, 1],
        "2026-11-05": [2, 1, 1, 1, 0, 0],
        "2026-11-06": [0, 0, 0, 0, 1, 0],
    }
    reasons = {code: n for code, _, n in report.extra["refusals"] if n}
    assert reasons == {"priority": 1, "too_soon": 1, "impact": 1, "analysis_not_started": 1}
    kinds = {code: n for code, _, n in report.extra["kinds"]}
    assert kinds == {"standard": 2, "root_cause": 0, "refused_standard": 3, "refused_root_cause": 1}
    total = report.total
    assert total.average_hours("escalation.in_progress") == 2.0
    assert total.average_hours("escalation.resolved") == 24.0
    assert total.average_hours("escalation.declined") == 6.0
    assert report.open_now == 0
    prio = {r.key: r.get("escalation.refused") for r in report.by_priority}
    assert (prio["low"], prio["medium"], prio["high"]) == (1, 2, 1)
    # Stored days give the same figures (ADR 0008).
    for day in range(1, 9):
        rollup_day(day=at(2026, 11, day).date(), now=NOW)
    again = escalation_report(scope=scope, start=START, end=END, period="day", now=NOW)
    assert again.total.values == report.total.values
    # Another organisation's contact sees none of it (I1 item 8).
    other = escalation_report(
        scope=report_scope(desk.world.gina), start=START, end=END, period="month", now=NOW
    )
    assert other.total.get("escalation.requested") == 0
    own = escalation_report(
        scope=report_scope(contact), start=START, end=END, period="month", now=NOW
    )
    assert own.total.get("escalation.requested") == 6


def test_page_csv_and_api(client, escalation_desk):
    # R: I1 (items 6, 7)
    desk, _ = escalation_desk
    query = {"start": "2026-11-01", "end": "2026-11-30", "period": "week"}
    url = reverse("console-report-escalations")
    with time_machine.travel(NOW, tick=False):
        client.force_login(desk.world.manager)
        page = client.get(url, query).content.decode()
        body = b"".join(client.get(url, {**query, "format": "csv"}).streaming_content)
        token = api_token_create(user=desk.world.manager, name="t", now=NOW)
        json = ApiClient(token).get("/reports/escalations", **query).json()
        engineer = desk.world.engineer  # no region, no cases of his own: nothing to count
        client.force_login(engineer)
        empty = client.get(url, query).content.decode()
    assert "Refused, by reason" in page and page.count("<svg") == 3
    assert "Updated too recently" in page
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["group", "requested", "eligible", "refused", "in_progress", "resolved",
                       "declined"]  # fmt: skip
    assert rows[-1] == ["total", "6", "2", "4", "1", "1", "1"]
    assert json["total"]["refused"] == 4
    assert {r["code"]: r["count"] for r in json["refused_by_reason"]}["impact"] == 1
    times = {t["outcome"]: t["average_hours"] for t in json["time_to_outcome"]}
    assert times == {"in_progress": 2.0, "resolved": 24.0, "declined": 6.0}
    assert "Updated too recently" in empty and ">6<" not in empty


def test_a_refusal_through_the_api_is_kept_with_a_version_check(escalation_desk):
    # R: C6, I1 — the API's optimistic lock wraps the request in its own transaction; the
    # refusal must survive the 422, or the report would undercount refused requests.
    from casedesk.cases.models import CaseEvent

    desk, contact = escalation_desk
    case = desk.open(contact, at(2026, 11, 9, 9), priority="low")
    case.refresh_from_db()
    with time_machine.travel(at(2026, 11, 9, 10), tick=False):
        client = ApiClient(api_token_create(user=contact, name="t", now=at(2026, 11, 9, 10)))
        response = client.post(
            f"/cases/{case.number}/escalations",
            {"kind": "standard", "reason": "r", "summary": "s", "expectations": "e",
             "version": case.version},
        )  # fmt: skip
    assert response.status_code == 422
    refusal = CaseEvent.objects.get(case=case, kind="escalation")
    assert (refusal.data["code"], refusal.public) == ("priority", False)
