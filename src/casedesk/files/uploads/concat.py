"""tus concatenation: a file sent as parts at once (tus-js-client's and Uppy's
``parallelUploads``), joined into one attachment by a final upload (D1; security rule 9).

A **partial** upload is an upload like any other (creation, PATCH, checksums, claims,
expiry) that names its case at creation, but on its last byte it only turns
``completed``: it is never attached, and no running whole-file hash is kept for it (the
whole file's hash only exists once the parts are joined).

A **final** upload lists finished parts in order. It is refused when a part is unknown or
another user's (400, the same words for both), of another case (400), not a partial upload
(400), not finished (400: this server does not offer ``concatenation-unfinished``; clients
create the final once every part is done, as tus-js-client does), expired (410) or already
joined into another final (409). Creating it claims every part with one conditional
UPDATE in the same transaction, so two finals racing for a part, or the part's expiry, let
exactly one win.

Joining writes as little as it can: the first part's file becomes the file (cut back to
its length first, so a join that died half-way starts again cleanly) and the other parts
are appended to it; every byte is read once, and hashed in a helper thread while the next
block is copied. The whole-file SHA-256 from that one pass is handed to ``_complete``
(finishing), which checks an announced ``sha256``, moves the file into place and attaches
it as verified, so the file is hashed exactly once. Then the parts' rows and files go.

The final lives in ``finishing`` under its claim while joined; a server that dies mid-way
leaves it to the ``files.upload_expire`` deadline, which joins again (or re-hashes the
moved file). Finished parts that no final ever claims expire ``UPLOAD_EXPIRE_HOURS``
after their last byte, like unfinished uploads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import transaction
from django.db.models import Q

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import is_participant
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound

from ..models import Concat, Upload, UploadState
from ..services import clean_filename, new_storage_key, require_open_for_files
from ..storage import get_storage
from ._common import BLOCK, _schedule_expiry, lock_lease, upload_lifetime
from .claims import _renew
from .creation import check_disk, check_most
from .errors import ConcatRefused, PartTaken, UploadBusy, UploadGone
from .finishing import _complete

MAX_PARTS = 100


def _finish_partial(upload: Upload, token: str, now: dt.datetime) -> Upload:
    """A part's last byte is in: it is done, waiting (until it expires) for its final."""
    expires = now + upload_lifetime()
    done = Upload.objects.filter(pk=upload.pk, lock_token=token, state=UploadState.ACTIVE).update(
        state=UploadState.COMPLETED,
        offset=upload.length,
        locked_until=None,
        lock_token="",
        expires_at=expires,
    )
    if not done:
        raise UploadBusy("This upload was taken over by another request.")
    upload.state, upload.offset, upload.expires_at = UploadState.COMPLETED, upload.length, expires
    _schedule_expiry(upload, now)
    return upload


def _check_parts(user: User, case: Case, part_ids: list[str], now: dt.datetime) -> list[Upload]:
    """The parts in the order named, each usable for a final of ``user`` on ``case``."""
    if not part_ids:
        raise ConcatRefused("A final upload lists at least one partial upload.")
    if len(part_ids) > MAX_PARTS:
        raise ConcatRefused(f"A final upload joins at most {MAX_PARTS} partial uploads.")
    if len(set(part_ids)) != len(part_ids):
        raise ConcatRefused("A final upload names each partial upload once.")
    found = {u.pk: u for u in Upload.objects.filter(pk__in=part_ids, user=user)}
    parts = []
    for part_id in part_ids:
        part = found.get(part_id)
        if part is None:
            raise ConcatRefused(
                f"There is no upload {part_id} of yours (it may have expired and been removed)."
            )
        if part.concat != Concat.PARTIAL:
            raise ConcatRefused(
                f"Upload {part_id} is not a partial upload; create parts with "
                "'Upload-Concat: partial'."
            )
        if part.case_id != case.pk:
            raise ConcatRefused(f"Partial upload {part_id} belongs to another case.")
        if part.state == UploadState.EXPIRED or part.expires_at <= now:
            raise UploadGone(f"Partial upload {part_id} has expired; upload the file again.")
        if part.final_id is not None:
            raise PartTaken(f"Partial upload {part_id} is already part of another file.")
        if part.state != UploadState.COMPLETED:
            raise ConcatRefused(
                f"Partial upload {part_id} is not finished ({part.offset} of {part.length} "
                "bytes): send every part to the end, then create the final upload."
            )
        parts.append(part)
    return parts


