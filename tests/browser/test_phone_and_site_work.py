"""Chromium journeys of issue 14: the console phone desk (H1, C3) — live calls and emergencies
before web cases, PIN → caller, one-step call log and case opening — and the site-work pages
(G1, G4-G6): cutover calendar and filing with a diagram, site visits, routing, the timeline.

Screenshots go to ``CASEDESK_SHOTS`` when set (to look at), else to a temp dir.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from casedesk.cases.models import Case, CaseEvent
from casedesk.cases.services import case_mark_all_info_provided
from casedesk.core import clock
from casedesk.obligations.models import CutoverNotice
from casedesk.phone import services as phone
from casedesk.phone.models import Call
from casedesk.sitework.models import ScopeRouting, SiteVisit
from tests.factories import build_world

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shots(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_the_phone_desk_from_pin_to_logged_call_and_new_case(
    browser, live_server, settings, tmp_path
):
    # R: H1, C3 — PIN → caller, organisation, maintenance, open cases; log or open in one
    # step; emergencies and live calls before web cases.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    shots = _shots(tmp_path)
    now = clock.now()
    phone.call_queued(now=now - dt.timedelta(minutes=4), caller=world.carol)
    phone.call_queued(now=now - dt.timedelta(minutes=2), external_id="pbx-unknown")
    phone.call_queued(now=now - dt.timedelta(minutes=1), caller=world.gina, emergency=True)
    base = live_server.url
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base, world.engineer.email)

    # The queue puts the live calls above the web cases.
    page.goto(f"{base}/console/")
    live_box = page.locator("#queue-live-calls").bounding_box()
    case_link = page.get_by_role("link", name=world.alice_case.number).first.bounding_box()
    assert live_box and case_link and live_box["y"] < case_link["y"]
    assert page.locator("#queue-live-calls li").first.inner_text().startswith("Emergency")

    page.goto(f"{base}/console/phone/")
    rows = page.locator("#live-calls tbody tr")
    assert rows.count() == 3
    assert (
        "Emergency" in rows.nth(0).inner_text() and world.gina.full_name in rows.nth(0).inner_text()
    )
    assert world.carol.full_name in rows.nth(1).inner_text()  # then the oldest waiting
    assert "Unidentified" in rows.nth(2).inner_text()
    page.screenshot(path=str(shots / "phone-live.png"), full_page=True)

    # Answer the unidentified caller, then identify them by PIN.
    rows.nth(2).get_by_role("button", name="Answer").click()
    page.wait_for_load_state()
    page.get_by_label("Caller's support PIN").fill(world.alice.support_pin)
    page.get_by_role("button", name="Find caller").click()
    page.wait_for_load_state()
    card = page.locator(".contact-card")
    text = card.inner_text()
    assert world.alice.full_name in text and "Acme" in text and "Covered" in text
    assert world.alice_case.number in text and world.carol_case.number in text
    assert world.gina_case.number not in text
    page.screenshot(path=str(shots / "phone-caller.png"), full_page=True)

    # One step: the call logged on her case.
    page.locator('form[action$="/phone/log/"] select[name="case"]').select_option(
        value=world.alice_case.number
    )
    page.get_by_label("What was said").fill("Walked through the trunk settings by phone.")
    page.get_by_label("Public (the customer sees it)").check()
    page.get_by_role("button", name="Log the call").click()
    page.wait_for_load_state()
    assert f"Call logged on {world.alice_case.number}" in page.content()
    call = Call.objects.get(external_id="pbx-unknown")
    assert call.caller == world.alice and call.answered_at is not None
    assert list(call.cases.all()) == [world.alice_case]

    # One step: a new case for the same caller, channel phone.
    page.get_by_label("Product", exact=True).select_option(label="Dialer")
    page.get_by_label("Major version").select_option(label="Dialer 9")
    page.get_by_label("Subject").fill("Pacing drifts since this morning")
    page.get_by_label("What happens (or does not happen)?").fill("The pacing ratio drifts.")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/console/cases/CS-\d+/$"))
    opened = Case.objects.get(subject="Pacing drifts since this morning")
    assert opened.contact == world.alice and opened.channel == "phone"
    assert opened in call.cases.all()

    # The customer sees the public call log on her own case's timeline.
    customer = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(customer, base, world.alice.email)
    customer.goto(f"{base}/cases/{world.alice_case.number}/")
    assert "Walked through the trunk settings by phone." in customer.content()
    assert CaseEvent.objects.filter(case=world.alice_case, data__call=call.pk).exists()
    assert errors == []


def _fill_cutover(page, site, start, kind: str, technician: str, hours: int) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form[enctype]")
    form.locator('select[name="site"]').select_option(label=str(site))
    form.locator('select[name="kind"]').select_option(value=kind)
    form.locator('input[name="technician"]').fill(technician)
    form.locator('input[name="product_line"]').fill("Contact Centre")
    form.locator('input[name="installation_date"]').fill(start.date().isoformat())
    form.locator('input[name="cutover_start"]').fill(start.strftime("%Y-%m-%dT%H:%M"))
    end = start + dt.timedelta(hours=hours)
    form.locator('input[name="cutover_end"]').fill(end.strftime("%Y-%m-%dT%H:%M"))
    form.locator('input[name="site_contact"]').fill("Sam Site")


def test_site_work_pages(browser, live_server, settings, tmp_path):
    # R: G1, G4, G5, G6 — every page added or touched, used and photographed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=clock.now())
    shots = _shots(tmp_path)
    base = live_server.url
    diagram = tmp_path / "topology.pdf"
    diagram.write_bytes(b"%PDF-1.4 topology")
    start = (clock.now() + dt.timedelta(days=21)).replace(hour=9, minute=0)
    while start.weekday() != 5:
        start += dt.timedelta(days=1)

    # The customer files a weekend cutover with its diagram.
    customer = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(customer, base, world.alice.email)
    customer.goto(f"{base}/cutovers/")
    _fill_cutover(customer, world.acme_contract.site, start, "server_upgrade", "Tom Tech", 5)
    customer.get_by_label("Wiring").check()
    customer.get_by_label("Network topology diagram").set_input_files(str(diagram))
    customer.get_by_role("button", name="File the notice").click()
    customer.wait_for_load_state()
    assert "Topology diagram: topology.pdf" in customer.content()
    customer.screenshot(path=str(shots / "portal-cutovers.png"), full_page=True)
    notice = CutoverNotice.objects.get()

    engineer = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(engineer, base, world.engineer.email)
    engineer.goto(f"{base}/console/cutovers/?days=60")
    row = engineer.locator("#cutovers tbody tr").first
    assert "Weekend" in row.inner_text() and "topology.pdf" in row.inner_text()
    engineer.screenshot(path=str(shots / "console-cutovers.png"), full_page=True)
    with engineer.expect_download() as got:
        row.get_by_role("link", name="topology.pdf").click()
    assert Path(got.value.path()).read_bytes() == b"%PDF-1.4 topology"

    # The engineer files one for Globex from the console.
    engineer.get_by_role("link", name="File a notice for a customer").click()
    engineer.locator('select[name="organisation"]').select_option(label="Globex")
    engineer.get_by_role("button", name="Choose").click()
    engineer.wait_for_load_state()
    engineer.screenshot(path=str(shots / "console-cutover-new.png"), full_page=True)
    weekday = start + dt.timedelta(days=3)
    _fill_cutover(engineer, world.globex_contract.site, weekday, "added_lines", "Globex tech", 2)
    engineer.get_by_role("button", name="File the notice").click()
    engineer.wait_for_url(re.compile(r"/console/cutovers/$"))
    assert CutoverNotice.objects.filter(organisation=world.globex, filed_by=world.engineer).exists()
    assert notice.pk

    # A site visit once the remote information is in; a manager approves it.
    case_mark_all_info_provided(case=world.alice_case, actor=world.engineer, now=clock.now())
    engineer.goto(f"{base}/console/cases/{world.alice_case.number}/")
    engineer.get_by_text("Request a site visit").click()
    engineer.get_by_label("Why someone must go on site").fill("Swap the DSP card")
    engineer.get_by_label("Visit on").fill((clock.now().date() + dt.timedelta(days=2)).isoformat())
    engineer.get_by_label("Travel cost").fill("100")
    engineer.get_by_label("Daily rate").fill("900")
    engineer.get_by_role("button", name="Request visit").click()
    engineer.wait_for_load_state()
    assert "Site visit requested" in engineer.content()
    engineer.locator("#site-visits").screenshot(path=str(shots / "console-case-visits.png"))
    manager = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(manager, base, world.manager.email)
    manager.goto(f"{base}/console/site-visits/")
    assert "1000.00 EUR" in manager.content()
    manager.screenshot(path=str(shots / "console-site-visits.png"), full_page=True)
    manager.get_by_role("button", name="Approve").click()
    manager.wait_for_load_state()
    assert SiteVisit.objects.get().state == "approved"

    # Carol's case is about a customisation: routed with the handbook's answer.
    engineer.goto(f"{base}/console/cases/{world.carol_case.number}/")
    engineer.get_by_label("Customisation").check()
    engineer.get_by_role("button", name="Route and close").click()
    engineer.wait_for_load_state()
    assert ScopeRouting.objects.get().case_id == world.carol_case.pk
    engineer.screenshot(path=str(shots / "console-case-routed.png"), full_page=True)

    customer.goto(f"{base}/cases/{world.alice_case.number}/")
    assert "Site visit approved" in customer.content()
    customer.screenshot(path=str(shots / "portal-case-visit.png"), full_page=True)
    # On a phone the calendar still fits (no sideways scrolling of the page).
    engineer.set_viewport_size({"width": 390, "height": 844})
    engineer.goto(f"{base}/console/cutovers/?days=60")
    engineer.screenshot(path=str(shots / "console-cutovers-phone.png"), full_page=True)
