"""Login failure counting (security rule 12; issue 16).

Issue 16 planted "rate limit keyed on the e-mail address as typed": an attacker then
gets ten guesses per spelling (``Alice@``, ``ALICE@`` …), i.e. unlimited guesses,
because sign-in itself ignores the case of the address. The counter must not.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, RequestFactory

from casedesk.core import ratelimit
from tests.factories import PASSWORD

factory = RequestFactory()
MESSAGE = (
    "Too many failed sign-in attempts for this e-mail address. Wait 15 minutes and try "
    "again, or reset your password."
)


class KeyExpiresBeforeIncr(LocMemCache):
    """The race the counter guards against: the entry lapses between ``add`` and ``incr``."""

    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        self.delete(key, version=version)
        return super().incr(key, delta, version)


def _use_cache(settings, backend: str) -> None:
    # LocMemCache instances with one LOCATION share their entries.
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "ratelimit-test"}}


RACY = f"{__name__}.KeyExpiresBeforeIncr"
PLAIN = "django.core.cache.backends.locmem.LocMemCache"


def request_from(ip: str):
    return factory.post("/login/", REMOTE_ADDR=ip)


def test_ten_failures_block_the_pair_and_the_eleventh_check_says_when():
    req = request_from("203.0.113.7")
    for _ in range(ratelimit.LIMIT - 1):
        ratelimit.record_failure("alice@acme.example", req)
    ratelimit.check("alice@acme.example", req)  # nine: still allowed
    ratelimit.record_failure("alice@acme.example", req)
    with pytest.raises(ratelimit.TooManyAttempts) as exc:
        ratelimit.check("alice@acme.example", req)
    assert exc.value.reason == MESSAGE
    assert exc.value.retry_after == 15 * 60
    assert exc.value.status_code == 429
    assert (ratelimit.LIMIT, ratelimit.WINDOW) == (10, 15 * 60)  # security rule 12


@pytest.mark.parametrize("spelling", ["Alice@Acme.Example", "ALICE@ACME.EXAMPLE"])
def test_the_counter_ignores_the_case_of_the_address(spelling):
    req = request_from("203.0.113.7")
    for _ in range(5):
        ratelimit.record_failure("alice@acme.example", req)
    for _ in range(5):
        ratelimit.record_failure(spelling, req)
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.check("alice@acme.example", req)
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.check(spelling, req)
    ratelimit.clear(spelling, req)
    ratelimit.check("alice@acme.example", req)


def test_the_counter_is_per_address_and_per_ip():
    req = request_from("203.0.113.7")
    for _ in range(ratelimit.LIMIT):
        ratelimit.record_failure("alice@acme.example", req)
    ratelimit.check("bob@acme.example", req)
    ratelimit.check("alice@acme.example", request_from("198.51.100.9"))


def test_mixed_case_guesses_on_the_login_page_share_one_counter(client: Client, world):
    # R: security rule 12 — end to end: the page signs in case-insensitively, so it counts so.
    spellings = [world.alice.email.upper(), world.alice.email.title(), world.alice.email]
    for attempt in range(10):
        response = client.post("/login/", {"username": spellings[attempt % 3], "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post("/login/", {"username": world.alice.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_scoped_counters_are_case_insensitive_and_limited_per_scope():
    # The SFTP drop box counts per user name and per address, each with its own limit.
    for _ in range(3):
        ratelimit.attempts_record_failure("sftp-user", "Upload-7", window=60)
    assert ratelimit.attempts_blocked("sftp-user", "upload-7", limit=3)
    assert not ratelimit.attempts_blocked("sftp-user", "upload-7", limit=4)
    assert not ratelimit.attempts_blocked("sftp-ip", "upload-7", limit=3)
    ratelimit.attempts_clear("sftp-user", "UPLOAD-7")
    assert not ratelimit.attempts_blocked("sftp-user", "upload-7", limit=1)
    for _ in range(ratelimit.LIMIT):
        ratelimit.attempts_record_failure("sftp-ip", "203.0.113.7")
    assert ratelimit.attempts_blocked("sftp-ip", "203.0.113.7")
    assert not ratelimit.attempts_blocked("sftp-ip", "203.0.113.8")


def test_the_window_is_fifteen_minutes_from_the_first_failure(time_machine):
    # R: security rule 12 — "The window is fixed from the first failure."
    req = request_from("203.0.113.7")
    time_machine.move_to("2026-11-24 14:00:00+00:00", tick=False)
    for _ in range(ratelimit.LIMIT):
        ratelimit.record_failure("alice@acme.example", req)
        ratelimit.attempts_record_failure("sftp-user", "upload-7")
    time_machine.move_to("2026-11-24 14:14:59+00:00", tick=False)
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.check("alice@acme.example", req)
    assert ratelimit.attempts_blocked("sftp-user", "upload-7")
    time_machine.move_to("2026-11-24 14:15:01+00:00", tick=False)
    ratelimit.check("alice@acme.example", req)
    assert not ratelimit.attempts_blocked("sftp-user", "upload-7")


def test_a_failure_whose_entry_lapsed_mid_count_starts_a_new_window(settings, time_machine):
    # The entry lapses between add and incr: the failure still counts, as the first of a
    # new fifteen-minute window.
    req = request_from("203.0.113.7")
    time_machine.move_to("2026-11-24 14:00:00+00:00", tick=False)
    _use_cache(settings, RACY)
    caches["default"].clear()
    ratelimit.record_failure("alice@acme.example", req)
    ratelimit.attempts_record_failure("sftp-ip", "203.0.113.7", window=600)
    _use_cache(settings, PLAIN)
    for _ in range(ratelimit.LIMIT - 2):
        ratelimit.record_failure("alice@acme.example", req)
    ratelimit.check("alice@acme.example", req)  # 1 + 8 = 9 failures: not yet
    ratelimit.record_failure("alice@acme.example", req)
    assert ratelimit.attempts_blocked("sftp-ip", "203.0.113.7", limit=1)
    assert not ratelimit.attempts_blocked("sftp-ip", "203.0.113.7", limit=2)
    time_machine.move_to("2026-11-24 14:09:59+00:00", tick=False)
    assert ratelimit.attempts_blocked("sftp-ip", "203.0.113.7", limit=1)
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.check("alice@acme.example", req)
    time_machine.move_to("2026-11-24 14:10:01+00:00", tick=False)
    assert not ratelimit.attempts_blocked("sftp-ip", "203.0.113.7", limit=1)
    time_machine.move_to("2026-11-24 14:14:59+00:00", tick=False)
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.check("alice@acme.example", req)
    time_machine.move_to("2026-11-24 14:15:01+00:00", tick=False)
    ratelimit.check("alice@acme.example", req)
