"""An engineer sees the urgent banner, takes a Production Down case and records service
restored, all information and the root cause on the console case page (issue 11; C3, C9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.sla.models import Milestone
from tests.factories import build_world

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_engineer_records_the_marks_and_the_clock_panel_shows_them(
    browser, live_server, settings, tmp_path
):
    """Screenshots go to ``CASEDESK_SHOTS`` when set (to look at), else to a temp dir."""
    # R: C3, C4, C9, B
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    case = world.open_case(
        world.alice,
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
        subject="Primary server down, no dial tone",
    )
    for i in range(3):
        world.open_case(world.gina, subject=f"Older case {i}")
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, base, world.engineer.email)
    page.goto(f"{base}/console/")
    banner = page.get_by_role("alert").filter(has_text="urgent case unassigned")
    assert banner.is_visible()
    rows = page.locator("table.table--queue tbody tr")
    assert "Primary server down" in rows.first.inner_text()  # most urgent first
    page.screenshot(path=str(shots / "queue-urgent-banner.png"), full_page=True)

    page.goto(f"{base}/console/cases/{case.number}/")
    page.get_by_role("button", name="Take it (assign to me)").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").filter(has_text="urgent case").count() == 0
    page.get_by_role("button", name="Service restored").click()
    page.wait_for_load_state()
    assert "Service restored: outage recorded." in page.content()
    page.get_by_role("button", name="Mark all necessary information provided").click()
    page.wait_for_load_state()
    page.get_by_label("Root cause (the customer sees it)").fill("Disk full on the primary")
    page.get_by_role("button", name="Root cause found").click()
    page.wait_for_load_state()
    assert "Root cause recorded." in page.content()

    case = Case.objects.get(pk=case.pk)
    assert case.service_restored_at is not None and case.assignee_id == world.engineer.pk
    root = Milestone.objects.get(case=case, kind="root_cause")
    fix = Milestone.objects.get(case=case, kind="fix")
    assert root.met_at is not None and fix.running
    panel = page.locator("section[aria-labelledby=clock-title]")
    text = panel.inner_text()
    assert "Outage:" in text and "from first contact" in text
    assert "Fix or workaround" in text and "met" in text
    assert page.get_by_role("button", name="Fix or workaround delivered").is_visible()
    panel.screenshot(path=str(shots / "case-clock-panel.png"))
    page.screenshot(path=str(shots / "case-page.png"), full_page=True)
