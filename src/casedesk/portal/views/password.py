"""Passwords people manage themselves (A2; security rule 12): reset by e-mail, change.

Django's token flow with our pages and our outbox. The reset request answers the same for
every address — known, unknown or inactive — and is limited per address and per client
address, so it can neither enumerate accounts nor flood someone's inbox. Setting a new
password from the link also lifts the sign-in lockout of that address here, as the
lockout message promises.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy

from casedesk.accounts import services as account_services
from casedesk.core import clock, ratelimit
from casedesk.portal.forms import ChangePasswordForm, NewPasswordForm, PasswordResetRequestForm

# Reset requests per hour: per address asked for, and per client address asking.
RESET_WINDOW = 3600
RESET_PER_ADDRESS = 5
RESET_PER_CLIENT = 20
TOO_MANY_RESETS = (
    "Too many password-reset requests. Wait an hour and try again, or ask Customer Care."
)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        client = request.META.get("REMOTE_ADDR", "")
        address = str(request.POST.get("email", "")).strip()[:254]
        blocked = ratelimit.attempts_blocked(
            "password-reset-client", client, limit=RESET_PER_CLIENT
        ) or ratelimit.attempts_blocked("password-reset-address", address, limit=RESET_PER_ADDRESS)
        ratelimit.attempts_record_failure("password-reset-client", client, window=RESET_WINDOW)
        if blocked:
            form.is_valid()
            form.add_error(None, TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not form.is_valid():
            return self.form_invalid(form)
        ratelimit.attempts_record_failure("password-reset-address", address, window=RESET_WINDOW)
        return self.form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        ratelimit.clear(user.email, self.request)
        account_services.password_changed(user=user, how="reset", now=clock.now())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Logged in: the current password, then the new one twice; other sessions end."""

    template_name = "registration/password_change_form.html"
    form_class = ChangePasswordForm

    def get_success_url(self) -> str:
        support = self.request.user.is_support  # type: ignore[union-attr]
        return reverse("console-profile" if support else "portal-profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        account_services.password_changed(user=form.user, how="change", now=clock.now())
        messages.success(self.request, "Your password is changed.")
        return response
