"""Domain refusals mapped once to form errors and HTTP statuses (convention 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django import forms
from django.http import Http404

from casedesk.core.errors import DomainError, NotFound, StaleObject

if TYPE_CHECKING:
    from casedesk.cases.models import Case


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


def shown_version_is_stale(form: forms.Form, case: Case) -> bool:
    """The form was posted from a page that showed an older version of ``case``."""
    try:
        return int(form.data.get("version", "")) != case.version
    except (TypeError, ValueError):
        return False


def refuse_stale_form(form: forms.Form, case: Case) -> int:
    """A form from a stale tab failed validation: its choices were the old case's.

    Say what happened — the case changed — instead of "not one of the available choices",
    like a stale write caught by the service (409); the typed text stays in the form.
    """
    form.errors.clear()
    return add_domain_error(form, StaleObject(), case=case)
