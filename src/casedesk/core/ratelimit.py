"""Login failure limits: login page, token endpoint and SFTP drop box (security rule 12).

Failures are counted in Django's cache by one counter, per scope and value: the login
page and the token endpoint count per e-mail address (in any case) and client IP; after
``LIMIT`` failures inside ``WINDOW`` seconds the pair is refused with 429 until the window
ends, even with the right password, so a password cannot be guessed online. A success
clears that count. The window is fixed from the first failure.

Password spraying (one password tried against many accounts from one address) never
trips a per-account count, so failures are also counted per client address alone
(``login-ip``): after ``LOGIN_ADDRESS_LIMIT`` (default 30) failures in the window every
sign-in from that address is refused, whatever the account; a success does not clear it.
The client address is ``REMOTE_ADDR``; only behind a trusted proxy
(``CASEDESK_BEHIND_TLS_PROXY`` on and ``REMOTE_ADDR`` one of
``CASEDESK_FORWARDED_ALLOW_IPS``) is it the address that proxy appended last to
``X-Forwarded-For`` — anything further left is the client's own claim.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from casedesk.core.errors import DomainError

LIMIT = 10
ADDRESS_LIMIT = 30
WINDOW = 15 * 60
PER_ACCOUNT = (
    "Too many failed sign-in attempts for this e-mail address. Wait 15 minutes "
    "and try again, or reset your password."
)
PER_ADDRESS = (
    "Too many failed sign-in attempts from your network address. Wait 15 minutes and try again."
)


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, retry_after: int, reason: str = PER_ACCOUNT) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def client_address(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or what a trusted proxy says it saw."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = getattr(settings, "FORWARDED_ALLOW_IPS", [])
    if getattr(settings, "BEHIND_TLS_PROXY", False) and (remote in trusted or "*" in trusted):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if forwarded[-1].strip():
            return forwarded[-1].strip()[:64]
    return remote


def _login(email: str, request: HttpRequest) -> str:
    """The login counter's value: address (any case) and client IP."""
    return f"{email}|{client_address(request)}"


def _address_limit() -> int:
    return int(getattr(settings, "LOGIN_ADDRESS_LIMIT", ADDRESS_LIMIT))


def check(email: str, request: HttpRequest) -> None:
    """Refuse a sign-in while its account-and-address or its address alone is blocked."""
    if attempts_blocked("login-ip", client_address(request), limit=_address_limit()):
        raise TooManyAttempts(retry_after=WINDOW, reason=PER_ADDRESS)
    if attempts_blocked("login", _login(email, request)):
        raise TooManyAttempts(retry_after=WINDOW)


def record_failure(email: str, request: HttpRequest) -> None:
    attempts_record_failure("login", _login(email, request))
    attempts_record_failure("login-ip", client_address(request))


def clear(email: str, request: HttpRequest) -> None:
    """A success clears the account's count only: one known password must not reset a
    spray from the same address."""
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
