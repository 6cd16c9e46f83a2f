"""Helpers shared by the two page interfaces (portal and console).

They keep the views thin: one place maps domain errors to form errors and HTTP
statuses (convention 9), one place turns a case number into a visible case or a
404 (security rule 3), and two decorators decide who may reach which interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from casedesk.cases.selectors import access_case
from casedesk.core.errors import DomainError, NotFound, StaleObject

if TYPE_CHECKING:
    from casedesk.cases.models import Case

View = Callable[..., HttpResponse]

TEXT_MAX = 20_000
SUBJECT_MAX = 200


def get_case_or_404(user: Any, number: str) -> Case:
    """The case if ``user`` may see it; anything else is the same 404 as a missing case."""
    try:
        return access_case(user, number)
    except NotFound:
        raise Http404("No such case.") from None


def form_error_status(exc: DomainError) -> int:
    """The HTTP status for a refused write that re-renders its form; 404 is raised instead."""
    if isinstance(exc, NotFound):
        raise Http404(exc.reason) from exc
    return exc.status_code


def add_domain_error(
    form: forms.Form,
    exc: DomainError,
    aliases: Mapping[str, str] | None = None,
    *,
    case: Case | None = None,
) -> int:
    """Attach a service's refusal to the form field it names (or the form) and give the status.

    On a stale write the re-rendered form carries the case's current version: the page
    now shows the latest timeline, so sending the kept text again is a deliberate choice.
    """
    status = form_error_status(exc)
    if isinstance(exc, StaleObject) and case is not None and "version" in form.fields:
        data = form.data.copy()
        data["version"] = str(case.version)
        form.data = data
    field = (aliases or {}).get(exc.field or "", exc.field)
    if field not in form.fields:
        field = None
    # add_error needs cleaned_data to exist, even on a form that was never validated.
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    form.add_error(field, exc.reason)
    return status


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


def clean_text(value: str) -> str:
    """Normalise newlines so the 20,000-character limit counts what the person typed."""
    return value.replace("\r\n", "\n")


class IdPrefixMixin:
    """Distinct element ids for several forms on one page, without renaming the inputs."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
