"""Cutover notices for customers (G1): the organisation's notices, the filing form with the
network topology diagram, and the diagram's download (own organisation's notices only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from casedesk.core.errors import NotFound
from casedesk.obligations import selectors
from casedesk.sitework import selectors as sitework
from casedesk.web.access import contact_view
from casedesk.web.cutover_forms import CutoverForm, file_cutover
from casedesk.web.downloads import stored_file_response


@contact_view
@require_http_methods(["GET", "POST"])
def cutovers(request: HttpRequest) -> HttpResponse:
    """File a notice for one of your organisation's sites; see the ones already filed."""
    sites = selectors.sites_for(request.user)
    form = CutoverForm(request.POST or None, request.FILES or None, sites=sites)
    status = 200
    if request.method == "POST":
        notice, status = file_cutover(request, form)
        if notice is not None:
            messages.success(request, f"Cutover notice filed for {notice.site.name}.")
            return redirect("portal-cutovers")
    notices = list(selectors.notices_visible_to(request.user).order_by("-cutover_start")[:50])
    diagrams = sitework.diagrams_by_notice([n.pk for n in notices])
    return render(
        request,
        "portal/cutovers.html",
        {
            "form": form,
            "notices": [(n, diagrams.get(n.pk)) for n in notices],
            "nav": "cutovers",
        },
        status=status,
    )


@contact_view
@require_safe
def cutover_diagram(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The diagram as a download, for the notice's own organisation only (404 otherwise)."""
    try:
        return stored_file_response(sitework.diagram_of(request.user, notice_id))
    except NotFound:
        raise Http404("No such diagram.") from None
