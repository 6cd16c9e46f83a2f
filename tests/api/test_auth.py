"""Authentication: tokens, sessions with CSRF, and login rate limiting (rule 12)."""

from __future__ import annotations

import pytest
from django.test import Client

from casedesk.accounts.models import ApiToken
from tests.factories import PASSWORD

from .conftest import BASE, field_errors


def test_token_issued_for_right_password_and_works(world, anonymous):  # R: A2
    response = anonymous.post("/auth/token", {"email": "Alice@Acme.example", "password": PASSWORD})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("cdk_")
    assert body["token_type"] == "Bearer"
    assert body["email"] == "alice@acme.example"
    # Stored only as a digest (rule 12).
    assert not ApiToken.objects.filter(digest=body["token"]).exists()
    me = Client().get(f"{BASE}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "alice@acme.example"


@pytest.mark.parametrize("email", ["alice@acme.example", "nobody@acme.example"])
def test_wrong_credentials_are_401_with_a_clear_message(world, anonymous, email):  # R: A2
    response = anonymous.post("/auth/token", {"email": email, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong e-mail address or password."


def test_inactive_user_gets_no_token(world, anonymous):  # R: A6
    world.carol.is_active = False
    world.carol.save()
    response = anonymous.post("/auth/token", {"email": "carol@acme.example", "password": PASSWORD})
    assert response.status_code == 401
    # The same answer as a wrong password: an inactive account is not revealed.
    assert response.json()["detail"] == "Wrong e-mail address or password."
    assert not ApiToken.objects.filter(user=world.carol).exists()


def test_login_failures_are_rate_limited_per_email_and_ip(world):  # R: A2 (security rule 12)
    client = Client(REMOTE_ADDR="203.0.113.7")
    url = f"{BASE}/auth/token"
    wrong = {"email": "alice@acme.example", "password": "wrong"}
    for _ in range(10):
        assert client.post(url, wrong, content_type="application/json").status_code == 401
    blocked = client.post(url, wrong, content_type="application/json")
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.json()["detail"]
    assert int(blocked["Retry-After"]) > 0
    # Even the right password is refused while the window lasts.
    right = {"email": "alice@acme.example", "password": PASSWORD}
    assert client.post(url, right, content_type="application/json").status_code == 429
    # Another address from the same IP, and the same address from another IP, still work.
    other_user = {"email": "bob@acme.example", "password": PASSWORD}
    assert client.post(url, other_user, content_type="application/json").status_code == 201
    other_ip = Client(REMOTE_ADDR="198.51.100.9")
    assert other_ip.post(url, right, content_type="application/json").status_code == 201


def test_rate_limit_window_expires(world, time_machine):  # R: A2 (security rule 12)
    client = Client()
    url = f"{BASE}/auth/token"
    wrong = {"email": "alice@acme.example", "password": "wrong"}
    for _ in range(10):
        client.post(url, wrong, content_type="application/json")
    assert client.post(url, wrong, content_type="application/json").status_code == 429
    # LocMemCache expiry uses time.time(), which time_machine moves.
    time_machine.shift(16 * 60)
    right = {"email": "alice@acme.example", "password": PASSWORD}
    assert client.post(url, right, content_type="application/json").status_code == 201


def test_unauthenticated_requests_get_401(world, anonymous):  # R: A4
    for path in ["/me", "/cases", "/catalogue", f"/cases/{world.alice_case.number}"]:
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert "Bearer" in response.json()["detail"]
    assert anonymous.post("/me/pin").status_code == 401


@pytest.mark.parametrize(
    "header", ["Bearer cdk_not-a-token", "Bearer ", "Token abc", "Bearer " + "x" * 5000, "Basic"]
)
def test_bad_bearer_tokens_get_401(world, header):  # R: A4
    response = Client().get(f"{BASE}/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")


def test_revoked_token_stops_working(world, as_user):  # R: A4 (security rule 12)
    api = as_user(world.alice)
    assert api.get("/me").status_code == 200
    ApiToken.objects.update(revoked_at=world.now)
    refused = api.get("/me")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("Authentication required")


def test_session_auth_shares_the_pages_login(world):  # R: A4 (security rule 3)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.get(f"{BASE}/me").json()["email"] == "alice@acme.example"
    detail = client.get(f"{BASE}/cases/{world.gina_case.number}")
    assert detail.status_code == 404


def test_session_auth_requires_csrf_on_unsafe_methods(world):  # R: A4 (security rule 12)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    url = f"{BASE}/cases/{world.alice_case.number}/updates"
    refused = client.post(url, {"body": "hello"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert world.alice_case.events.count() == 1  # only "opened"
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    accepted = client.post(
        url, {"body": "hello"}, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert accepted.status_code == 201, accepted.content


def test_bearer_needs_no_csrf(world, as_user):  # R: A4
    api = as_user(world.alice)
    api.client = Client(enforce_csrf_checks=True)
    response = api.post(f"/cases/{world.alice_case.number}/updates", {"body": "hello"})
    assert response.status_code == 201


def test_token_body_is_validated(world, anonymous):  # R: A2
    response = anonymous.post("/auth/token", {"email": "alice@acme.example"})
    assert response.status_code == 422
    assert "body.password" in field_errors(response)
    extra = anonymous.post(
        "/auth/token", {"email": "alice@acme.example", "password": PASSWORD, "role": "care"}
    )
    assert extra.status_code == 422
    assert "body.role" in field_errors(extra)
