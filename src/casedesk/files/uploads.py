"""Writes for resumable uploads (tus, D1; security rule 9): create, claim, write, finish, end.

tus gives offsets and checksums, not locking or authorisation, so this module adds both:
every upload belongs to one user and one case (``selectors.access_upload``), and a PATCH
first claims the upload with a conditional UPDATE (works on SQLite and PostgreSQL alike),
renews the claim while bytes flow and releases it with the new offset. A claim left by a
killed server lapses after ``UPLOAD_LOCK_SECONDS``.

Bytes go from the request stream to ``<FILES_ROOT>/partial/<id>`` in 1 MiB blocks, so
memory stays flat whatever the size. On the last byte the whole-file SHA-256 is taken
from a running hash when every chunk passed through this process in order, otherwise by
re-reading the file once; it is computed outside the case row lock and handed to
``attachment_add`` as verified, so the file is never hashed twice.

Finishing is its own state: the last chunk's request turns the upload ``finishing`` with
a conditional UPDATE on its claim, so no PATCH or DELETE can touch the bytes while they
are hashed (they get 423 with Retry-After; HEAD reports the full offset). The re-hash
renews the claim as it goes, and the file moves and is attached only while the claim is
still this request's. A finisher that dies leaves ``finishing`` with a lapsing claim and
a fixed ``storage_key``; the ``files.upload_expire`` deadline (due when the claim lapses)
finishes it from whichever of the partial or moved file exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import is_participant
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.scheduling.services import deadline_schedule

from .models import Upload, UploadState
from .services import (
    attachment_add,
    clean_filename,
    new_storage_key,
    require_open_for_files,
)
from .storage import get_storage

UPLOAD_EXPIRE = "files.upload_expire"
BLOCK = 1024 * 1024
DEFAULT_EXPIRE_HOURS = 24
DEFAULT_LOCK_SECONDS = 30


class UploadBusy(DomainError):
    """Another request is writing this upload right now (tus: 423 Locked)."""

    status_code = 423


class UploadFinishing(UploadBusy):
    """The last byte is in and the file is being hashed and attached (tus: 423)."""


class UploadGone(DomainError):
    """The upload expired or lost its bytes; the client must start again (tus: 410)."""

    status_code = 410


class ChecksumMismatch(DomainError):
    """The chunk's bytes do not match its Upload-Checksum; it was discarded (tus: 460)."""

    status_code = 460


class OffsetMoved(DomainError):
    """The server holds fewer bytes than it had accepted (tus: 409, HEAD for the offset)."""

    status_code = 409

    def __init__(self, reason: str, *, offset: int) -> None:
        super().__init__(reason)
        self.offset = offset


class ChunkTooLarge(DomainError):
    """The chunk runs past the declared Upload-Length."""

    status_code = 413


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class Checksum:
    """An Upload-Checksum: algorithm name (hashlib) and the raw digest the client sent."""

    algorithm: str
    digest: bytes


def upload_lifetime() -> dt.timedelta:
    hours = getattr(settings, "UPLOAD_EXPIRE_HOURS", DEFAULT_EXPIRE_HOURS)
    return dt.timedelta(hours=hours)


def lock_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "UPLOAD_LOCK_SECONDS", DEFAULT_LOCK_SECONDS))


# --- the running whole-file hash ----------------------------------------------------
# upload id -> (offset the hash covers, hashlib object). Per process: a chunk handled by
# another worker process makes this process's entry stale, and the final hash then
# falls back to re-reading the file once (measured in docs/benchmarks.md).
_RUNNING: OrderedDict[str, tuple[int, Any]] = OrderedDict()
_RUNNING_MAX = 256


def _running_take(upload_id: str, offset: int) -> Any | None:
    entry = _RUNNING.pop(upload_id, None)
    if entry is not None and entry[0] == offset:
        return entry[1]
    return hashlib.sha256() if offset == 0 else None


def _running_put(upload_id: str, offset: int, digest: Any) -> None:
    _RUNNING[upload_id] = (offset, digest)
    while len(_RUNNING) > _RUNNING_MAX:
        _RUNNING.popitem(last=False)


