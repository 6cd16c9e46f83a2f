"""The service-level report in Chromium: charts and tables render and print (I1, issue 13)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from casedesk.reports.services import backlog_snapshot_take
from tests.factories import build_world
from tests.reports.conftest import build_report_world

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_the_service_level_report(browser, live_server, settings, tmp_path):
    """Screenshots go to ``CASEDESK_SHOTS`` when set (to look at), else to a temp dir."""
    # R: I1, C3
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=dt.datetime(2026, 11, 24, 14, tzinfo=dt.UTC))
    build_report_world(world)
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, live_server.url, world.manager.email)
    page.goto(
        f"{live_server.url}/console/reports/service-levels/"
        "?start=2026-10-01&end=2026-12-31&period=month"
    )
    page.screenshot(path=str(shots / "report-sla.png"), full_page=True)
    assert page.locator("svg[role=img] > title").all_text_contents() == [
        "Cases opened per month",
        "Milestones met, missed and running",
    ]
    assert page.get_by_role("heading", name="Missed milestones").is_visible()
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "report-sla-print.png"), full_page=True)

    for n in range(20):  # nightly snapshots as the worker would have written them
        day = dt.date(2026, 12, 1) + dt.timedelta(days=n)
        end = dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)
        backlog_snapshot_take(day=day, at=end)
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/console/reports/backlog/?start=2026-12-01&end=2026-12-31")
    assert page.locator("svg[role=img] > title").first.text_content() == (
        "Open cases at the end of each recorded day"
    )
    page.screenshot(path=str(shots / "report-backlog.png"), full_page=True)
