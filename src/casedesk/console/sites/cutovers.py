"""Cutovers for engineers (G1): the calendar of upcoming cutovers by region and date with
after-hours, weekend and holiday windows marked; filing a notice for a customer's
organisation; and a notice's topology diagram as a download."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from casedesk.accounts.models import REGION_CHOICES, Organisation
from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.obligations import selectors
from casedesk.sitework import selectors as sitework
from casedesk.web.access import support_view
from casedesk.web.cutover_forms import CutoverForm, file_cutover
from casedesk.web.downloads import stored_file_response

DAY_CHOICES = (7, 14, 30, 60, 90)


@support_view
@require_GET
def cutovers(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    if region not in {value for value, _ in REGION_CHOICES}:
        region = ""
    days_text = request.GET.get("days", "30")
    days = int(days_text) if days_text in {str(d) for d in DAY_CHOICES} else 30
    cover_only = request.GET.get("cover") == "1"
    notices = selectors.upcoming_cutovers(request.user, now=clock.now(), region=region, days=days)
    calendar = sitework.cutover_calendar(notices)
    if cover_only:
        calendar = [
            (day, kept)
            for day, rows in calendar
            if (kept := [r for r in rows if r.flags.needs_cover])
        ]
    return render(
        request,
        "console/sites/cutovers.html",
        {
            "calendar": calendar,
            "count": sum(len(rows) for _, rows in calendar),
            "regions": REGION_CHOICES,
            "region": region,
            "days": days,
            "cover_only": cover_only,
            "day_choices": DAY_CHOICES,
            "nav": "cutovers",
        },
    )


def _organisation(value: str | None) -> Organisation | None:
    if not value or not value.isascii() or not value.isdigit():
        return None
    return Organisation.objects.filter(pk=int(value)).first()


@support_view
@require_http_methods(["GET", "POST"])
def cutover_new(request: HttpRequest) -> HttpResponse:
    """An engineer files a notice for a customer's organisation (chosen first, so the site
    list holds only its sites), with the same lead-time rule as the customer's own."""
    organisation = _organisation(request.GET.get("organisation") or request.POST.get("org"))
    form = None
    status = 200
    if organisation is not None:
        sites = selectors.sites_for(request.user).filter(organisation=organisation)
        form = CutoverForm(request.POST or None, request.FILES or None, sites=sites)
        if request.method == "POST":
            notice, status = file_cutover(request, form)
            if notice is not None:
                messages.success(
                    request, f"Cutover notice filed for {notice.site.name} ({organisation})."
                )
                return redirect("console-cutovers")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "console/sites/cutover_new.html",
        {
            "organisation": organisation,
            "organisations": Organisation.objects.order_by("name").only("id", "name")[:500],
            "form": form,
            "nav": "cutovers",
        },
        status=status,
    )


@support_view
@require_safe
def cutover_diagram(request: HttpRequest, notice_id: int) -> HttpResponse:
    try:
        return stored_file_response(sitework.diagram_of(request.user, notice_id))
    except NotFound:
        raise Http404("No such diagram.") from None
