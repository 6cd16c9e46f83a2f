"""Why an upload request is refused, each with the status code tus gives it."""

from __future__ import annotations

from casedesk.core.errors import DomainError


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


class UploadCompleted(DomainError):
    status_code = 403


class UploadTooLarge(DomainError):
    """The upload cannot fit: the operator's maximum, the case's quota or the free space of
    the files volume (tus: 413 at creation, before a byte is sent)."""

    status_code = 413


class StorageFull(DomainError):
    """The files volume filled up while a chunk was written; the chunk was discarded and
    the accepted bytes kept (507: the client may resume later)."""

    status_code = 507


class FileMismatch(DomainError):
    """The whole file's SHA-256 differs from the one announced at creation: not attached,
    the upload discarded (422: retrying the same bytes cannot help)."""

    status_code = 422


class ConcatRefused(DomainError):
    """A final upload (tus concatenation) names a part that cannot be joined: unknown, not
    the caller's, of another case, not a partial upload, or not finished (400)."""

    status_code = 400


class PartTaken(DomainError):
    """The part already belongs to another final upload (409)."""

    status_code = 409
