"""Upcoming cutovers for engineers (G1): by region and date, after-hours and weekend marked."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casedesk.accounts.models import REGION_CHOICES
from casedesk.core import clock
from casedesk.obligations import selectors
from casedesk.web.access import support_view

DAY_CHOICES = (7, 14, 30, 60, 90)


@support_view
@require_GET
def cutovers(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    if region not in {value for value, _ in REGION_CHOICES}:
        region = ""
    days_text = request.GET.get("days", "30")
    days = int(days_text) if days_text in {str(d) for d in DAY_CHOICES} else 30
    notices = selectors.upcoming_cutovers(request.user, now=clock.now(), region=region, days=days)
    return render(
        request,
        "console/sites/cutovers.html",
        {
            "rows": selectors.with_after_hours(notices),
            "regions": REGION_CHOICES,
            "region": region,
            "days": days,
            "day_choices": DAY_CHOICES,
            "nav": "cutovers",
        },
    )
