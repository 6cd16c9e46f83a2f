"""The engineers' queue (B10, C2): by product group, region, centre on shift and priority."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from casedesk.cases import selectors
from casedesk.cases.exports import HEADER as EXPORT_HEADER
from casedesk.cases.exports import more_than, queue_rows
from casedesk.console.queue.exports import export_offer
from casedesk.console.queue.forms import queue_filters
from casedesk.core import clock
from casedesk.phone import selectors as phone_selectors
from casedesk.web.access import support_view
from casedesk.web.exports import csv_response

# --- queue ---------------------------------------------------------------------------


@support_view
def queue(request: HttpRequest) -> HttpResponseBase:
    """Queues by product group and region, waiting on support and most urgent first by default
    (Production Down first, then by the nearest milestone target), with the total count."""
    form, filters, centres = queue_filters(request.GET)
    if request.GET.get("format") == "csv":  # I1 item 7: the whole list, streamed
        if more_than(request.user, filters, settings.EXPORT_INLINE_MAX_ROWS):  # type: ignore[arg-type]
            return export_offer(request)  # too long to stream: a background job, on request
        rows = queue_rows(request.user, filters)  # type: ignore[arg-type]
        name = f"cases-{clock.now():%Y%m%d-%H%M}.csv"
        return csv_response(name, EXPORT_HEADER, rows)
    page = selectors.engineer_queue(request.user, filters, count=True)
    # Counted over this page only: an unbounded COUNT over a million cases is not cheap.
    by_group = Counter(
        c.product_group.name if c.product_group else "No product" for c in page.items
    )
    by_region = Counter(c.get_region_display() for c in page.items)
    return render(
        request,
        "console/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "by_group": sorted(by_group.items()),
            "by_region": sorted(by_region.items()),
            "nav": "queue",
            "export_query": _export_query(request),
            "live_calls": phone_selectors.live_calls(),  # H1: live calls before web cases
            "centres": centres,
            "filtered": any(
                (
                    filters.product_group,
                    filters.region,
                    filters.regions,
                    filters.priority,
                    filters.assignee,
                    filters.q,
                )
            ),
        },
    )


def _export_query(request: HttpRequest) -> str:
    """The current filters without the page number, asking for CSV."""
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    return query.urlencode()
