"""One failure counter behind every login limit (issue 16 item 5b, security rule 12)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from casedesk.core import ratelimit


def request_from(ip: str):
    return RequestFactory().post("/login/", REMOTE_ADDR=ip)


def test_login_failures_count_per_address_in_any_case_and_per_ip():
    here, elsewhere = request_from("192.0.2.1"), request_from("198.51.100.7")
    for attempt in range(ratelimit.LIMIT - 1):
        email = "Alice@Acme.example" if attempt % 2 else "alice@acme.EXAMPLE"
        ratelimit.record_failure(email, here)
    ratelimit.check("alice@acme.example", here)  # nine failures: still allowed
    ratelimit.record_failure("ALICE@ACME.EXAMPLE", here)
    with pytest.raises(ratelimit.TooManyAttempts, match="Too many failed sign-in attempts") as ex:
        ratelimit.check("alice@acme.example", here)
    assert ex.value.retry_after == ratelimit.WINDOW and ex.value.status_code == 429
    ratelimit.check("alice@acme.example", elsewhere)  # another client IP has its own count
    ratelimit.check("bob@acme.example", here)  # another address too
    ratelimit.clear("Alice@acme.example", here)
    ratelimit.check("alice@acme.example", here)


def test_scopes_do_not_share_counts():
    # The SFTP drop box counts per user name under its own scope and limit (D2).
    for _ in range(3):
        ratelimit.attempts_record_failure("sftp-user", "cd-abc")
    assert ratelimit.attempts_blocked("sftp-user", "CD-ABC", limit=3)
    assert not ratelimit.attempts_blocked("sftp-user", "cd-abc", limit=4)
    assert not ratelimit.attempts_blocked("sftp-peer", "cd-abc", limit=1)
    assert not ratelimit.attempts_blocked("login", "cd-abc", limit=1)
    ratelimit.attempts_clear("sftp-user", "cd-abc")
    assert not ratelimit.attempts_blocked("sftp-user", "cd-abc", limit=1)
