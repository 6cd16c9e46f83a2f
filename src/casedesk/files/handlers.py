"""Deadline handlers of the files app (imported at app ready so they register)."""

from __future__ import annotations

import datetime as dt

from casedesk.scheduling.models import Deadline
from casedesk.scheduling.registry import handles

from .uploads import UPLOAD_EXPIRE, upload_expire


@handles(UPLOAD_EXPIRE)
def run_upload_expire(deadline: Deadline, now: dt.datetime) -> str:
    """tus expiration: an abandoned partial upload's bytes go after ``expires_at`` (D1)."""
    return upload_expire(upload_id=str(deadline.payload.get("upload_id", "")), now=now)