def upload_concat_final(
    *,
    user: User,
    case: Case,
    part_ids: list[str],
    filename: str,
    content_type: str,
    source: str,
    now: dt.datetime,
    sha256: str = "",
) -> Upload:
    """Join ``part_ids`` (finished partial uploads of ``user`` on ``case``, in order) into
    one file, hash it once and attach it (see the module docstring)."""
    if not is_participant(user, case):
        raise NotFound("No such case.")
    require_open_for_files(case)
    parts = _check_parts(user, case, part_ids, now)
    length = sum(part.length for part in parts)
    check_most(length)
    check_disk(length - parts[0].length)  # the first part's file becomes the file
    token = secrets.token_hex(16)
    lease_end = clock.now() + lock_lease()
    with transaction.atomic():
        final = Upload.objects.create(
            id=secrets.token_urlsafe(24),
            case=case,
            user=user,
            source=source,
            filename=clean_filename(filename),
            content_type=content_type[:120],
            length=length,
            state=UploadState.FINISHING,
            created_at=now,
            expires_at=now + upload_lifetime(),
            locked_until=lease_end,
            lock_token=token,
            sha256=sha256.lower(),
            storage_key=new_storage_key(case.pk),
            concat=Concat.FINAL,
            part_ids=part_ids,
        )
        taken = (
            Upload.objects.filter(pk__in=part_ids, user=user, case=case, concat=Concat.PARTIAL)
            .filter(state=UploadState.COMPLETED, final__isnull=True, expires_at__gt=now)
            .update(final=final)
        )
        if taken != len(part_ids):  # leaving the block by an exception rolls back
            raise PartTaken("A part was taken by another final upload or expired meanwhile.")
        # Should this process die while joining, the deadline finishes it.
        _schedule_expiry(final, now, due=lease_end + dt.timedelta(seconds=1))
    return _complete_final(final, token, now)


def _complete_final(final: Upload, token: str, now: dt.datetime) -> Upload:
    """Join (unless the joined file was already moved into place), hash once, attach, and
    drop the parts; the parts go too when the file can never be attached."""
    storage = get_storage()
    rows = {u.pk: u for u in Upload.objects.filter(pk__in=final.part_ids, final=final)}
    parts = [rows[pk] for pk in final.part_ids if pk in rows]
    running = None
    joined = None
    if not storage.exists(final.storage_key):
        if len(parts) != len(final.part_ids) or not all(
            storage.exists(part.partial_key) for part in parts
        ):
            Upload.objects.filter(pk=final.pk, lock_token=token).update(
                state=UploadState.EXPIRED, lock_token="", locked_until=None
            )
            _drop_parts(parts)
            raise UploadGone("A part of this upload is gone; upload the file again.")
        running = _join(final, parts, token)
        joined = parts[0].partial_key
    try:
        done = _complete(final, token, running, now, source=joined)
    except UploadBusy:
        raise
    except DomainError:
        _drop_parts(parts)
        raise
    _drop_parts(parts)
    return done


def _drop_parts(parts: list[Upload]) -> None:
    storage = get_storage()
    Upload.objects.filter(pk__in=[part.pk for part in parts], concat=Concat.PARTIAL).delete()
    for part in parts:
        storage.delete(part.partial_key)


def _join(final: Upload, parts: list[Upload], token: str) -> Any:
    """Append parts 2… to the first part's file, hashing every byte once; the hash."""
    storage = get_storage()
    target = parts[0].partial_key
    storage.truncate(target, parts[0].length)  # a join that died half-way left more
    digest = hashlib.sha256()
    renew_every = lock_lease().total_seconds() / 3
    renewed = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as hasher:
        hashing: Future[None] | None = None

        def hash_next(block: bytes) -> None:
            nonlocal hashing, renewed
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, block)
            if time.monotonic() - renewed > renew_every:
                if not _renew(final, token):
                    raise UploadBusy("This upload was taken over while it was being joined.")
                renewed = time.monotonic()

        with storage.open_read(target) as first:
            while block := first.read(BLOCK):
                hash_next(block)
        with storage.open_append(target) as out:
            for part in parts[1:]:
                with storage.open_read(part.partial_key) as piece:
                    while block := piece.read(BLOCK):
                        out.write(block)
                        hash_next(block)
            out.flush()
            os.fsync(out.fileno())
        if hashing is not None:
            hashing.result()
    if storage.size(target) != final.length:
        raise UploadGone("The parts of this upload no longer add up; upload the file again.")
    return digest


def _expire_part(part: Upload, now: dt.datetime) -> str:
    """A finished part: gone once its file is attached; expired if no final took it."""
    storage = get_storage()
    if part.final_id is not None:
        state = Upload.objects.filter(pk=part.final_id).values_list("state", flat=True).first()
        if state == UploadState.FINISHING:
            part.expires_at = now + upload_lifetime()
            _schedule_expiry(part, now)
            return "rescheduled: its file is being joined"
        Upload.objects.filter(pk=part.pk).delete()
        storage.delete(part.partial_key)
        return "removed: a part of a joined file"
    if part.expires_at > now:
        _schedule_expiry(part, now)
        return f"rescheduled to {part.expires_at.isoformat()}"
    expired = (
        Upload.objects.filter(pk=part.pk, state=UploadState.COMPLETED, final__isnull=True)
        .filter(Q(expires_at__lte=now))
        .update(state=UploadState.EXPIRED)
    )
    if not expired:
        return "skipped: upload changed meanwhile"
    size = storage.size(part.partial_key)
    storage.delete(part.partial_key)
    return f"expired: {size} bytes of a part no final upload joined removed"


def upload_terminate_part(*, part: Upload) -> bool:
    """tus termination of a finished part no final has taken (True if it went)."""
    gone = Upload.objects.filter(
        pk=part.pk, concat=Concat.PARTIAL, state=UploadState.COMPLETED, final__isnull=True
    ).delete()[0]
    if gone:
        get_storage().delete(part.partial_key)
    return bool(gone)
