"""What several upload modules share: block size, lifetime and lock lease (from settings,
read on use), and the ``files.upload_expire`` deadline every state change re-arms."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from casedesk.scheduling.services import deadline_schedule

from ..models import Upload

UPLOAD_EXPIRE = "files.upload_expire"
BLOCK = 1024 * 1024
DEFAULT_EXPIRE_HOURS = 24
DEFAULT_LOCK_SECONDS = 30


def upload_lifetime() -> dt.timedelta:
    hours = getattr(settings, "UPLOAD_EXPIRE_HOURS", DEFAULT_EXPIRE_HOURS)
    return dt.timedelta(hours=hours)


def lock_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "UPLOAD_LOCK_SECONDS", DEFAULT_LOCK_SECONDS))


def _schedule_expiry(upload: Upload, now: dt.datetime, due: dt.datetime | None = None) -> None:
    due = due or upload.expires_at
    deadline_schedule(
        kind=UPLOAD_EXPIRE,
        key=f"{UPLOAD_EXPIRE}:{upload.pk}:{int(due.timestamp())}",
        due_at=due,
        now=now,
        case_id=upload.case_id,
        payload={"upload_id": upload.pk},
    )
