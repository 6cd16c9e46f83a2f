"""Large exports as background jobs (issue 13 item 7): a case list longer than
``EXPORT_INLINE_MAX_ROWS`` is written by ``casedesk worker`` (a django-tasks job) into the
data directory instead of streaming to the browser; the requester watches its progress and
downloads the file, which the worker removes ``EXPORT_EXPIRE_HOURS`` later.

The file holds what its requester may see when it is written (the list's own visibility,
``cases.permissions.scope_cases``), so only the requester may fetch it (``export_for``).
Same CSV as the inline download: UTF-8 with a byte-order mark, RFC 4180, CRLF."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from casedesk.accounts.models import User
from casedesk.cases.exports import HEADER as CASE_HEADER
from casedesk.cases.exports import queue_cases, queue_rows
from casedesk.cases.selectors import CaseFilters
from casedesk.core import clock
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_ensure

from .models import ExportJob

log = logging.getLogger(__name__)
EXPIRE_KIND = "reports.export_expire"
PROGRESS_EVERY = 5000  # rows between progress updates: one UPDATE per chunk, not per row
FILTER_FIELDS = {f.name for f in dataclasses.fields(CaseFilters)} - {"page"}


def case_filters_params(filters: CaseFilters) -> dict[str, Any]:
    """The queue's filters as JSON for the job (the page number does not matter)."""
    return {k: v for k, v in dataclasses.asdict(filters).items() if k in FILTER_FIELDS}


def _case_source(user: User, params: dict[str, Any]) -> tuple[int, list[str], Iterator[list]]:
    clean = {k: v for k, v in params.items() if k in FILTER_FIELDS}
    clean["regions"] = tuple(clean.get("regions") or ())
    filters = CaseFilters(**clean)
    return queue_cases(user, filters).count(), CASE_HEADER, queue_rows(user, filters)


SOURCES = {"cases": _case_source}


def export_path(pk: int) -> Path:
    return Path(settings.EXPORTS_DIR) / f"export-{pk}.csv"


def export_start(
    *, user: User, kind: str, params: dict[str, Any], filename: str, now: dt.datetime
) -> ExportJob:
    """Record the job, schedule its file's removal and hand it to the worker."""
    if kind not in SOURCES:
        raise ValueError(f"unknown export {kind!r}")
    expires = now + dt.timedelta(hours=settings.EXPORT_EXPIRE_HOURS)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requester=user,
            kind=kind,
            params=params,
            filename=filename,
            created_at=now,
            expires_at=expires,
        )
        deadline_ensure(
            kind=EXPIRE_KIND,
            key=f"{EXPIRE_KIND}:{job.pk}",
            due_at=expires,
            now=now,
            payload={"job": job.pk},
        )
        export_run.enqueue(job.pk)
    return job


def export_for(user: User, pk: int) -> ExportJob | None:
    """The job if ``user`` asked for it; anyone else's, or none, is ``None``."""
    return ExportJob.objects.filter(pk=pk, requester=user).first()


def _counted(job_id: int, rows: Iterator[list]) -> Iterator[list]:
    for written, row in enumerate(rows, 1):
        yield ["" if v is None else v for v in row]
        if written % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job_id).update(rows_written=written)


def export_write(*, job_id: int) -> str:
    """Write the job's file (claiming the job first, so a second run does nothing)."""
    if not ExportJob.objects.filter(pk=job_id, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING
    ):
        return "not queued"
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    path = export_path(job_id)
    part = path.with_name(path.name + ".part")
    try:
        total, header, rows = SOURCES[job.kind](job.requester, job.params)
        ExportJob.objects.filter(pk=job_id).update(rows_total=total)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with part.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in _counted(job_id, rows):
                writer.writerow(row)
                written += 1
        part.replace(path)
    except Exception as exc:
        part.unlink(missing_ok=True)
        log.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.State.FAILED, finished_at=clock.now(), error=str(exc)[:200]
        )
        return "failed"
    ExportJob.objects.filter(pk=job_id).update(
        state=ExportJob.State.DONE, rows_written=written, finished_at=clock.now()
    )
    return f"{written} rows"


@task()
def export_run(job_id: int) -> str:
    """The worker's side of ``export_start``."""
    return export_write(job_id=job_id)


@handles(EXPIRE_KIND)
def run_export_expire(deadline: Any, now: dt.datetime) -> str:
    """Remove an expired export's file; the row stays, marked expired, for the record."""
    pk = int((deadline.payload or {}).get("job") or 0)
    path = export_path(pk)  # removed even if the job's row went with its requester
    for file in (path, path.with_name(path.name + ".part")):
        file.unlink(missing_ok=True)
    ExportJob.objects.filter(pk=pk).update(state=ExportJob.State.EXPIRED)
    return f"export {pk} expired"
