"""Large exports as background jobs (issue 13 item 7): a case list longer than
``EXPORT_INLINE_MAX_ROWS`` is written by ``casedesk worker`` (a django-tasks job) into the
data directory instead of streaming to the browser; the requester watches its progress and
downloads the file, which the worker removes ``EXPORT_EXPIRE_HOURS`` later.

The file holds what its requester may see when it is written (the list's own visibility,
``cases.permissions.scope_cases``), so only the requester may fetch it (``export_for``).
Same CSV as the inline download: UTF-8 with a byte-order mark, RFC 4180, CRLF.

**A worker killed mid-export** (issue 13 item 7 follow-up): a running job's worker writes
``heartbeat_at`` when it claims the job and with every progress update. A job running
with no heartbeat for ``EXPORT_STALE_MINUTES`` is taken as dead and marked failed with a
message saying so (``export_reap``) — by its progress page, so the page stops waiting even
when no worker runs at all, and by a watch deadline, so the record is right when nobody
looks. It is not re-queued by itself: an export that killed its worker (memory, a
restart in the middle) would do so again; the page offers to start a new one instead. A
worker that was only slow and comes back finds its job no longer running: its progress
and its result change nothing, and its file is removed."""

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
from django.db.models import Q
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
WATCH_KIND = "reports.export_watch"
STALE_PREFIX = "The worker stopped while writing this export"
STALE_ERROR = STALE_PREFIX + " (no progress for {minutes} minutes)."
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
        _watch(job.pk, now + stale_after(), now)
        export_run.enqueue(job.pk)
    return job


def export_again(*, job: ExportJob, now: dt.datetime) -> ExportJob:
    """A new job with the same list and filters as ``job`` (one that failed or expired)."""
    return export_start(
        user=job.requester,
        kind=job.kind,
        params=job.params,
        filename=f"{job.kind}-{now:%Y%m%d-%H%M}.csv",
        now=now,
    )


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.EXPORT_STALE_MINUTES)


def _watch(pk: int, due_at: dt.datetime, now: dt.datetime) -> None:
    deadline_ensure(
        kind=WATCH_KIND,
        key=f"{WATCH_KIND}:{pk}:{due_at.isoformat()}",
        due_at=due_at,
        now=now,
        payload={"job": pk},
    )


def export_reap(*, job_id: int, now: dt.datetime) -> bool:
    """Mark the job failed if it is running without a heartbeat for ``stale_after()``; one
    conditional UPDATE, so a heartbeat that lands first keeps the job alive. True if it
    was marked now."""
    cutoff = now - stale_after()
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    marked = ExportJob.objects.filter(silent, pk=job_id, state=ExportJob.State.RUNNING).update(
        state=ExportJob.State.FAILED,
        finished_at=now,
        error=STALE_ERROR.format(minutes=settings.EXPORT_STALE_MINUTES),
    )
    if marked:
        path = export_path(job_id)
        path.with_name(path.name + ".part").unlink(missing_ok=True)
        log.warning("export %s: no progress since before %s, marked failed", job_id, cutoff)
    return bool(marked)


def export_for(user: User, pk: int) -> ExportJob | None:
    """The job if ``user`` asked for it; anyone else's, or none, is ``None``."""
    return ExportJob.objects.filter(pk=pk, requester=user).first()


class Abandoned(Exception):
    """The job is no longer running (taken as dead): stop writing."""


def _beat(job_id: int, **fields: Any) -> None:
    """Progress and heartbeat, only while the job is still ours (running)."""
    if not ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING).update(
        heartbeat_at=clock.now(), **fields
    ):
        raise Abandoned


def _counted(job_id: int, rows: Iterator[list]) -> Iterator[list]:
    for written, row in enumerate(rows, 1):
        yield ["" if v is None else v for v in row]
        if written % PROGRESS_EVERY == 0:
            _beat(job_id, rows_written=written)


def export_write(*, job_id: int) -> str:
    """Write the job's file (claiming the job first, so a second run does nothing)."""
    if not ExportJob.objects.filter(pk=job_id, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING, heartbeat_at=clock.now()
    ):
        return "not queued"
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    path = export_path(job_id)
    part = path.with_name(path.name + ".part")
    running = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING)
    try:
        total, header, rows = SOURCES[job.kind](job.requester, job.params)
        _beat(job_id, rows_total=total)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with part.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in _counted(job_id, rows):
                writer.writerow(row)
                written += 1
        part.replace(path)
    except Abandoned:
        part.unlink(missing_ok=True)
        log.warning("export %s: taken as dead while writing; stopped", job_id)
        return "abandoned"
    except Exception as exc:
        part.unlink(missing_ok=True)
        if not running.update(
            state=ExportJob.State.FAILED, finished_at=clock.now(), error=str(exc)[:200]
        ):  # taken as dead meanwhile (which also removed the part file under us)
            log.warning("export %s: taken as dead while writing; stopped", job_id)
            return "abandoned"
        log.exception("export %s failed", job_id)
        return "failed"
    if not running.update(
        state=ExportJob.State.DONE,
        rows_written=written,
        finished_at=clock.now(),
        heartbeat_at=clock.now(),
    ):
        path.unlink(missing_ok=True)  # taken as dead meanwhile: the page offers a new job
        log.warning("export %s: finished after it was taken as dead; file removed", job_id)
        return "abandoned"
    return f"{written} rows"


@task()
def export_run(job_id: int) -> str:
    """The worker's side of ``export_start``."""
    return export_write(job_id=job_id)


@handles(WATCH_KIND)
def run_export_watch(deadline: Any, now: dt.datetime) -> str:
    """Check a job for a dead worker; while it may still run, look again one stale period
    after its last heartbeat (or now, while it waits in the queue)."""
    pk = int((deadline.payload or {}).get("job") or 0)
    if export_reap(job_id=pk, now=now):
        return f"export {pk} marked failed: no progress"
    job = ExportJob.objects.filter(pk=pk).values("state", "heartbeat_at", "expires_at").first()
    waiting = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)
    if job is None or job["state"] not in waiting or now >= job["expires_at"]:
        return f"export {pk}: no longer watched"
    since = job["heartbeat_at"] if job["state"] == ExportJob.State.RUNNING else now
    _watch(pk, max(since + stale_after(), now + dt.timedelta(minutes=1)), now)
    return f"export {pk}: {job['state']}, watched"


@handles(EXPIRE_KIND)
def run_export_expire(deadline: Any, now: dt.datetime) -> str:
    """Remove an expired export's file; the row stays, marked expired, for the record."""
    pk = int((deadline.payload or {}).get("job") or 0)
    path = export_path(pk)  # removed even if the job's row went with its requester
    for file in (path, path.with_name(path.name + ".part")):
        file.unlink(missing_ok=True)
    ExportJob.objects.filter(pk=pk).update(state=ExportJob.State.EXPIRED)
    return f"export {pk} expired"
