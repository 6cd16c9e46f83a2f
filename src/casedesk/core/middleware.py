"""Response headers every page gets, and what a page gets when the database is away."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views import defaults

logger = logging.getLogger("casedesk.db")

# Scripts and styles only from our own origin, no inline script, no remote images
# (security rule 5). The upload client and styles are served from /static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# Seconds a client is asked to wait before retrying while the database cannot be reached.
RETRY_AFTER_SECONDS = 30


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/") and not request.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class PrivateNoStoreMiddleware:
    """Every answer Django gives is one person's view of private data: ``private, no-store``.

    Case pages, lists, the console, the login form and every API response may otherwise be
    kept by a browser's back/forward cache, a shared proxy or a shared computer's disk
    (security rule 5). Static assets never reach this middleware: WhiteNoise, listed before
    it, answers them itself with its long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


class DatabaseUnavailableMiddleware:
    """A database that cannot answer is a 503 with ``Retry-After``, never a 500.

    ``OperationalError``/``InterfaceError`` are the DB-API's "not the caller's fault, try
    again" errors: the server is unreachable or restarting, the connection was cut, the
    transaction could not be serialised. Connections cut while idle (restart, failover,
    ``pg_terminate_backend``) never get this far: ``CONN_HEALTH_CHECKS`` replaces them
    before the request's first query. The API turns this page into its JSON error shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable, answered 503: %s %s",
            request.method,
            request.path,
            exc_info=exception,
        )
        return unavailable_response()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database error raised where ``process_exception`` cannot see it (a
    middleware reading the session or the user, the session saved after the view) is still
    the 503 of an unavailable database; anything else is Django's styled 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        logger.error("Database unavailable, answered 503: %s %s", request.method, request.path)
        return unavailable_response()
    return defaults.server_error(request)


def unavailable_response() -> HttpResponse:
    """A self-contained page: rendering it must not need the database (no user, no menu)."""
    response = HttpResponse(
        _UNAVAILABLE_PAGE.format(css=static("casedesk/app.css"), seconds=RETRY_AFTER_SECONDS),
        status=503,
        content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Temporarily unavailable — casedesk</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<main>
<h1>Temporarily unavailable</h1>
<p>casedesk cannot reach its database at the moment. Please try again in {seconds} seconds.</p>
<p>If you were sending a form, check afterwards whether it arrived before sending it again.</p>
</main>
</body>
</html>
"""
