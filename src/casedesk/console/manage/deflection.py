"""Which articles deflect cases (T12): suggested while opening, and no case followed."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from casedesk.accounts.models import Role
from casedesk.core import clock
from casedesk.knowledge.selectors import deflection_report
from casedesk.web.access import support_view

PERIODS = {"30": 30, "90": 90, "365": 365}


@support_view
@require_safe
def deflection(request: HttpRequest) -> HttpResponse:
    if request.user.role not in (Role.MANAGER, Role.CARE):  # type: ignore[union-attr]
        raise Http404("Not found.")
    days = PERIODS.get(str(request.GET.get("days", "90")), 90)
    rows = deflection_report(since=clock.now() - dt.timedelta(days=days))
    context = {"rows": rows, "days": days, "periods": PERIODS, "nav": "deflection"}
    return render(request, "console/manage/deflection.html", context)
