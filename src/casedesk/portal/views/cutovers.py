"""Cutover notices for customers (G1): the organisation's notices and the filing form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.obligations import selectors, services
from casedesk.portal.cutover_forms import CutoverForm
from casedesk.web.access import contact_view
from casedesk.web.errors import add_domain_error


@contact_view
@require_http_methods(["GET", "POST"])
def cutovers(request: HttpRequest) -> HttpResponse:
    """File a notice for one of your organisation's sites; see the ones already filed."""
    sites = selectors.sites_for(request.user)
    form = CutoverForm(request.POST or None, sites=sites)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                notice = services.cutover_file(
                    actor=request.user,
                    site=form.cleaned_data["site"],
                    draft=form.to_draft(),
                    now=clock.now(),
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                if notice.late_warning:
                    messages.warning(request, notice.late_warning)
                messages.success(request, f"Cutover notice filed for {notice.site.name}.")
                return redirect("portal-cutovers")
    notices = list(selectors.notices_visible_to(request.user).order_by("-cutover_start")[:50])
    return render(
        request,
        "portal/cutovers.html",
        {"form": form, "notices": notices, "nav": "cutovers"},
        status=status,
    )
