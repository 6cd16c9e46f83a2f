"""Reports as JSON through the API, scoped like the pages (I1; issue 13 items 5, 8)."""

from __future__ import annotations

import pytest
import time_machine

from casedesk.accounts.services import api_token_create
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
