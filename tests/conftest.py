"""Shared fixtures: a small world with two organisations, their contacts and support staff."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings

from casedesk.cases import services as case_services
from casedesk.core import clock
from tests import factories

# Hypothesis fails an example that takes longer than 200 ms: a wall-clock assertion, which
# on a loaded machine fails by timing luck (issue 16: test_clock_rules' first example,
# which builds a cold calendar year, took 281 ms under load). No deadline, for every test.
hypothesis_settings.register_profile("casedesk", deadline=None)
hypothesis_settings.load_profile("casedesk")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):  # type: ignore[no-untyped-def]
    """SQLite tests run on a database file, never Django's default shared in-memory one.

    Tests that run a server in a thread (SFTP, SMTP, live server) or several writers at once
    need real SQLite locking. The in-memory test database is opened in shared-cache mode,
    whose table locks fail at once with "database table is locked" (SQLITE_LOCKED) instead
    of waiting out the busy timeout as file locks (SQLITE_BUSY) do, so such tests passed or
    failed by scheduling luck. A file gives every thread its own connection with the
    production settings: WAL, BEGIN IMMEDIATE, a 20 s busy timeout. CASEDESK_TEST_SQLITE_NAME
    still chooses the file.

    CASEDESK_TEST_SQLITE_TEMPLATE names an already migrated database that is copied to the
    session's file; with ``--reuse-db`` the session then skips the migrations. mutation/run
    uses it: mutmut starts a test session per mutant, and migrating each time cost more than
    the tests themselves.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not os.environ.get("CASEDESK_TEST_SQLITE_NAME"):
        db["TEST"]["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "casedesk-test.sqlite3")
        template = os.environ.get("CASEDESK_TEST_SQLITE_TEMPLATE")
        if template:
            shutil.copyfile(template, db["TEST"]["NAME"])


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


@pytest.fixture
def due_world(settings):  # type: ignore[no-untyped-def]
    """alice's first follow-up due (C5): in a world built 40 days ago her case has waited on
    her for 30 days. The mail of that history is still queued; mail goes to Django's memory
    backend (``mail.outbox``). On the real clock: the worker reads ``clock.now()``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    real_now = clock.now()
    world = factories.build_world(now=real_now - dt.timedelta(days=40))
    case_services.case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="logs please",
        now=real_now - dt.timedelta(days=30),
    )
    return world
