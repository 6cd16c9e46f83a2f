"""Sign-in and out, the dashboard and the profile (A2, B10): who you are and what waits for you.

Password reset and change are in ``views.password``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.accounts import services as account_services
from casedesk.accounts.selectors import contracts_with_maintenance
from casedesk.cases import selectors
from casedesk.core import clock, ratelimit
from casedesk.web.access import contact_view
from casedesk.web.profile import TokenCreateForm, profile_page, profile_save

RECENT_CASES = 10


class LoginView(auth_views.LoginView):
    """Django's login, with failures limited per e-mail and address (security rule 12)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("username", ""))[:254]
        try:
            ratelimit.check(email, request)
        except ratelimit.TooManyAttempts as exc:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, exc.reason)
            # The reason says "or reset your password": the page links to it (A2).
            context = self.get_context_data(form=form, locked_out=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        ratelimit.record_failure(str(self.request.POST.get("username", ""))[:254], self.request)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        ratelimit.clear(str(self.request.POST.get("username", ""))[:254], self.request)
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (a link or image elsewhere must not sign people out); a GET —
    an old bookmark, a typed address — shows a page with the button instead of an error."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("login")
        return render(request, "registration/logout_confirm.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The contact's dashboard; support staff start at their queue."""
    user: Any = request.user
    if user.is_support:
        return redirect("console-queue")
    now = clock.now()
    recent = selectors.list_cases(
        user, selectors.CaseFilters(scope="mine", state="any", sort="updated")
    ).items[:RECENT_CASES]
    return render(
        request,
        "portal/dashboard.html",
        {
            "counts": selectors.dashboard_counts(user),
            "recent": recent,
            "contracts": contracts_with_maintenance(user, now),
            "nav": "dashboard",
        },
    )


def _profile(request: HttpRequest, **parts: Any) -> HttpResponse:
    return profile_page(request, "portal/profile.html", **parts)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A contact's details, support PIN (A2) and API tokens; staff have theirs in the console."""
    if request.user.is_support:  # type: ignore[union-attr]
        return redirect("console-profile")
    return _profile(request)


@contact_view
@require_POST
def profile_details(request: HttpRequest) -> HttpResponse:
    """A2: name, phone, time zone and language."""
    form, status, changed = profile_save(request)
    if status != 200:
        return _profile(request, details_form=form, status=status)
    messages.success(request, "Your details are saved." if changed else "Nothing changed.")
    return redirect("portal-profile")


@contact_view
@require_POST
def profile_pin(request: HttpRequest) -> HttpResponse:
    """A2: a fresh support PIN; the old one stops identifying the caller at once."""
    pin = account_services.contact_regenerate_pin(contact=request.user, now=clock.now())
    messages.success(request, f"Your new support PIN is {pin}.")
    return redirect("portal-profile")


@contact_view
@require_POST
def profile_token_create(request: HttpRequest) -> HttpResponse:
    """Shows the new token once, in this response only; it is stored hashed."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile(request, token_form=form, status=400)
    raw = account_services.api_token_create(
        user=request.user, name=form.cleaned_data["name"], now=clock.now()
    )
    response = _profile(request, new_token=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


@contact_view
@require_POST
def profile_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    account_services.api_token_revoke(user=request.user, token_id=token_id, now=clock.now())
    messages.success(request, "The token is revoked.")
    return redirect("portal-profile")
