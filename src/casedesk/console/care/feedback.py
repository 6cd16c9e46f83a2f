"""Customer feedback in the console (F7): care and managers read it and mark it handled.

To everyone else (engineers, contacts) these pages answer 404 like a page that does not
exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from casedesk.accounts.models import Role
from casedesk.core import clock
from casedesk.resources import selectors, services
from casedesk.resources.models import Feedback

View = Callable[..., HttpResponse]


def _care_only(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_active or user.role not in (Role.CARE, Role.MANAGER):
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapper


@_care_only
@require_safe
def feedback_list(request: HttpRequest) -> HttpResponse:
    handled = request.GET.get("view") == "handled"
    items = list(selectors.feedback_list(handled=handled)[:200])
    return render(
        request,
        "console/care/feedback.html",
        {"nav": "feedback", "items": items, "handled": handled},
    )


@_care_only
@require_POST
def feedback_handle(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.feedback_handle(actor=request.user, feedback_id=pk, now=clock.now())  # type: ignore[arg-type]
    except Feedback.DoesNotExist:
        raise Http404("Not found.") from None
    messages.success(request, "Marked as handled.")
    return redirect("console-feedback")
