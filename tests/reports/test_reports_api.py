"""Reports as JSON through the API, scoped like the pages (I1; issue 13 items 5, 8)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Q

from casedesk.accounts.services import api_token_create
from casedesk.reports.selectors import missed_milestones
from tests.api.conftest import ApiClient

from .conftest import REPORT_NOW

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-10-01", "end": "2026-12-31", "period": "month"}


@pytest.fixture(autouse=True)
def _at_report_time():  # type: ignore[no-untyped-def]
    with time_machine.travel(REPORT_NOW, tick=False):
        yield


def api(user):  # type: ignore[no-untyped-def]
    return ApiClient(api_token_create(user=user, name="test", now=REPORT_NOW))


def test_manager_gets_the_figures(report_world):
    rw = report_world
    body = api(rw.world.manager).get("/reports/service-levels", **RANGE).json()
    pd = next(r for r in body["by_priority"] if r["key"] == "production_down")
    assert (pd["cases"], pd["root_cause_avg_days"], pd["outage_avg_hours"]) == (2, 7.5, 5.0)
    assert body["hold"] == "no calls recorded from 2026-10-01 to 2026-12-31"
    assert [t["opened"] for t in body["trend"]] == [1, 6, 2]
    assert {m["number"] for m in body["misses"]} == {rw.c.number, rw.d.number}


def test_contact_gets_her_organisation_only_without_case_numbers(report_world):
    w = report_world.world
    gina = api(w.gina).get("/reports/service-levels", **RANGE).json()
    assert sum(r["cases"] for r in gina["by_priority"]) == 2  # Globex's two, never Acme's
    assert gina["misses"] == []
    alice = api(w.alice).get("/reports/service-levels", **RANGE).json()
    assert sum(r["cases"] for r in alice["by_priority"]) == 7
    assert alice["misses"] == []
    backlog = api(w.gina).get("/reports/backlog", start="2026-12-01", end="2026-12-31").json()
    assert backlog["total"] == 2


def test_bad_ranges_are_422(report_world):
    client = api(report_world.world.manager)
    assert (
        client.get("/reports/service-levels", start="2026-12-31", end="2026-10-01").status_code
        == 422
    )
    assert (
        client.get("/reports/service-levels", start="1900-01-01", end="1900-02-01").status_code
        == 422
    )
    assert client.get("/reports/backlog", start="2020-01-01", end="2026-01-01").status_code == 422
    assert client.get("/reports/service-levels", **{**RANGE, "period": "year"}).status_code == 422
    assert (
        ApiClient(None).get("/reports/backlog", start="2026-12-01", end="2026-12-31").status_code
        == 401
    )


def test_misses_are_paged_and_say_when_more_follow(report_world, monkeypatch):
    # R: I1 — the API bounds the list like the page and says so (issue 13 follow-up).
    from casedesk.reports import selectors

    rw = report_world
    monkeypatch.setattr(selectors, "MISSES_SHOWN", 2)
    client = api(rw.world.manager)
    first = client.get("/reports/service-levels", **RANGE).json()
    assert [(m["number"], m["kind"]) for m in first["misses"]] == [
        (rw.d.number, "root_cause"),
        (rw.c.number, "fix"),
    ]
    assert first["misses_more"] is True
    assert first["misses_next"] == f"{rw.c.pk}-fix"
    second = client.get(
        "/reports/service-levels", **RANGE, misses_after=first["misses_next"]
    ).json()
    assert [(m["number"], m["kind"]) for m in second["misses"]] == [(rw.c.number, "root_cause")]
    assert (second["misses_more"], second["misses_next"]) == (False, None)
    assert second["by_priority"] == first["by_priority"]  # the figures do not page
    monkeypatch.setattr(selectors, "MISSES_SHOWN", 3)  # exactly all: no "more"
    whole = client.get("/reports/service-levels", **RANGE).json()
    assert len(whole["misses"]) == 3 and (whole["misses_more"], whole["misses_next"]) == (
        False,
        None,
    )


def test_a_bad_or_foreign_misses_cursor_pages_nothing(report_world, monkeypatch):
    # R: A3 — a malformed cursor is 422; one naming a case the caller may not see gives
    # nothing (not the misses before that case's opening); a contact never gets the list.
    from casedesk.reports import selectors

    rw = report_world
    monkeypatch.setattr(selectors, "MISSES_SHOWN", 1)
    manager = api(rw.world.manager)
    for bad in ("1; DROP TABLE", "x-fix", "1-outage", "1234567890123-fix", "-fix"):
        response = manager.get("/reports/service-levels", **RANGE, misses_after=bad)
        assert response.status_code == 422, bad
    rio = api(rw.rio).get("/reports/service-levels", **RANGE, misses_after=f"{rw.d.pk}-fix")
    assert rio.status_code == 200 and rio.json()["misses"] == []
    # A viewer who sees C but not D: D's cursor must not page to C (it would tell her
    # when D was opened); C's own cursor does.
    only_c = Q(pk=rw.c.pk)
    first, last = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    foreign, _ = missed_milestones(
        scope=only_c, start=first, end=last, now=REPORT_NOW, after=(rw.d.pk, "root_cause")
    )
    assert foreign == []
    own, _ = missed_milestones(
        scope=only_c, start=first, end=last, now=REPORT_NOW, after=(rw.c.pk, "fix")
    )
    assert [(m.number, m.kind) for m in own] == [(rw.c.number, "root_cause")]
    gina = api(rw.world.gina).get("/reports/service-levels", **RANGE).json()
    assert (gina["misses"], gina["misses_more"], gina["misses_next"]) == ([], False, None)


def test_openapi_documents_the_misses_paging(db):
    from django.test import Client

    spec = Client().get("/api/v1/openapi.json").json()
    out = spec["components"]["schemas"]["ServiceLevelOut"]["properties"]
    assert {"misses_more", "misses_next"} <= out.keys()
    params = spec["paths"]["/api/v1/reports/service-levels"]["get"]["parameters"]
    cursor = next(p for p in params if p["name"] == "misses_after")
    assert "misses_next" in cursor["description"]
