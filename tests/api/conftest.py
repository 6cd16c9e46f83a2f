"""API test helpers: a JSON client per user, a frozen clock, and a clean rate-limit cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from casedesk.accounts.services import api_token_create

BASE = "/api/v1"


class ApiClient:
    """Sends JSON with a bearer token; ``raw`` sends an arbitrary body unchanged."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.raw(path, data)

    def raw(self, path: str, data: str | bytes) -> Any:
        return self.client.post(
            BASE + path, data, content_type="application/json", headers=self.headers
        )


@pytest.fixture(autouse=True)
def _fast_hasher(settings):  # type: ignore[no-untyped-def]
    """The world has seven users; hashing their passwords with PBKDF2 dominated the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _frozen_clock(now, time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(now, tick=False)


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user(world):  # type: ignore[no-untyped-def]
    """``as_user(world.alice)`` → an ApiClient holding a fresh token of alice's."""

    def make(user: Any) -> ApiClient:
        return ApiClient(api_token_create(user=user, name="test", now=world.now))

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient(None)


def field_errors(response: Any) -> dict[str | None, str]:
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    return {e["field"]: e["message"] for e in body["errors"]}
