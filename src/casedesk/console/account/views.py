"""A staff member's profile in the console (A2): details and API tokens.

The same forms as the portal's profile (``web.profile``), in the console's frame; staff have
no support PIN (that identifies customer contacts on the phone).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from casedesk.accounts import services as account_services
from casedesk.core import clock
from casedesk.web.access import support_view
from casedesk.web.profile import TokenCreateForm, profile_page, profile_save


def _profile(request: HttpRequest, **parts: Any) -> HttpResponse:
    return profile_page(request, "console/profile.html", **parts)


@support_view
def profile(request: HttpRequest) -> HttpResponse:
    return _profile(request)


@support_view
@require_POST
def profile_details(request: HttpRequest) -> HttpResponse:
    form, status, changed = profile_save(request)
    if status != 200:
        return _profile(request, details_form=form, status=status)
    messages.success(request, "Your details are saved." if changed else "Nothing changed.")
    return redirect("console-profile")


@support_view
@require_POST
def profile_token_create(request: HttpRequest) -> HttpResponse:
    """Shows the new token once, in this response only; it is stored hashed."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile(request, token_form=form, status=400)
    raw = account_services.api_token_create(
        user=request.user,  # type: ignore[arg-type]
        name=form.cleaned_data["name"],
        now=clock.now(),
    )
    response = _profile(request, new_token=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


@support_view
@require_POST
def profile_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    account_services.api_token_revoke(
        user=request.user,  # type: ignore[arg-type]
        token_id=token_id,
        now=clock.now(),
    )
    messages.success(request, "The token is revoked.")
    return redirect("console-profile")
