"""The write lock of an upload: a conditional UPDATE claims it, renews it while bytes flow
and releases it with the new offset; a claim left by a killed server lapses."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db.models import Q

from casedesk.core import clock

from ..models import Upload, UploadState
from ._common import lock_lease, upload_lifetime
from .errors import UploadBusy, UploadFinishing


def upload_claim(*, upload: Upload, now: dt.datetime) -> str:
    """Take the upload's write lock, or UploadBusy if another request holds it."""
    token = secrets.token_hex(16)
    claimed = (
        Upload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lock_lease(), lock_token=token)
    )
    if not claimed:
        state = Upload.objects.filter(pk=upload.pk).values_list("state", flat=True).first()
        if state == UploadState.FINISHING:
            raise UploadFinishing(
                "This upload has all its bytes and is being attached to the case; "
                "check it again (HEAD) in a few seconds."
            )
        raise UploadBusy(
            "Another request is writing this upload right now; retry in a few seconds."
        )
    return token


def _renew(upload: Upload, token: str) -> bool:
    return bool(
        Upload.objects.filter(pk=upload.pk, lock_token=token).update(
            locked_until=clock.now() + lock_lease()
        )
    )


def upload_release(*, upload: Upload, token: str, now: dt.datetime, offset: int | None) -> None:
    """Give the lock back; with ``offset``, record the bytes accepted and extend expiry."""
    fields: dict[str, Any] = {"locked_until": None, "lock_token": ""}
    if offset is not None:
        fields["offset"] = offset
        fields["expires_at"] = now + upload_lifetime()
    Upload.objects.filter(pk=upload.pk, lock_token=token).update(**fields)
    if offset is not None:
        upload.offset = offset
        upload.expires_at = fields["expires_at"]
