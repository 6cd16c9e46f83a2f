"""The customer's service-level dashboard (I1): their organisation's own figures against
the targets and the monthly trend, never another organisation's, and no case numbers of
colleagues' cases they may not open (A3)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.core import clock
from casedesk.reports.holdtimes import call_scope
from casedesk.reports.selectors import report_scope, service_levels
from casedesk.web.access import contact_view
from casedesk.web.charts import line_chart


@contact_view
def service_dashboard(request: HttpRequest) -> HttpResponse:
    """The last twelve months by month for the contact's organisation."""
    scope = report_scope(request.user)
    if scope is None:
        raise Http404("Not found.")
    now = clock.now()
    end = now.date()
    start = (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    report = service_levels(
        scope=scope,
        start=start,
        end=end,
        period="month",
        now=now,
        calls=call_scope(request.user),
    )
    chart = line_chart(
        "Cases opened per month",
        f"Cases your organisation opened each month from {start:%B %Y} to {end:%B %Y}.",
        [(f"{b:%b %Y}", n) for b, n, _ in report.trend],
    )
    return render(
        request,
        "portal/service.html",
        {
            "report": report,
            "rows": [(r, r.as_dict()) for r in report.by_priority],
            "chart": chart,
            "nav": "service",
        },
    )