# --- create ---------------------------------------------------------------------------


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


# --- claim and release ------------------------------------------------------------------


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


# --- write ----------------------------------------------------------------------------


def upload_check_usable(upload: Upload, now: dt.datetime) -> None:
    """An expired upload answers 410; a closed case refuses more bytes (D1)."""
    if upload.state == UploadState.EXPIRED or (
        upload.state == UploadState.ACTIVE and upload.expires_at <= now
    ):
        raise UploadGone("This upload has expired; start the upload again.")
    require_open_for_files(upload.case)


def upload_write(
    *,
    upload: Upload,
    offset: int,
    stream: Readable,
    size: int,
    checksum: Checksum | None,
    now: dt.datetime,
) -> Upload:
    """Append ``size`` bytes from ``stream`` at ``offset`` (one tus PATCH).

    Claims the upload, re-reads its offset under the claim (another request may have
    moved it since ``upload`` was loaded: 409), cuts the partial file back to the accepted
    offset (bytes a killed request left behind), streams the chunk while hashing it, and
    then either accepts it (new offset; the attachment on the last byte) or discards it:
    a chunk whose checksum does not match, or a checksummed chunk cut short, leaves the
    offset where it was. An unchecksummed chunk cut short keeps what arrived (tus core).
    """
    upload_check_usable(upload, now)
    token = upload_claim(upload=upload, now=now)
    try:
        upload.refresh_from_db(fields=["offset", "state", "expires_at"])
        upload_check_usable(upload, now)
        if offset != upload.offset:
            raise OffsetMoved(
                f"Upload-Offset {offset} does not match the upload's offset {upload.offset}.",
                offset=upload.offset,
            )
        if offset + size > upload.length:
            raise ChunkTooLarge(
                f"This chunk runs past the upload's length ({upload.length} bytes): "
                f"{size} bytes at offset {offset}."
            )
    except BaseException:
        upload_release(upload=upload, token=token, now=now, offset=None)
        raise
    start = offset
    storage = get_storage()
    key = upload.partial_key
    try:
        if not storage.exists(key):
            Upload.objects.filter(pk=upload.pk).update(state=UploadState.EXPIRED)
            raise UploadGone("This upload's bytes are gone; start the upload again.")
        on_disk = storage.size(key)
        if on_disk < start:
            # Accepted bytes did not survive a power loss: continue from what is there.
            upload_release(upload=upload, token=token, now=now, offset=on_disk)
            _RUNNING.pop(upload.pk, None)
            raise OffsetMoved(
                f"Only {on_disk} bytes of this upload survived a server restart; "
                "continue from there.",
                offset=on_disk,
            )
        if on_disk > start:
            storage.truncate(key, start)
        running = _running_take(upload.pk, start)
        received, cut_short, chunk_digest = _stream_chunk(
            upload, token, stream, size, checksum, running
        )
        if checksum is not None and (cut_short or chunk_digest != checksum.digest):
            storage.truncate(key, start)
            if cut_short:
                upload_release(upload=upload, token=token, now=now, offset=None)
                return upload
            raise ChecksumMismatch(
                f"The chunk at offset {start} does not match its {checksum.algorithm} "
                "checksum; it was discarded. Send it again."
            )
        offset = start + received
        if offset == upload.length and not cut_short:
            return _finish(upload, token, running, now)
        upload_release(upload=upload, token=token, now=now, offset=offset)
        if running is not None:
            _running_put(upload.pk, offset, running)
        return upload
    except BaseException:
        _RUNNING.pop(upload.pk, None)
        upload_release(upload=upload, token=token, now=now, offset=None)
        raise


