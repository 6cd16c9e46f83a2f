"""Who reaches which page interface, and the one case lookup both use (security rule 3).

The portal is for contacts, the console for support roles; a case a user may not see is
the same 404 as a missing one (``cases.selectors.access_case``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from casedesk.cases.selectors import access_case
from casedesk.core.errors import NotFound

if TYPE_CHECKING:
    from casedesk.cases.models import Case

View = Callable[..., HttpResponse]


def get_case_or_404(user: Any, number: str) -> Case:
    """The case if ``user`` may see it; anything else is the same 404 as a missing case."""
    try:
        return access_case(user, number)
    except NotFound:
        raise Http404("No such case.") from None


def contact_view(view: View) -> View:
    """Portal pages are for contacts; support staff are sent to the console."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_support:  # type: ignore[union-attr]
            number = kwargs.get("number")
            if number:
                return redirect("console-case-detail", number=number)
            return redirect("console-queue")
        return view(request, *args, **kwargs)

    return wrapper


def support_view(view: View) -> View:
    """Console pages are for support roles; to anyone else they do not exist (404, not 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_active or not user.is_support:  # type: ignore[union-attr]
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapper
