"""What the portal's and the console's profile pages share (A2): the forms and the one save.

Contacts edit their profile in the portal, staff in the console; both pages show the same
details form and API-token card (``partials/profile_details.html``, ``partials/api_tokens.html``)
and post to their own URLs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.accounts import services as account_services
from casedesk.accounts.models import LANGUAGE_CHOICES
from casedesk.accounts.selectors import api_tokens_of, time_zone_names
from casedesk.core import clock
from casedesk.core.errors import DomainError

from .errors import add_domain_error
from .forms import IdPrefixMixin
from .widgets import FilterSelect


def _zone_choices(current: str) -> list[tuple[str, str]]:
    names = time_zone_names()
    site = f"The site's time zone ({settings.TIME_ZONE})"
    choices = [("", site), *[(z, z.replace("_", " ")) for z in names]]
    if current and current not in names:  # an alias set elsewhere stays selectable
        choices.append((current, current))
    return choices


class ProfileForm(IdPrefixMixin, forms.Form):
    """A2: name, phone, time zone and language; the e-mail address is care's to change."""

    id_prefix = "profile"

    full_name = forms.CharField(label="Name", max_length=200)
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, help_text="So support can call you back."
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        widget=FilterSelect,
        help_text="Pages show times in this zone.",
    )
    language = forms.ChoiceField(
        label="Language",
        choices=LANGUAGE_CHOICES,
        widget=FilterSelect,
        help_text="The language you prefer support to use with you.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "full_name": user.full_name,
                "phone": user.phone,
                "time_zone": user.time_zone,
                "language": user.language,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["time_zone"].choices = _zone_choices(user.time_zone)
        self.fields["full_name"].error_messages["required"] = "Your name is required."


def profile_save(request: HttpRequest) -> tuple[ProfileForm, int, list[str]]:
    """Validate and save the posted details: (form, HTTP status, fields changed)."""
    form = ProfileForm(request.POST, user=request.user)
    if not form.is_valid():
        return form, 400, []
    d = form.cleaned_data
    try:
        changed = account_services.user_update_profile(
            user=request.user,  # type: ignore[arg-type]
            full_name=d["full_name"],
            phone=d.get("phone") or "",
            time_zone=d.get("time_zone") or "",
            language=d["language"],
            now=clock.now(),
        )
    except DomainError as exc:
        return form, add_domain_error(form, exc), []
    return form, 200, changed


class TokenCreateForm(IdPrefixMixin, forms.Form):
    id_prefix = "token"
    name = forms.CharField(label="Token name", max_length=80, initial="API token")


def profile_page(
    request: HttpRequest,
    template: str,
    *,
    details_form: ProfileForm | None = None,
    token_form: TokenCreateForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    """The profile page of either interface: details, API tokens, a just-created token."""
    return render(
        request,
        template,
        {
            "tokens": api_tokens_of(request.user),  # type: ignore[arg-type]
            "details_form": details_form or ProfileForm(user=request.user),
            "token_form": token_form or TokenCreateForm(),
            "new_token": new_token,
            "nav": "profile",
        },
        status=status,
    )
