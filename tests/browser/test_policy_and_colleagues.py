"""Where a person clicks (issue 11 items 4 and 6): a care admin previews and saves a policy
version; a colleague who sees a case has no close button. Screenshots go to
``CASEDESK_SHOTS`` when set, for a person to look at."""

from __future__ import annotations

import os
import re

import pytest

from casedesk.core import clock
from casedesk.sla.models import PolicyVersion
from tests.browser.test_journey import _login
from tests.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("CASEDESK_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    from casedesk.sla.selectors import _parsed

    _parsed.cache_clear()
    yield
    _parsed.cache_clear()


def test_care_previews_and_saves_a_policy_version(browser, live_server, settings):
    # R: C1, C3, C5 (issue 11 item 6)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    base = live_server.url
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, base, world.care.email)
    page.locator("summary", has_text="Manage").click()  # the console's Manage menu (A2)
    page.get_by_role("link", name="Policy").click()
    page.get_by_role("link", name="New version from this one").first.click()
    _shot(page, "policy-editor")
    page.get_by_label("What changes, and why").fill("Faster first reminder")
    page.get_by_label("Follow-up ladder (business days after the request)").fill("1, 5, 10")
    page.get_by_label("Preview: priority").select_option(label="Medium")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    preview = page.locator("#policy-preview")
    assert "With this version, a Medium case" in preview.inner_text()
    assert re.search(r"Reminder #1 \(if we ask the customer now\)", preview.inner_text())
    _shot(page, "policy-preview")
    # The typed values survive the preview; a bad value is shown on its field.
    page.get_by_label("Follow-up ladder (business days after the request)").fill("5, 1")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_load_state()
    assert "positive and increasing" in page.content()
    _shot(page, "policy-error")
    assert not PolicyVersion.objects.exists()
    page.get_by_label("Follow-up ladder (business days after the request)").fill("1, 5, 10")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_url(re.compile(r"/console/policy/1/$"))
    assert "Saved as policy version 1" in page.content()
    assert PolicyVersion.objects.get().data["followup"]["business_days"] == [1, 5, 10]


def test_a_colleague_sees_no_close_button(browser, live_server, settings):
    # R: A3, C9 (issue 11 item 4)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    base = live_server.url
    number = world.alice_case.number
    colleague = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(colleague, base, world.bob.email)
    colleague.goto(f"{base}/cases/{number}/")
    assert colleague.get_by_role("button", name="Close case").count() == 0
    assert colleague.get_by_role("link", name="Request escalation").count() == 0
    colleague.get_by_label("Your update").fill("Same on our second site.")
    colleague.get_by_role("button", name="Send update").click()
    colleague.wait_for_load_state()
    assert "Same on our second site." in colleague.content()
    _shot(colleague, "colleague-case")
    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _login(owner, base, world.alice.email)
    owner.goto(f"{base}/cases/{number}/")
    assert owner.get_by_role("button", name="Close case").count() == 1
