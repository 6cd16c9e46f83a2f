"""Opening a case in the portal (B2, B3; A5 maintenance, A6 refusal) and follow-on cases (B7)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.accounts.selectors import (
    contact_may_open_cases,
    contracts_with_maintenance,
)
from casedesk.cases import services
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.web.access import contact_view, get_case_or_404
from casedesk.web.case_open import CaseOpenForm, initial_from_case
from casedesk.web.errors import add_domain_error

from .knowledge import suggestion_context

# --- opening -------------------------------------------------------------------------


def _open_context(contact: Any, form: CaseOpenForm, contracts: list[tuple[Any, Any]]) -> dict:
    lapsed = [c for c, ok in contracts if not ok]
    return {
        "form": form,
        "contracts": contracts,
        "all_lapsed": bool(contracts) and len(lapsed) == len(contracts),
        "lapsed_reason": next((ok.reason for _, ok in contracts if not ok), ""),
        "refusal": contact_may_open_cases(contact),
    }


@contact_view
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case (B2, B3; A5 maintenance, A6 refusal)."""
    return _open_case_page(request, old_case=None)


@contact_view
@require_http_methods(["GET", "POST"])
def case_follow_on(request: HttpRequest, number: str) -> HttpResponse:
    """B7: after the re-open window, a new case linked to the closed one, prefilled."""
    old_case = get_case_or_404(request.user, number)
    if not old_case.is_closed:
        messages.error(request, "The case is still open; add an update to it instead.")
        return redirect("portal-case-detail", number=old_case.number)
    return _open_case_page(request, old_case=old_case)


def _open_case_page(request: HttpRequest, old_case: Case | None) -> HttpResponse:
    now = clock.now()
    contact: Any = request.user
    contracts = contracts_with_maintenance(contact, now)
    status = 200
    if request.method == "POST" and request.POST.get("suggest"):
        # T12 without JavaScript: show articles for the subject, open nothing yet.
        form = CaseOpenForm(initial=request.POST.dict(), contracts=contracts)
    elif request.method == "POST":
        form = CaseOpenForm(request.POST, contracts=contracts)
        if form.is_valid():
            try:
                if old_case is None:
                    case = services.case_open(contact=contact, draft=form.to_draft(), now=now)
                else:
                    case = services.case_open_follow_on(
                        old_case=old_case, contact=contact, draft=form.to_draft(), now=now
                    )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                suggestion_context(request, opened=case)
                messages.success(request, f"Case {case.number} is open. We will be in touch.")
                if case.lifecycle_warning:  # T48: past end of support, opened anyway
                    messages.warning(request, case.lifecycle_warning)
                return redirect("portal-case-detail", number=case.number)
        else:
            status = 400
    else:
        initial = initial_from_case(old_case) if old_case else {}
        form = CaseOpenForm(initial=initial, contracts=contracts)
    context = _open_context(contact, form, contracts)
    context.update(old_case=old_case, nav="new", **suggestion_context(request))
    return render(request, "portal/case_new.html", context, status=status)
