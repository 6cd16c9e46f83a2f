"""Holding a VoIP case until its site passes a readiness assessment (G2): the form on the
case page posts here; ``obligations.voip.voip_hold`` checks the policy and the site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from casedesk.console.cases.forms import VoipHoldForm
from casedesk.console.cases.page import case_page, done
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.obligations.voip import voip_hold
from casedesk.web.access import get_case_or_404, support_view
from casedesk.web.errors import add_domain_error


@support_view
@require_POST
def case_voip_hold(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    form = VoipHoldForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, 400, voip_hold_form=form)
    try:
        voip_hold(
            actor=request.user,  # type: ignore[arg-type]
            case=case,
            reason=form.cleaned_data.get("reason") or "",
            now=clock.now(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return case_page(request, case, add_domain_error(form, exc, case=case), voip_hold_form=form)
    return done(request, case, "Held until the site passes a VoIP readiness assessment.")
