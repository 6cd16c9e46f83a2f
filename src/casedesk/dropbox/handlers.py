"""The drop box's deadline: at ``expires_at`` it ends, with a timeline line (C8)."""

from __future__ import annotations

import datetime as dt

from casedesk.scheduling.models import Deadline
from casedesk.scheduling.registry import handles

from .services import EXPIRE, dropbox_expire


@handles(EXPIRE)
def run_expire(deadline: Deadline, now: dt.datetime) -> str:
    return dropbox_expire(account_id=int(deadline.payload["account_id"]), now=now)
