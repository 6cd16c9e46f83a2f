"""The console's grouped navigation in Chromium: menus by mouse and keyboard (A2, issue 11)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import build_world

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _group(page, name):
    return page.locator("details[data-nav-group]", has=page.locator("summary", has_text=name))


def test_groups_open_one_at_a_time_and_close_by_keyboard(browser, live_server, settings, tmp_path):
    # R: A2 — every console page is one or two clicks away, by mouse or keyboard
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=dt.datetime(2026, 11, 24, 14, tzinfo=dt.UTC))
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    _login(page, live_server.url, world.manager.email)
    page.goto(f"{live_server.url}/console/")
    desk, manage = _group(page, "Desk"), _group(page, "Manage")
    assert not page.get_by_role("link", name="Mail care queue").is_visible()

    manage.locator("summary").click()
    assert page.get_by_role("link", name="Mail care queue").is_visible()
    page.screenshot(path=str(shots / "console-nav-manage.png"))
    desk.locator("summary").click()  # opening one group closes the other
    # ``toggle`` is dispatched as a task after the click: wait for its effect, not for time.
    expect(manage).to_have_js_property("open", False)
    assert desk.evaluate("d => d.open")

    page.keyboard.press("Escape")  # Escape closes and gives focus back to the summary
    assert not desk.evaluate("d => d.open")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Desk"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Open for a contact"

    page.locator("main").click()  # a click outside closes it
    assert not desk.evaluate("d => d.open")

    manage.locator("summary").click()
    page.get_by_role("link", name="Reports").click()
    page.wait_for_load_state()
    assert manage.locator("summary").get_attribute("class") == "is-current"
    assert desk.locator("summary").get_attribute("class") is None

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    _login(phone, live_server.url, world.engineer.email)
    phone.goto(f"{live_server.url}/console/")
    _group(phone, "Manage").locator("summary").click()
    assert phone.get_by_role("link", name="Reports").is_visible()
    assert phone.get_by_role("link", name="Mail care queue").count() == 0  # care and managers only
    phone.screenshot(path=str(shots / "console-nav-phone.png"))
