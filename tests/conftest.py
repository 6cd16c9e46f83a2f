"""Shared fixtures: a small world with two organisations, their contacts and support staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches

from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """PBKDF2 is slow by design; tests of other things need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Per-test memory cache: rate-limit counters must not leak between tests or runs.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # LocMemCache instances with the same LOCATION share one store: empty it.
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _files_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test's attachment bytes go to its own directory."""
    settings.FILES_ROOT = tmp_path / "files"


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db, now):  # type: ignore[no-untyped-def]
    return factories.build_world(now=now)
