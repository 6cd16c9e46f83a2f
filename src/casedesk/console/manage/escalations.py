"""Console: the managers' escalation queue and working one escalation to its outcome (C6, E4).

Every support role may read the queue (engineers need to see what management is chasing);
only support managers record a state or outcome, which ``escalation_resolve`` enforces.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.accounts.models import Role
from casedesk.console.manage.forms import EscalationResolveForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.escalations.models import EscalationState
from casedesk.escalations.selectors import access_escalation, escalation_queue
from casedesk.escalations.services import case_product_version, escalation_resolve
from casedesk.web.access import support_view
from casedesk.web.errors import add_domain_error

QUEUE_STATES = {
    "active": "Open and in progress",
    EscalationState.RESOLVED: "Resolved",
    EscalationState.DECLINED: "Declined",
}
QUEUE_PAGE = 100


@support_view
def escalations(request: HttpRequest) -> HttpResponse:
    """Oldest open request first; resolved and declined ones on their own tabs."""
    state = request.GET.get("state", "active")
    if state not in QUEUE_STATES:
        state = "active"
    items = list(escalation_queue(state=state)[:QUEUE_PAGE])
    return render(
        request,
        "console/escalations.html",
        {"items": items, "state": state, "states": QUEUE_STATES, "nav": "escalations"},
    )


@support_view
@require_http_methods(["GET", "POST"])
def escalation_detail(request: HttpRequest, escalation_id: int) -> HttpResponse:
    try:
        escalation = access_escalation(request.user, escalation_id)
    except NotFound:
        raise Http404("No such escalation.") from None
    is_manager = request.user.role == Role.MANAGER  # type: ignore[union-attr]
    form = EscalationResolveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                escalation_resolve(
                    escalation=escalation,
                    actor=request.user,  # type: ignore[arg-type]
                    state=form.cleaned_data["state"],
                    outcome=form.cleaned_data.get("outcome") or "",
                    now=clock.now(),
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, "Escalation updated; the case timeline shows it.")
                return redirect("console-escalation", escalation_id=escalation.pk)
        else:
            status = 400
    product, version = case_product_version(escalation.case)
    return render(
        request,
        "console/escalation_detail.html",
        {
            "escalation": escalation,
            "case": escalation.case,
            "product": product,
            "version": version,
            "form": form,
            "may_resolve": is_manager
            and escalation.state in (EscalationState.OPEN, EscalationState.IN_PROGRESS),
            "nav": "escalations",
        },
        status=status,
    )
