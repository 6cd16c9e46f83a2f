"""Site records in Chromium (G2, G3; issue 14 items 2, 3, 7): a contact types a VoIP
readiness assessment and uploads a bad measurement file, records a change; an engineer sees
the VoIP flag and the recent changes on a case of the site and holds it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casedesk.core import clock
from casedesk.obligations.models import ChangeRecord, VoipAssessment
from tests.factories import build_world
from tests.obligations.helpers import CSV_BAD, voip_case

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_site_records_journey(browser, live_server, settings, tmp_path):
    """Screenshots go to ``CASEDESK_SHOTS`` when set (to look at), else to a temp dir."""
    # R: G2, G3
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    case = voip_case(world)
    base = live_server.url
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, base, world.alice.email)
    page.get_by_role("link", name="Sites").click()
    page.screenshot(path=str(shots / "portal-sites.png"), full_page=True)
    page.get_by_role("link", name="Acme HQ").click()
    page.get_by_role("link", name="Record an assessment").click()

    # A bad file: every bad row named, nothing stored.
    bad = tmp_path / "probe.csv"
    bad.write_bytes(CSV_BAD)
    page.get_by_label("Measurement file (.csv or .json)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    errors = page.locator("#file-errors li").all_text_contents()
    assert errors[0].startswith("Row 3, latency_ms")
    assert len(errors) == 3 and VoipAssessment.objects.count() == 0
    page.screenshot(path=str(shots / "portal-voip-file-errors.png"), full_page=True)

    # Typed, by keyboard: one good line and one with too much jitter.
    page.locator("#id_measured_at").fill("2026-11-20T10:00")
    values = ["Trunk 1", "PCMU", "42", "4", "0.1", "EF", "CS3", "96"]
    page.get_by_label("Line 1: RTP stream").focus()
    for value in values:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    for value in ["Trunk 2", "G.729", "60", "35", "0", "46", "24", "40"]:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.get_by_role("button", name="Record and check").click()
    assert "it fails" in page.locator(".messages, [role=status], .notice").first.text_content()
    assert page.get_by_text("Jitter 35 ms is not under 30 ms.").is_visible()
    page.screenshot(path=str(shots / "portal-site.png"), full_page=True)

    page.get_by_role("link", name="Record a change").click()
    page.get_by_label("Date and time (your local time)").fill("2026-11-19T22:00")
    page.get_by_label("Engineer").fill("Sam Patel")
    page.get_by_label("Short description").fill("QoS policy on the WAN edge")
    page.get_by_label("Full summary").fill("Marked RTP EF and SIP CS3.")
    page.get_by_label("Successful").check()
    page.get_by_label("Implementation plan").fill("Window 22:00.")
    page.get_by_label("Test plan").fill("Test calls.")
    page.get_by_label("Backout plan").fill("Restore config.")
    page.screenshot(path=str(shots / "portal-change-form.png"), full_page=True)
    page.get_by_role("button", name="Record the change").click()
    assert ChangeRecord.objects.get().short_description == "QoS policy on the WAN edge"

    page.goto(f"{base}/cases/{case.number}/")
    assert page.get_by_text("Change at Acme HQ: Successful").is_visible()
    page.screenshot(path=str(shots / "portal-case-timeline.png"), full_page=True)

    staff = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(staff, base, world.engineer.email)
    staff.goto(f"{base}/console/cases/{case.number}/")
    assert staff.get_by_role("heading", name="Recent changes at Acme HQ").is_visible()
    flag = staff.locator("#voip-flag")
    assert "without a passing readiness assessment" in flag.text_content()
    staff.screenshot(path=str(shots / "console-case-voip-flag.png"), full_page=True)
    flag.get_by_role("button", name="Hold until VoIP readiness passes").click()
    assert staff.get_by_role("heading", name="Held: VoIP readiness pending at Acme HQ").is_visible()
    staff.goto(f"{base}/console/sites/")
    staff.screenshot(path=str(shots / "console-sites.png"), full_page=True)
    staff.get_by_role("link", name="Acme HQ").click()
    assert case.number in staff.locator("#voip-readiness").text_content()
    staff.screenshot(path=str(shots / "console-site.png"), full_page=True)
    staff.goto(f"{base}/console/sites/{world.acme_contract.site.pk}/voip/")
    staff.screenshot(path=str(shots / "console-voip-form.png"), full_page=True)
    staff.set_viewport_size({"width": 390, "height": 844})
    staff.goto(f"{base}/console/sites/{world.acme_contract.site.pk}/")
    staff.screenshot(path=str(shots / "console-site-phone.png"), full_page=True)
