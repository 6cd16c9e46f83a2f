"""Page-wide behaviour of the two page interfaces: the viewer's time zone, styled error pages.

``UserTimeZoneMiddleware`` shows every page in the person's own zone (A2; stored data stays
UTC). ``ErrorPagesMiddleware`` turns a refused page request into a page with a way back:
a ``PermissionDenied`` from a view becomes the styled 403 (logged in one line, not as a
traceback: a refusal is not a fault), and Django's bare ``HttpResponseNotAllowed`` becomes
the styled 405. The API (``/api/``) and the tus endpoint keep their JSON and protocol
answers.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.log import log_response

# Machine interfaces answer in their own format, never with a page.
NOT_PAGES = ("/api/", "/uploads/")


def is_page(request: HttpRequest) -> bool:
    return not request.path.startswith(NOT_PAGES)


class UserTimeZoneMiddleware:
    """Activates the signed-in person's time zone for the request (A2: times in their zone)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = ""
        user = getattr(request, "user", None)
        if is_page(request) and user is not None and user.is_authenticated:
            zone = getattr(user, "time_zone", "")
        try:
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass  # a zone removed from the system's database: the site's zone
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ErrorPagesMiddleware:
    """Styled 403 and 405 pages for page URLs (404 and 500 use Django's handlers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and is_page(request):
            # The same response (its Allow header, and already logged once) with a page body.
            allowed = [m.strip() for m in response.headers.get("Allow", "").split(",")]
            response.content = render_to_string(
                "405.html", {"allowed": [m for m in allowed if m]}, request=request
            )
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PermissionDenied) or not is_page(request):
            return None
        response = HttpResponse(
            render_to_string("403.html", {"exception": str(exception)}, request=request),
            status=403,
        )
        log_response(
            "Forbidden (%s): %s", exception, request.path, response=response, request=request
        )
        return response
