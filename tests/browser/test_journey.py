"""The journey a person takes (issue item 8): a contact opens a case in the portal, an
engineer proposes a solution in the console, the contact closes it."""

from __future__ import annotations

import re

import pytest

from casedesk.cases.models import Case, parse_case_number
from casedesk.core import clock
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_open_propose_close(browser, live_server, settings):
    # R: B2, B4, B6, A4
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    base = live_server.url

    contact = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(contact, base, world.alice.email)
    contact.goto(f"{base}/cases/new/")
    contact.get_by_label("Product", exact=True).select_option(label="Dialer")
    contact.get_by_label("Major version").select_option(label="Dialer 9")
    contact.get_by_label("Subject").fill("Campaign stops after ten calls")
    contact.get_by_label("What happens (or does not happen)?").fill(
        "Since the 9.2.1 patch the outbound campaign stops after ten calls."
    )
    contact.get_by_role("button", name="Open the case").click()
    contact.wait_for_url(re.compile(r"/cases/CS-\d+/$"))
    number = contact.url.rstrip("/").rsplit("/", 1)[-1]
    case = Case.objects.get(pk=parse_case_number(number))
    assert case.contact_id == world.alice.pk and case.subject == "Campaign stops after ten calls"
    assert "Campaign stops after ten calls" in contact.content()

    engineer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _login(engineer, base, world.engineer.email)
    engineer.goto(f"{base}/console/cases/{number}/")
    engineer.get_by_label("Action").select_option(value="propose_solution:replied")
    engineer.get_by_label("Why (recorded on the timeline)").fill(
        "Set the pacing ratio back to 1.2; the patch changed the default."
    )
    engineer.get_by_role("button", name="Change status").click()
    engineer.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "solution_proposed"

    contact.reload()
    assert "Solution Proposed" in contact.content()
    contact.get_by_label("Resolved — the problem is solved").check()
    contact.get_by_label("Closure comment").fill("Works again, thank you.")
    contact.get_by_role("button", name="Close case").click()
    contact.wait_for_load_state()
    case.refresh_from_db()
    assert case.is_closed and case.sub_status == "resolved"
    assert "Closed" in contact.content()
