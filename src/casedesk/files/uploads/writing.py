"""One tus PATCH: offset checks under the claim, the chunk streamed to the partial file
in blocks while it is hashed, its checksum, and the hand-over to finishing."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..models import Concat, Upload, UploadState
from ..services import require_open_for_files
from ..storage import get_storage
from ._common import BLOCK, lock_lease
from .claims import _renew, upload_claim, upload_release
from .concat import _finish_partial
from .errors import (
    ChecksumMismatch,
    ChunkTooLarge,
    OffsetMoved,
    StorageFull,
    UploadBusy,
    UploadGone,
)
from .finishing import _finish
from .running import _RUNNING, _running_put, _running_take


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class Checksum:
    """An Upload-Checksum: algorithm name (hashlib) and the raw digest the client sent."""

    algorithm: str
    digest: bytes


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
        # A part of a parallel upload is hashed as a whole only once the parts are joined.
        partial = upload.concat == Concat.PARTIAL
        running = None if partial else _running_take(upload.pk, start)
        try:
            received, cut_short, chunk_digest = _stream_chunk(
                upload, token, stream, size, checksum, running
            )
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            # The volume is full: give back this chunk's bytes, keep what was accepted.
            storage.truncate(key, start)
            raise StorageFull(
                "The server's disk is full; this chunk was not stored. The bytes sent "
                f"before it ({start}) are kept: resume later."
            ) from None
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
            if partial:
                return _finish_partial(upload, token, now)
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
