"""Console: a case list too long to stream becomes a background export (issue 13 item 7).

The download link asks for CSV; when the list has more than ``EXPORT_INLINE_MAX_ROWS``
rows the answer is a page offering the job (a POST, so no link or image elsewhere starts
one), then its progress (refreshing itself, no JS) and the file. Only the requester sees
the job or fetches its file; to anyone else it does not exist (404)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.console.queue.forms import queue_filters
from casedesk.core import clock
from casedesk.reports.exports import (
    STALE_PREFIX,
    case_filters_params,
    export_again,
    export_for,
    export_path,
    export_reap,
    export_start,
)
from casedesk.reports.models import ExportJob
from casedesk.web.access import support_view

REFRESH_SECONDS = 3


def export_offer(request: HttpRequest) -> HttpResponse:
    """The list is long: offer to prepare it in the background."""
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("page", None)
    context = {
        "query": query.urlencode(),
        "limit": settings.EXPORT_INLINE_MAX_ROWS,
        "hours": settings.EXPORT_EXPIRE_HOURS,
        "nav": "queue",
    }
    return render(request, "console/exports/offer.html", context)


@support_view
@require_POST
def export_cases(request: HttpRequest) -> HttpResponse:
    """Start the queue's export under the filters the offer carried."""
    _, filters, _ = queue_filters(QueryDict(request.POST.get("query", "")))
    job = export_start(
        user=request.user,  # type: ignore[arg-type]
        kind="cases",
        params=case_filters_params(filters),
        filename=f"cases-{clock.now():%Y%m%d-%H%M}.csv",
        now=clock.now(),
    )
    return redirect("console-export", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> ExportJob:
    job = export_for(request.user, pk)  # type: ignore[arg-type]
    if job is None:
        raise Http404("Not found.")
    return job


@support_view
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress while the worker writes; the download link once done. A job whose worker
    died is marked failed here (``export_reap``), so the page stops waiting for it."""
    job = _job(request, pk)
    if job.state == ExportJob.State.RUNNING and export_reap(job_id=job.pk, now=clock.now()):
        job.refresh_from_db()
    waiting = job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING)
    percent = None
    if job.rows_total:
        percent = min(100, round(100 * job.rows_written / job.rows_total))
    response = render(
        request,
        "console/exports/status.html",
        {
            "job": job,
            "waiting": waiting,
            "percent": percent,
            "stalled": job.error.startswith(STALE_PREFIX),
            "again": job.restartable,
            "nav": "queue",
        },
    )
    if waiting:
        response["Refresh"] = str(REFRESH_SECONDS)  # what <meta http-equiv="refresh"> says
    return response


@support_view
@require_POST
def export_restart(request: HttpRequest, pk: int) -> HttpResponse:
    """A new job for the same list as a failed or expired one (only its requester's)."""
    job = _job(request, pk)
    if not job.restartable:
        return redirect("console-export", pk=job.pk)
    return redirect("console-export", pk=export_again(job=job, now=clock.now()).pk)


@support_view
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    path: Path = export_path(job.pk)
    if job.state != ExportJob.State.DONE or not path.exists():
        raise Http404("Not found.")
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=job.filename, content_type="text/csv"
    )
    response["Content-Type"] = "text/csv; charset=utf-8"
    return response
