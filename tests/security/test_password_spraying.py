"""Password spraying is throttled per source address (issue 15 item 12, security rule 12).

One password tried against many accounts from one address never trips a per-account
count; the per-address count refuses the rest, on the token endpoint and the login page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from casedesk.core import ratelimit

SPRAY = 40
PASSWORD = "Winter2026!"


def _token(client, email: str, **extra):
    return client.post(
        "/api/v1/auth/token",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
        **extra,
    )


@pytest.mark.django_db
def test_spraying_the_token_endpoint_from_one_address_gets_429(client, world):
    # R: issue 15 item 12 — before, all 40 accounts x 1 password answered 401.
    statuses = [
        _token(client, f"user{n}@acme.example", REMOTE_ADDR="203.0.113.9").status_code
        for n in range(SPRAY)
    ]
    limit = ratelimit.ADDRESS_LIMIT
    assert statuses[:limit] == [401] * limit
    assert statuses[limit:] == [429] * (SPRAY - limit)
    refused = _token(client, "alice@acme.example", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429 and refused["Retry-After"] == str(ratelimit.WINDOW)
    assert "network address" in refused.json()["detail"]
    # Another address is not held up by this one.
    assert _token(client, "alice@acme.example", REMOTE_ADDR="198.51.100.4").status_code == 401


@pytest.mark.django_db
def test_spraying_the_login_page_shows_a_form_error(client, world):
    # R: issue 15 item 12 — the portal/console login page (one LoginView) counts the same.
    url = reverse("login")
    for n in range(ratelimit.ADDRESS_LIMIT):
        page = client.post(url, {"username": f"u{n}@acme.example", "password": PASSWORD})
        assert page.status_code == 200
    page = client.post(url, {"username": "alice@acme.example", "password": "casedesk-demo"})
    assert page.status_code == 429
    assert "Too many failed sign-in attempts from your network address" in page.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_success_does_not_reset_the_address_count(client, world, settings):
    # R: issue 15 item 12 — a sprayer holding one valid password cannot clear its count.
    settings.LOGIN_ADDRESS_LIMIT = 3
    for n in range(2):
        assert _token(client, f"u{n}@acme.example").status_code == 401
    world.alice.set_password(PASSWORD)
    world.alice.save()
    assert _token(client, "alice@acme.example").status_code == 201
    assert _token(client, "u9@acme.example").status_code == 401
    assert _token(client, "alice@acme.example").status_code == 429


@pytest.mark.django_db
def test_forwarded_addresses_count_only_behind_a_trusted_proxy(client, world, settings):
    # R: issue 15 item 12 — X-Forwarded-For is believed only from CASEDESK_FORWARDED_ALLOW_IPS
    # with CASEDESK_BEHIND_TLS_PROXY on; a client cannot dodge the count by forging it.
    settings.LOGIN_ADDRESS_LIMIT = 2
    forged = [
        _token(
            client,
            f"u{n}@acme.example",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
        for n in range(3)
    ]
    assert [r.status_code for r in forged] == [401, 401, 429]
    settings.BEHIND_TLS_PROXY = True
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    via_proxy = [
        _token(
            client,
            f"v{n}@acme.example",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.9, 192.0.2.{n % 2}",
        )
        for n in range(4)
    ]
    # Two clients behind the proxy, each with its own count (the proxy's own address not).
    assert [r.status_code for r in via_proxy] == [401, 401, 401, 401]
    assert (
        _token(
            client, "w@acme.example", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.0"
        ).status_code
        == 429
    )
