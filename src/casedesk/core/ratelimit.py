"""Login failure limits for the login page and the token endpoint (security rule 12).

Failures are counted per e-mail address and client IP in Django's cache: after
``LIMIT`` failures inside ``WINDOW`` seconds the pair is refused with 429 until the window
ends, even with the right password, so a password cannot be guessed online. A success
clears the count. The window is fixed from the first failure.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

from casedesk.core.errors import DomainError

LIMIT = 10
WINDOW = 15 * 60


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed sign-in attempts for this e-mail address. Wait 15 minutes "
            "and try again, or reset your password."
        )
        self.retry_after = retry_after


def _key(email: str, request: HttpRequest) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{email.lower()}|{ip}".encode()).hexdigest()
    return f"casedesk:login-failures:{digest}"


def check(email: str, request: HttpRequest) -> None:
    if int(cache.get(_key(email, request), 0)) >= LIMIT:
        raise TooManyAttempts(retry_after=WINDOW)


def record_failure(email: str, request: HttpRequest) -> None:
    key = _key(email, request)
    cache.add(key, 0, timeout=WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW)


def clear(email: str, request: HttpRequest) -> None:
    cache.delete(_key(email, request))


# Generic counters for logins that are not HTTP requests (the SFTP drop box): one count per
# (scope, value), e.g. ("sftp-user", name) and ("sftp-ip", address), each with its own limit.


def _scoped_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}|{value.lower()}".encode()).hexdigest()
    return f"casedesk:failures:{scope}:{digest}"


def attempts_blocked(scope: str, value: str, *, limit: int = LIMIT) -> bool:
    return int(cache.get(_scoped_key(scope, value), 0)) >= limit


def attempts_record_failure(scope: str, value: str, *, window: int = WINDOW) -> None:
    key = _scoped_key(scope, value)
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def attempts_clear(scope: str, value: str) -> None:
    cache.delete(_scoped_key(scope, value))
