"""The follow-up, escalation and satisfaction reports in Chromium at laptop and phone
widths: charts with titles, tables beside them, nothing wider than the screen (I1)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from casedesk.core.errors import PolicyViolation
from casedesk.escalations.services import EscalationRequest, escalation_request
from casedesk.notifications.services import survey_respond
from casedesk.notifications.survey import SurveyInvitation
from tests.reports.test_followup_report import build_followup_desk

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUERY = "?start=2026-10-01&end=2027-01-31&period=month"
PAGES = {
    "followups": ("follow-ups", "Reminder 1 sent per month"),
    "escalations": ("escalations", "Requested per month"),
    "satisfaction": ("satisfaction", "Average score per month"),
    "sla": ("service-levels", "Cases opened per month"),
}


def test_report_pages_at_laptop_and_phone_widths(browser, live_server, settings, tmp_path):
    """Screenshots go to ``CASEDESK_SHOTS`` when set (to look at), else to a temp dir."""
    # R: I1, C5, C6, F7
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    fd = build_followup_desk()
    a, b = fd.a, fd.b
    with pytest.raises(PolicyViolation):  # Medium, updated the same day: refused, too soon
        escalation_request(
            case=b, actor=fd.new_york,
            request=EscalationRequest(kind="standard", reason="r", summary="s", expectations="e"),
            now=dt.datetime(2026, 11, 3, 13, tzinfo=dt.UTC),
        )  # fmt: skip
    a.refresh_from_db()
    closed = dt.datetime(2027, 1, 11, 10, tzinfo=dt.UTC)
    survey_respond(
        invitation=SurveyInvitation(case=a, closure=closed),
        score=4, solved=True, comment="Reminders helped", now=closed + dt.timedelta(hours=2),
    )  # fmt: skip
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width, height, name in ((1366, 900, "laptop"), (390, 844, "phone")):
        page = browser.new_page(viewport={"width": width, "height": height})
        _login(page, live_server.url, fd.desk.world.manager.email)
        for key, (path, title) in PAGES.items():
            page.goto(f"{live_server.url}/console/reports/{path}/{QUERY}")
            assert page.locator("svg[role=img] > title").first.text_content() == title
            page.screenshot(path=str(shots / f"report-{key}-{name}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{key} is wider than the {name} screen"
        page.close()
