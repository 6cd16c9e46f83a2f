"""Writes for resumable uploads (tus, D1; security rule 9): create, claim, write, finish, end.

tus gives offsets and checksums, not locking or authorisation, so this package adds both:
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

Modules, in the order an upload lives through them: ``creation`` (a new upload and its
expiry deadline), ``claims`` (the write lock: claim, renew, release), ``writing`` (one
PATCH: offset checks, streaming a chunk, checksums), ``finishing`` (the last byte: hash,
move, attach; recovery of a finisher that died), ``ending`` (termination and expiry).
``concat`` is tus concatenation: parts of one file sent at once, never attached on their
own, joined, hashed once and attached by a final upload. ``running`` is this process's
running whole-file hashes, ``errors`` the refusals with their tus status codes,
``_common`` the settings-driven limits and the expiry deadline.
Submodules import each other, ``files.services``/``storage``/``models`` and other apps'
models and services; never this package's ``__init__`` and never an interface (tus).
Callers import from here.
"""

from ._common import (
    BLOCK,
    DEFAULT_EXPIRE_HOURS,
    DEFAULT_LOCK_SECONDS,
    UPLOAD_EXPIRE,
    lock_lease,
    upload_lifetime,
)
from .claims import upload_claim, upload_release
from .concat import MAX_PARTS, upload_concat_final
from .creation import upload_check_room, upload_create
from .ending import upload_expire, upload_terminate
from .errors import (
    ChecksumMismatch,
    ChunkTooLarge,
    ConcatRefused,
    FileMismatch,
    OffsetMoved,
    PartTaken,
    StorageFull,
    UploadBusy,
    UploadCompleted,
    UploadFinishing,
    UploadGone,
    UploadTooLarge,
)
from .writing import Checksum, Readable, upload_check_usable, upload_write

__all__ = [
    "BLOCK",
    "DEFAULT_EXPIRE_HOURS",
    "DEFAULT_LOCK_SECONDS",
    "MAX_PARTS",
    "UPLOAD_EXPIRE",
    "Checksum",
    "ChecksumMismatch",
    "ChunkTooLarge",
    "ConcatRefused",
    "FileMismatch",
    "OffsetMoved",
    "PartTaken",
    "Readable",
    "StorageFull",
    "UploadBusy",
    "UploadCompleted",
    "UploadFinishing",
    "UploadGone",
    "UploadTooLarge",
    "lock_lease",
    "upload_check_room",
    "upload_check_usable",
    "upload_claim",
    "upload_concat_final",
    "upload_create",
    "upload_expire",
    "upload_lifetime",
    "upload_release",
    "upload_terminate",
    "upload_write",
]