def _stream_chunk(
    upload: Upload,
    token: str,
    stream: Readable,
    size: int,
    checksum: Checksum | None,
    running: Any | None,
) -> tuple[int, bool, bytes | None]:
    """Copy up to ``size`` bytes into the partial file; (received, cut short, digest).

    Hashing runs in a helper thread, one block behind reading and writing (hashlib
    releases the GIL), so the checksum and the running hash cost little extra time.
    """
    chunk_hash = hashlib.new(checksum.algorithm) if checksum else None
    hashes = [h for h in (chunk_hash, running) if h is not None]
    renew_every = lock_lease().total_seconds() / 3
    renewed = time.monotonic()
    received = 0
    cut_short = False
    with (
        get_storage().open_append(upload.partial_key) as out,
        ThreadPoolExecutor(max_workers=1) as hasher,
    ):
        hashing: Future[None] | None = None
        while received < size:
            try:
                block = stream.read(min(BLOCK, size - received))
            except OSError:  # the client went away mid-body (UnreadablePostError)
                block = b""
            if not block:
                cut_short = True
                break
            # The claim must still be ours before a byte is written: a request that
            # stalled past its lease may have been overtaken by a retry.
            if time.monotonic() - renewed > renew_every:
                if not _renew(upload, token):
                    raise UploadBusy("This upload was taken over by another request.")
                renewed = time.monotonic()
            out.write(block)
            if hashing is not None:
                hashing.result()
            if hashes:
                hashing = hasher.submit(_update, hashes, block)
            received += len(block)
        if hashing is not None:
            hashing.result()
        if not cut_short and upload.offset + received == upload.length:
            # The last byte: make the file durable before the case records it.
            out.flush()
            os.fsync(out.fileno())
    return received, cut_short, chunk_hash.digest() if chunk_hash else None


def _update(hashes: list[Any], block: bytes) -> None:
    for digest in hashes:
        digest.update(block)


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


def _complete(upload: Upload, token: str, running: Any | None, now: dt.datetime) -> Upload:
    """Hash, move and attach a ``finishing`` upload whose claim ``token`` holds.

    Works from the partial file or, after a crash between move and attach, from the
    moved one. Nothing moves or is recorded once the claim is lost (UploadBusy).
    """
    storage = get_storage()
    key = upload.storage_key
    source = upload.partial_key if storage.exists(upload.partial_key) else key
    if not storage.exists(source):
        Upload.objects.filter(pk=upload.pk, lock_token=token).update(
            state=UploadState.EXPIRED, lock_token="", locked_until=None
        )
        raise UploadGone("This upload's bytes are gone; start the upload again.")
    digest = running.hexdigest() if running is not None else _rehash(source, upload, token)
    if not _renew(upload, token):
        raise UploadBusy("This upload was taken over while it was being hashed.")
    if source != key:
        storage.move(source, key)
    try:
        with transaction.atomic():
            done = Upload.objects.filter(
                pk=upload.pk, lock_token=token, state=UploadState.FINISHING
            ).update(state=UploadState.COMPLETED, locked_until=None, lock_token="")
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


def _recover_finishing(upload: Upload, now: dt.datetime) -> str:
    """Finish an upload whose finisher died (its claim lapsed); idempotent."""
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
        _complete(upload, token, None, now)
    except DomainError as exc:
        return f"not finished: {exc.reason}"
    return f"finished: {upload.filename} attached"


# --- end ------------------------------------------------------------------------------


def upload_terminate(*, upload: Upload, now: dt.datetime) -> None:
    """tus termination: the client gives up; bytes and record go (an attachment stays)."""
    if upload.state == UploadState.COMPLETED:
        raise UploadCompleted(
            "This upload is complete and attached to the case; attachments are kept."
        )
    upload_claim(upload=upload, now=now)
    Upload.objects.filter(pk=upload.pk).delete()
    get_storage().delete(upload.partial_key)
    _RUNNING.pop(upload.pk, None)


class UploadCompleted(DomainError):
    status_code = 403


def upload_expire(*, upload_id: str, now: dt.datetime) -> str:
    """Remove an abandoned upload's bytes once it is past ``expires_at`` (idempotent)."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return "skipped: upload gone"
    if upload.state == UploadState.FINISHING:
        return _recover_finishing(upload, now)
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
