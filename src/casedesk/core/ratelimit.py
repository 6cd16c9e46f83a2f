"""Login failure limits: login page, token endpoint and SFTP drop box (security rule 12).

Failures are counted in Django's cache by one counter, per scope and value: the login
page and the token endpoint count per e-mail address (in any case) and client IP; after
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


def _login(email: str, request: HttpRequest) -> str:
    """The login counter's value: address (any case) and client IP."""
    return f"{email}|{request.META.get('REMOTE_ADDR', '')}"


def check(email: str, request: HttpRequest) -> None:
    if attempts_blocked("login", _login(email, request)):
        raise TooManyAttempts(retry_after=WINDOW)


def record_failure(email: str, request: HttpRequest) -> None:
    attempts_record_failure("login", _login(email, request))


def clear(email: str, request: HttpRequest) -> None:
    attempts_clear("login", _login(email, request))


# The one counter behind every limit: one count per (scope, value), case-insensitive, e.g.
# ("login", "address|ip"), ("sftp-user", name), ("sftp-peer", address), each with its limit.


def _scoped_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}|{value.lower()}".encode()).hexdigest()
    return f"casedesk:failures:{scope}:{digest}"


def attempts_blocked(scope: str, value: str, *, limit: int = LIMIT) -> bool:
    return int(cache.get(_scoped_key(scope, value), 0)) >= limit


def attempts_record_failure(scope: str, value: str, *, window: int = WINDOW) -> None:
    """Count a failure; the window runs from the first failure (``add`` never extends it)."""
    key = _scoped_key(scope, value)
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def attempts_clear(scope: str, value: str) -> None:
    cache.delete(_scoped_key(scope, value))
