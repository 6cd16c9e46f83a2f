"""Site visits awaiting a manager (G4): the list, and the decision (approve or decline)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casedesk.console.cases.sitework_forms import DecideForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.sitework import selectors, services
from casedesk.web.access import support_view


@support_view
@require_GET
def site_visits(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/sites/visits.html",
        {
            "visits": selectors.visits_to_decide(request.user),
            "may_decide": request.user.role == "manager",
            "nav": "site-visits",
        },
    )


@support_view
@require_POST
def site_visit_decide(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A manager decides; anyone else is told why and nothing changes (403)."""
    try:
        visit = selectors.access_visit(request.user, visit_id)
    except NotFound:
        raise Http404("No such site visit.") from None
    form = DecideForm(request.POST)
    back = redirect("console-case-detail", number=visit.case.number)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        back.status_code = 303
        return back
    try:
        services.site_visit_decide(
            visit=visit,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, exc.reason)
        response = render(
            request,
            "console/sites/visits.html",
            {
                "visits": selectors.visits_to_decide(request.user),
                "may_decide": request.user.role == "manager",
                "refusal": exc.reason,
                "nav": "site-visits",
            },
            status=exc.status_code,
        )
        return response
    messages.success(request, f"Site visit {form.cleaned_data['decision']}d.")
    return back
