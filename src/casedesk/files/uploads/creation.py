"""A new upload for a case that takes files (D1), with its empty partial file.

"No size limit" (D1) is the product's promise, but an upload must fit where its bytes go:
creation refuses (413) an ``Upload-Length`` beyond the operator's maximum
(``UPLOAD_MAX_BYTES``, none by default), beyond the case's quota (``CASE_QUOTA_BYTES``,
none by default: its live attachments and unfinished uploads count), or beyond the files
volume's free space less ``FILES_RESERVE_BYTES`` and the bytes unfinished uploads still
have to send. Two creations racing for the last free space may both pass; the write that
then meets a full disk is refused cleanly (``StorageFull``).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import is_participant
from casedesk.core.errors import NotFound

from ..models import Attachment, Concat, Upload, UploadState
from ..services import clean_filename, require_open_for_files
from ..storage import get_storage
from ._common import _schedule_expiry, upload_lifetime
from .errors import UploadTooLarge

DEFAULT_RESERVE_BYTES = 1024**3


def _mib(size: int) -> str:
    return f"{size / 1024**2:,.1f} MiB"


def _outstanding(**scope: object) -> int:
    """Bytes unfinished uploads (of ``scope``) may still write."""
    unfinished = Upload.objects.filter(state=UploadState.ACTIVE, **scope)
    return int(unfinished.aggregate(n=Sum(F("length") - F("offset")))["n"] or 0)


def check_most(length: int) -> None:
    """UploadTooLarge if ``length`` exceeds the operator's maximum (``UPLOAD_MAX_BYTES``)."""
    most = int(getattr(settings, "UPLOAD_MAX_BYTES", 0) or 0)
    if most and length > most:
        raise UploadTooLarge(
            f"This file ({length} bytes) is larger than this server accepts ({most} bytes, "
            f"{_mib(most)}). Split it, or ask support for another way to send it."
        )


def check_disk(length: int) -> None:
    """UploadTooLarge unless ``length`` more bytes fit on the files volume (less the
    reserve and what unfinished uploads still have to write)."""
    reserve = int(getattr(settings, "FILES_RESERVE_BYTES", DEFAULT_RESERVE_BYTES))
    room = get_storage().free_bytes() - reserve - _outstanding()
    if length > room:
        raise UploadTooLarge(
            f"The server has no room for this file ({length} bytes) right now: "
            f"{_mib(max(room, 0))} can be taken. Try again later or ask support."
        )


def upload_check_room(*, case: Case, length: int) -> None:
    """UploadTooLarge unless ``length`` bytes fit every bound (see the module's docstring).

    Finished parts of a parallel upload (tus concatenation) count against the case's
    quota until their file is joined and attached: their bytes are on the volume."""
    check_most(length)
    quota = int(getattr(settings, "CASE_QUOTA_BYTES", 0) or 0)
    if quota:
        kept = Attachment.objects.filter(case=case, purged_at__isnull=True)
        used = int(kept.aggregate(n=Sum("size"))["n"] or 0)
        used += _outstanding(case=case)
        parts = Upload.objects.filter(case=case, concat=Concat.PARTIAL, state=UploadState.COMPLETED)
        used += int(parts.aggregate(n=Sum("length"))["n"] or 0)
        if used + length > quota:
            raise UploadTooLarge(
                f"This file does not fit in the case's quota of {_mib(quota)}: "
                f"{_mib(used)} are used, {_mib(max(quota - used, 0))} remain."
            )
    check_disk(length)


def upload_create(
    *,
    user: User,
    case: Case,
    filename: str,
    content_type: str,
    length: int,
    source: str,
    now: dt.datetime,
    sha256: str = "",
    concat: str = Concat.NONE,
) -> Upload:
    """A new upload of ``length`` bytes for ``case``; the case must take files (D1) and
    have room for it. ``sha256``: the whole file's digest the client announced (hex).
    ``concat=Concat.PARTIAL``: one part of a parallel upload, never attached on its own
    (``uploads.concat``)."""
    if not is_participant(user, case):
        raise NotFound("No such case.")
    require_open_for_files(case)
    upload_check_room(case=case, length=length)
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
            sha256=sha256.lower(),
            concat=concat,
        )
        _schedule_expiry(upload, now)
    get_storage().open_append(upload.partial_key).close()
    return upload
