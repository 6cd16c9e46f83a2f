"""The end of an upload that was not completed: tus termination by the client, or expiry
of an abandoned one (its bytes removed) by the ``files.upload_expire`` deadline."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from ..models import Concat, Upload, UploadState
from ..storage import get_storage
from ._common import _schedule_expiry
from .claims import upload_claim
from .concat import _complete_final, _expire_part, upload_terminate_part
from .errors import UploadCompleted
from .finishing import _recover_finishing
from .running import _RUNNING


def upload_terminate(*, upload: Upload, now: dt.datetime) -> None:
    """tus termination: the client gives up; bytes and record go (an attachment stays)."""
    if upload.concat == Concat.PARTIAL and upload.state == UploadState.COMPLETED:
        if upload_terminate_part(part=upload):
            return
        raise UploadCompleted("This part is being joined into its file, or already was.")
    if upload.state == UploadState.COMPLETED:
        raise UploadCompleted(
            "This upload is complete and attached to the case; attachments are kept."
        )
    upload_claim(upload=upload, now=now)
    Upload.objects.filter(pk=upload.pk).delete()
    get_storage().delete(upload.partial_key)
    _RUNNING.pop(upload.pk, None)


def upload_expire(*, upload_id: str, now: dt.datetime) -> str:
    """Remove an abandoned upload's bytes once it is past ``expires_at`` (idempotent)."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return "skipped: upload gone"
    if upload.state == UploadState.FINISHING:
        complete = _complete_final if upload.concat == Concat.FINAL else None
        return _recover_finishing(upload, now, complete)
    if upload.concat == Concat.PARTIAL and upload.state == UploadState.COMPLETED:
        return _expire_part(upload, now)
    if upload.state != UploadState.ACTIVE:
        if upload.state == UploadState.EXPIRED:
            get_storage().delete(upload.partial_key)
        return f"skipped: upload {upload.state}"
    if upload.expires_at > now or (upload.locked_until and upload.locked_until > now):
        later = max(upload.expires_at, upload.locked_until or upload.expires_at)
        upload.expires_at = later
        _schedule_expiry(upload, now)
        return f"rescheduled to {later.isoformat()}"
    expired = (
        Upload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(state=UploadState.EXPIRED, lock_token="")
    )
    if not expired:
        return "skipped: upload changed meanwhile"
    size = get_storage().size(upload.partial_key)
    get_storage().delete(upload.partial_key)
    return f"expired: {size} bytes of {upload.filename} removed"
