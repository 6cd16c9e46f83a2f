"""Survey results for managers and care (F7, I1)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.accounts.models import Role
from casedesk.notifications.selectors import survey_results
from casedesk.web.access import support_view


@support_view
def survey_results_page(request: HttpRequest) -> HttpResponse:
    """Survey results for managers and care; other roles see the same 404 as a missing page."""
    if request.user.role not in (Role.MANAGER, Role.CARE):  # type: ignore[union-attr]
        raise Http404("Not found.")
    results = survey_results()
    peak = max((n for _, n in results.distribution), default=0) or 1
    bars = [
        {"score": score, "count": n, "width": round(300 * n / peak), "y": (5 - score) * 28}
        for score, n in results.distribution
    ]
    return render(
        request,
        "console/manage/surveys.html",
        {"results": results, "bars": bars, "nav": "surveys"},
    )
