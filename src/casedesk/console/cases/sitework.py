"""Site work from the case page: request a site visit (G4), route a case out of support
(G5, G6). A refusal re-renders the case page with the policy's reason."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from casedesk.console.cases.page import case_page, done
from casedesk.console.cases.sitework_forms import RoutingForm, VisitForm
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.sitework import services
from casedesk.web.access import get_case_or_404, support_view
from casedesk.web.errors import add_domain_error


@support_view
@require_POST
def site_visit_request(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    form = VisitForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, visit_form=form)
    try:
        services.site_visit_request(
            case=case, actor=request.user, draft=form.to_draft(), now=clock.now()
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc), visit_form=form)
    return done(request, case, "Site visit requested; a manager decides it.")


@support_view
@require_POST
def case_route(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    form = RoutingForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, routing_form=form)
    try:
        routing = services.case_route_out_of_scope(
            case=case,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            vendor=form.cleaned_data["vendor"],
            now=clock.now(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        case.refresh_from_db()
        return case_page(request, case, add_domain_error(form, exc, case=case), routing_form=form)
    return done(request, case, f"Case routed to {routing.route_to} and closed as Redirected.")
