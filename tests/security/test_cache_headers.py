"""Private pages are not cached; static assets are (issue 15 item 10; security rule 5).

Every page, list, the console, the back office, the login form and every API answer carry
``Cache-Control: private, no-store`` so that no browser cache, shared proxy or shared
computer keeps a copy of a case; CSS and JavaScript keep WhiteNoise's caching.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client

from casedesk.accounts.services import api_token_create
from casedesk.files.models import Source
from casedesk.files.services import attachment_store


def directives(response) -> set[str]:  # type: ignore[no-untyped-def]
    header = response.get("Cache-Control", "")
    return {part.strip().lower() for part in header.split(",") if part.strip()}


def assert_private(response, url: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (url, response.status_code)
    assert {"private", "no-store"} <= directives(response), (url, response.get("Cache-Control"))


def test_anonymous_pages_and_api_are_not_stored(world):
    # R: A4 (security rule 5)
    client = Client()
    expected = {
        "/login/": 200,
        "/cases/": 302,
        "/console/": 302,
        "/no-such-page/": 404,
        "/api/v1/openapi.json": 200,
        "/api/v1/me": 401,
        "/api/v1/no-such-endpoint": 404,
    }
    for url, status in expected.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert_private(response, url)
    failed_login = client.post("/login/", {"username": world.alice.email, "password": "wrong"})
    assert_private(failed_login, "POST /login/")
    token = client.post(
        "/api/v1/auth/token",
        {"email": world.alice.email, "password": "correct-horse-battery-staple"},
        content_type="application/json",
    )
    assert token.status_code == 201
    assert_private(token, "POST /api/v1/auth/token")


def test_every_role_sees_its_pages_uncached(world):
    # R: A4, B10, B11 (security rule 5)
    number = world.alice_case.number
    attachment = attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"trace\n"),
        source=Source.BROWSER,
        now=world.now,
    )
    pages = {
        world.alice: [
            "/",
            "/cases/",
            f"/cases/{number}/",
            "/cases/new/",
            "/profile/",
            f"/files/{attachment.pk}/download/",
            "/api/v1/cases",
            f"/api/v1/cases/{number}",
        ],
        world.engineer: [
            "/console/",
            f"/console/cases/{number}/",
            "/console/cases/new/",
            "/console/escalations/",
            "/api/v1/cases?scope=queue",
        ],
        world.care: ["/console/mail/", "/admin/", f"/console/cases/{number}/"],
        world.manager: ["/console/surveys/", "/console/escalations/", "/api/v1/me"],
    }
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user.email, url, response.status_code)
            assert_private(response, url)
    # A form post's redirect, and an API write, are private too.
    client = Client()
    client.force_login(world.alice)
    posted = client.post(f"/cases/{number}/update/", {"body": "Any news?"})
    assert posted.status_code in (302, 303)
    assert_private(posted, "POST update")
    token = api_token_create(user=world.engineer, name="t", now=world.now)
    reply = Client().post(
        f"/api/v1/cases/{number}/updates",
        {"body": "Looking at it"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 201
    assert_private(reply, "POST /api/v1/…/updates")


@pytest.mark.parametrize("asset", ["casedesk/app.css", "casedesk/js/uploads.js"])
def test_static_assets_keep_their_long_caching(db, asset):
    # R: (security rule 5) — only private answers lose caching
    response = Client().get(f"/static/{asset}")
    assert response.status_code == 200
    found = directives(response)
    assert "no-store" not in found and "private" not in found
    assert "public" in found
    max_age = next(d for d in found if d.startswith("max-age="))
    assert int(max_age.split("=", 1)[1]) > 0
