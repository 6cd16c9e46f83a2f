"""Portal: "Request escalation" (C6): eligibility per kind, its reason and date, the template."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.cases.permissions import owns_or_supports
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.escalations.selectors import escalation_options
from casedesk.escalations.services import escalation_request, escalation_subject
from casedesk.portal.forms import EscalationRequestForm
from casedesk.web.access import contact_view, get_case_or_404
from casedesk.web.errors import add_domain_error


@contact_view
@require_http_methods(["GET", "POST"])
def case_escalate(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    if not owns_or_supports(request.user, case):  # C9: the case's own contact asks
        raise PermissionDenied("Escalation is requested by the contact who opened the case.")
    now = clock.now()
    options = escalation_options(case, now)
    first_open = next((o.kind for o in options if o.may_request), options[0].kind)
    form = EscalationRequestForm(request.POST or None, initial={"kind": first_open})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                escalation = escalation_request(
                    case=case, actor=request.user, request=form.to_request(), now=now
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{escalation.get_kind_display()} sent to support management. "
                    "You will see its outcome on this case.",
                )
                return redirect("portal-case-detail", number=case.number)
        else:
            status = 400
    return render(
        request,
        "portal/escalation_request.html",
        {
            "case": case,
            "form": form,
            "options": options,
            "may_request": any(o.may_request for o in options),
            "subject": escalation_subject(case),
            "nav": "mine",
        },
        status=status,
    )
