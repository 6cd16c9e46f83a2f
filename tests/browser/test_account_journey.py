"""Journeys in Chromium (issue 11 items 5 and 8): a forgotten password, the open form's lists
narrowing as one chooses, the queue on a 1366 px laptop and a phone."""

from __future__ import annotations

import re

import pytest

from casedesk.catalog.models import MajorVersion, Patch
from casedesk.core import clock
from casedesk.notifications.models import OutboundMessage
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "orchid-kettle-lantern-62"


def _login(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_forgotten_password_journey(browser, live_server, settings):
    # R: A2 — from the login page to a new password, the link read from the outbox.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = live_server.url
    world = build_world(now=clock.now())
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your e-mail address").fill(world.alice.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your inbox").is_visible()

    message = OutboundMessage.objects.get(kind="account_password_reset")
    link = re.search(r"(http\S+/password-reset/\S+/)", message.text_body).group(1)
    page.goto(link)
    assert "set-password" in page.url  # the token left the address bar
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your password is saved").is_visible()
    page.get_by_role("link", name="Log in").click()
    _login(page, base, world.alice.email, NEW_PASSWORD)
    assert page.url == f"{base}/"  # the dashboard: logged in with the new password


def _options(page, name: str) -> list[str]:
    return page.eval_on_selector(
        f'select[name="{name}"]', "s => [...s.options].map(o => o.textContent.trim())"
    )


def test_open_form_lists_narrow_as_you_choose(browser, live_server, settings):
    # R: B2 — product → major version → patch, by our own script; the form still submits.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    cat = world.catalogue
    MajorVersion.objects.create(product=cat["product"], name="10")
    Patch.objects.create(major_version=cat["version"], name="9.3.0")
    Patch.objects.create(major_version=cat["other_version"], name="4.1.7")
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base, world.alice.email)
    page.goto(f"{base}/cases/new/")
    # Nothing chosen yet: everything is offered, as without the script.
    assert set(_options(page, "major_version")) == {
        "— choose —",
        "Dialer 10",
        "Dialer 9",
        "Voicemail 4",
    }

    page.get_by_label("Product", exact=True).select_option(label="Voicemail")
    assert _options(page, "major_version") == ["— choose —", "Voicemail 4"]
    assert _options(page, "patch") == ["— not known / none —", "Voicemail 4 4.1.7"]

    page.get_by_label("Product", exact=True).select_option(label="Dialer")
    assert set(_options(page, "major_version")) == {"— choose —", "Dialer 9", "Dialer 10"}
    page.get_by_label("Major version").select_option(label="Dialer 9")
    assert set(_options(page, "patch")) == {
        "— not known / none —",
        "Dialer 9 9.2.1",
        "Dialer 9 9.3.0",
    }
    page.get_by_label("Patch").select_option(label="Dialer 9 9.3.0")
    # Another product clears the version and patch that no longer fit.
    page.get_by_label("Product", exact=True).select_option(label="Voicemail")
    assert page.eval_on_selector('select[name="major_version"]', "s => s.value") == ""
    assert page.eval_on_selector('select[name="patch"]', "s => s.value") == ""

    page.get_by_label("Product", exact=True).select_option(label="Dialer")
    page.get_by_label("Major version").select_option(label="Dialer 9")
    page.get_by_label("Patch").select_option(label="Dialer 9 9.3.0")
    page.get_by_label("Subject").fill("Pacing drifts after the patch")
    page.get_by_label("What happens (or does not happen)?").fill("The pacing ratio drifts.")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/cases/CS-\d+/$"))
    assert errors == []


def _widths(page) -> dict[str, int]:
    return page.evaluate(
        """() => {
          const wrap = document.querySelector('.table-wrap');
          return {page: document.documentElement.scrollWidth,
                  view: document.documentElement.clientWidth,
                  table: wrap ? wrap.scrollWidth : 0, box: wrap ? wrap.clientWidth : 0};
        }"""
    )


def test_queue_fits_a_laptop_and_a_phone(browser, live_server, settings):
    # R: B10 — no sideways scrolling at 1366 px, even with long names and badges.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    world.acme.name = "Northwind Telecommunications and Contact Centre Partners Ltd"
    world.acme.save()
    world.open_case(
        world.alice,
        subject="All inbound calls failing — primary SIP gateway down after the carrier cutover",
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
    )
    base = live_server.url
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, base, world.engineer.email)
    page.goto(f"{base}/console/")
    sizes = _widths(page)
    assert sizes["page"] <= sizes["view"], sizes
    assert 0 < sizes["table"] <= sizes["box"], sizes
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    sizes = _widths(page)
    assert sizes["page"] <= sizes["view"], sizes
