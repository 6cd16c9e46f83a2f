"""A new upload for a case that takes files (D1), with its empty partial file."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import is_participant
from casedesk.core.errors import NotFound

from ..models import Upload
from ..services import clean_filename, require_open_for_files
from ..storage import get_storage
from ._common import _schedule_expiry, upload_lifetime


def upload_create(
    *,
    user: User,
    case: Case,
    filename: str,
    content_type: str,
    length: int,
    source: str,
    now: dt.datetime,
) -> Upload:
    """A new upload of ``length`` bytes for ``case``; the case must take files (D1)."""
    if not is_participant(user, case):
        raise NotFound("No such case.")
    require_open_for_files(case)
    with transaction.atomic():
        upload = Upload.objects.create(
            id=secrets.token_urlsafe(24),
            case=case,
            user=user,
            source=source,
            filename=clean_filename(filename),
            content_type=content_type[:120],
            length=length,
            created_at=now,
            expires_at=now + upload_lifetime(),
        )
        _schedule_expiry(upload, now)
    get_storage().open_append(upload.partial_key).close()
    return upload
