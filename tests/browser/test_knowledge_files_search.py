"""Article images, resource-centre hits in the one search, and the end-of-life refusal, in
Chromium (F1, F4, F6, T48; issue 12). Screenshots go to ``CASEDESK_SHOTS`` when set."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from casedesk.knowledge.services import article_file_add
from casedesk.resources.models import Document, DocumentKind, VersionLifecycle
from tests.factories import build_world
from tests.knowledge.conftest import publish
from tests.resources.conftest import build_resources

from .test_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A 2×2 red PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0f09f819181818101001c2f03fd8c7c1b1b0000000049454e44ae426082"
)


def test_images_resources_and_end_of_life_in_the_browser(browser, live_server, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(now=dt.datetime(2026, 11, 24, 14, tzinfo=dt.UTC))
    res = build_resources(world)
    Document.objects.create(
        product=res.fax,
        kind=DocumentKind.INSTALLATION,
        title="Fax Server installation guide",
        body="Install the modem driver, then restart the spooler.",
    )
    article = publish(world, "Wiring the fax modem", "Placeholder", visibility="public")
    image = article_file_add(
        actor=world.engineer, article=article, filename="wiring.png", chunks=[PNG], now=world.now
    )
    shown = publish(
        world, "Fax modem wiring diagram", f"The wiring:\n\n{image.markdown}", visibility="public"
    )
    shots = Path(os.environ.get("CASEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(page, live_server.url, world.alice.email)
    page.goto(f"{live_server.url}/kb/{shown.pk}/")
    img = page.locator("article img")
    assert img.get_attribute("src") == image.path
    assert page.evaluate("(el) => el.naturalWidth", img.element_handle()) == 2
    page.screenshot(path=str(shots / "kb-article-image.png"), full_page=True)

    page.goto(f"{live_server.url}/search/?q=fax")
    assert page.locator(".tabs").get_by_text("Resource centre").is_visible()
    page.screenshot(path=str(shots / "search-resources.png"), full_page=True)
    page.get_by_role("link", name="fax-2.1.zip").click()
    assert page.url.endswith(f"/resources/{res.fax.pk}/#download-{res.fax_file.pk}")

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    _login(phone, live_server.url, world.alice.email)
    phone.goto(f"{live_server.url}/search/?q=fax")
    phone.screenshot(path=str(shots / "search-resources-phone.png"), full_page=True)

    VersionLifecycle.objects.create(
        major_version=world.catalogue["version"],
        end_of_support=dt.date(2026, 1, 1),
        end_of_life=dt.date(2026, 2, 1),
    )
    staff = browser.new_page(viewport={"width": 1366, "height": 900})
    _login(staff, live_server.url, world.engineer.email)
    staff.goto(f"{live_server.url}/console/kb/{article.pk}/edit/")
    assert staff.get_by_role("heading", name="Images and attachments").is_visible()
    assert staff.get_by_text(image.markdown).is_visible()
    staff.screenshot(path=str(shots / "console-kb-files.png"), full_page=True)
