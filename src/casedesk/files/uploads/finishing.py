"""The last byte is in: the upload turns ``finishing`` under its claim, is hashed (running
hash or one re-read), moved and attached; a finisher that died is finished by the
expiry deadline once its claim lapses."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from typing import Any

from django.db import transaction
from django.db.models import Q

from casedesk.core import clock
from casedesk.core.errors import DomainError

from ..models import Upload, UploadState
from ..services import attachment_add, new_storage_key
from ..storage import get_storage
from ._common import BLOCK, _schedule_expiry, lock_lease
from .claims import _renew
from .errors import FileMismatch, UploadBusy, UploadGone


def _finish(upload: Upload, token: str, running: Any | None, now: dt.datetime) -> Upload:
    """The last byte arrived: turn the upload ``finishing`` under our claim, then complete.

    The conditional UPDATE on the claim is what shuts out a retried PATCH: from here on
    no request may cut the file back, and HEAD reports every byte as accepted.
    """
    key = new_storage_key(upload.case_id)
    lease_end = clock.now() + lock_lease()
    entered = Upload.objects.filter(
        pk=upload.pk, lock_token=token, state=UploadState.ACTIVE
    ).update(
        state=UploadState.FINISHING, offset=upload.length, storage_key=key, locked_until=lease_end
    )
    if not entered:
        raise UploadBusy("This upload was taken over by another request.")
    upload.state, upload.offset, upload.storage_key = UploadState.FINISHING, upload.length, key
    # Should this process die while finishing, the deadline picks it up once the claim lapses.
    _schedule_expiry(upload, now, due=lease_end + dt.timedelta(seconds=1))
    return _complete(upload, token, running, now)


def _rehash(key: str, upload: Upload, token: str) -> str:
    """Whole-file SHA-256 by re-reading, renewing the claim so it never lapses mid-way."""
    digest = hashlib.sha256()
    renew_every = lock_lease().total_seconds() / 3
    renewed = time.monotonic()
    with get_storage().open_read(key) as stream:
        while block := stream.read(BLOCK):
            digest.update(block)
            if time.monotonic() - renewed > renew_every:
                if not _renew(upload, token):
                    raise UploadBusy("This upload was taken over while it was being hashed.")
                renewed = time.monotonic()
    return digest.hexdigest()


def _complete(
    upload: Upload,
    token: str,
    running: Any | None,
    now: dt.datetime,
    source: str | None = None,
) -> Upload:
    """Hash, move and attach a ``finishing`` upload whose claim ``token`` holds.

    Works from ``source`` (a joined parallel upload's file), the partial file or, after a
    crash between move and attach, from the moved one. Nothing moves or is recorded once
    the claim is lost (UploadBusy).
    """
    storage = get_storage()
    key = upload.storage_key
    if source is None or not storage.exists(source):
        source = upload.partial_key if storage.exists(upload.partial_key) else key
    if not storage.exists(source):
        Upload.objects.filter(pk=upload.pk, lock_token=token).update(
            state=UploadState.EXPIRED, lock_token="", locked_until=None
        )
        raise UploadGone("This upload's bytes are gone; start the upload again.")
    digest = running.hexdigest() if running is not None else _rehash(source, upload, token)
    if not _renew(upload, token):
        raise UploadBusy("This upload was taken over while it was being hashed.")
    if upload.sha256 and digest != upload.sha256:
        # The bytes are not the file the client hashed (issue 15 item 7): never attached.
        if Upload.objects.filter(pk=upload.pk, lock_token=token).delete()[0]:
            storage.delete(source)
        raise FileMismatch(
            f"The file's SHA-256 is {digest}, not the {upload.sha256} announced in "
            "Upload-Metadata; it was not attached and the upload was discarded. "
            "Check the file and upload it again."
        )
    if source != key:
        storage.move(source, key)
    try:
        with transaction.atomic():
            done = Upload.objects.filter(
                pk=upload.pk, lock_token=token, state=UploadState.FINISHING
            ).update(
                state=UploadState.COMPLETED,
                offset=upload.length,  # a joined file's offset is only known now
                locked_until=None,
                lock_token="",
            )
            if not done:
                raise UploadBusy("This upload was taken over while it was being attached.")
            attachment = attachment_add(
                case=upload.case,
                actor=upload.user,
                filename=upload.filename,
                storage_key=key,
                source=upload.source,
                now=now,
                sha256=digest,
                content_type=upload.content_type,
                sha256_verified=True,
            )
            Upload.objects.filter(pk=upload.pk).update(attachment=attachment)
    except UploadBusy:
        raise
    except DomainError:
        # attachment_add removed the bytes; this upload can never finish.
        Upload.objects.filter(pk=upload.pk).delete()
        raise
    upload.state = UploadState.COMPLETED
    upload.offset = upload.length
    upload.attachment = attachment
    return upload


def _recover_finishing(upload: Upload, now: dt.datetime, complete: Any = None) -> str:
    """Finish an upload whose finisher died (its claim lapsed); idempotent. ``complete``:
    how to finish it under the new claim (``concat._complete_final`` for a joined file)."""
    if upload.locked_until and upload.locked_until > now:
        _schedule_expiry(upload, now, due=upload.locked_until + dt.timedelta(seconds=1))
        return f"rescheduled: still finishing until {upload.locked_until.isoformat()}"
    token = secrets.token_hex(16)
    claimed = (
        Upload.objects.filter(pk=upload.pk, state=UploadState.FINISHING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=clock.now() + lock_lease(), lock_token=token)
    )
    if not claimed:
        return "skipped: upload changed meanwhile"
    try:
        if complete is None:
            _complete(upload, token, None, now)
        else:
            complete(upload, token, now)
    except DomainError as exc:
        return f"not finished: {exc.reason}"
    return f"finished: {upload.filename} attached"
