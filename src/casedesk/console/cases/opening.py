"""Support opens a case for a contact who phoned (B2, H1): find the caller, then the open form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.accounts.models import Role, User
from casedesk.accounts.selectors import (
    contact_may_open_cases,
    contracts_with_maintenance,
    find_contact,
)
from casedesk.cases import services
from casedesk.cases.models import Channel
from casedesk.console.cases.forms import (
    ContactLookupForm,
)
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.web.access import support_view
from casedesk.web.case_open import CaseOpenForm
from casedesk.web.errors import add_domain_error

# --- open a case for a caller (H1) ---------------------------------------------------


@support_view
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Support opens a case for a contact who phoned (B2, H1); channel is phone."""
    now = clock.now()
    status = 200
    contact: User | None = None
    form: CaseOpenForm | None = None
    lookup = ContactLookupForm(request.GET or None)
    if request.method == "POST":
        contact = (
            User.objects.filter(
                pk=request.POST.get("contact_id") or 0, role=Role.CONTACT, is_active=True
            )
            .select_related("organisation")
            .first()
        )
        if contact is None:
            lookup = ContactLookupForm()
            messages.error(request, "Choose the contact again.")
            status = 400
    elif lookup.is_valid():
        contact, problem = find_contact(lookup.cleaned_data["who"])
        if contact is None:
            lookup.add_error("who", problem)
            status = 404 if "No active contact" in problem else 400
    if contact is not None:
        contracts = contracts_with_maintenance(contact, now)
        if request.method == "POST":
            form = CaseOpenForm(request.POST, contracts=contracts)
            if form.is_valid():
                try:
                    case = services.case_open(
                        contact=contact,
                        draft=form.to_draft(),
                        now=now,
                        opened_by=request.user,
                        channel=Channel.PHONE,
                    )
                except DomainError as exc:
                    status = add_domain_error(form, exc)
                else:
                    messages.success(request, f"Case {case.number} opened for {contact.full_name}.")
                    if case.lifecycle_warning:  # T48: past end of support, opened anyway
                        messages.warning(request, case.lifecycle_warning)
                    return redirect("console-case-detail", number=case.number)
            else:
                status = 400
        else:
            form = CaseOpenForm(contracts=contracts)
    return render(
        request,
        "console/case_new.html",
        {
            "lookup": lookup,
            "contact": contact,
            "form": form,
            "refusal": contact_may_open_cases(contact) if contact else None,
            "contracts": contracts_with_maintenance(contact, now) if contact else [],
            "nav": "new",
        },
        status=status,
    )
