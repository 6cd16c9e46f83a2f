"""Writes for case attachments (D1-D4, C7). One transaction each; bytes before rows.

An upload (browser/tus, CLI, SFTP, e-mail) streams its bytes to a storage key first;
``attachment_add`` then checks the case may still take files, verifies the whole-file
SHA-256 and records the attachment with a timeline event, under the case's row lock.
If the row is refused, the bytes are deleted, so storage never holds orphans.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
import uuid
from typing import BinaryIO

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.cases.permissions import is_participant
from casedesk.core.errors import NotFound, PolicyViolation

from .models import Attachment, Source
from .storage import get_storage

CHUNK = 1024 * 1024
MAX_FILENAME = 200


def clean_filename(name: str) -> str:
    """The last path component, without control characters, never empty or a dot name."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        name = "file"
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILENAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 else name
        name = name[:MAX_FILENAME]
    return name


def new_storage_key(case_id: int) -> str:
    return f"cases/{case_id}/{uuid.uuid4().hex}"


def require_open_for_files(case: Case) -> None:
    """D1: files go to any case that is not closed."""
    if case.is_closed:
        raise PolicyViolation(
            "This case is closed, so it cannot take new files. Reopen it or open a new case."
        )


def file_sha256(key: str) -> str:
    digest = hashlib.sha256()
    with get_storage().open_read(key) as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def attachment_add(
    *,
    case: Case,
    actor: User | None,
    filename: str,
    storage_key: str,
    source: str,
    now: dt.datetime,
    sha256: str | None = None,
    content_type: str = "",
    sha256_verified: bool = False,
) -> Attachment:
    """Record bytes already in storage as an attachment of ``case``.

    ``sha256`` is the digest the sender announced or the receiver computed while
    streaming; when given it must match the stored bytes, or nothing is recorded.
    ``sha256_verified=True`` says the caller computed ``sha256`` from the stored bytes
    itself (the tus server hashes while writing, or re-reads before calling): the file is
    then not read a second time, and never while the case row is locked.
    """
    storage = get_storage()
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if actor is not None and not is_participant(actor, locked):
                raise NotFound("No such case.")
            require_open_for_files(locked)
            actual = sha256.lower() if sha256_verified and sha256 else file_sha256(storage_key)
            if sha256 is not None and sha256.lower() != actual:
                raise PolicyViolation(
                    "The file's SHA-256 does not match what was sent; it was not attached. "
                    "Upload it again."
                )
            attachment = Attachment.objects.create(
                case=locked,
                uploaded_by=actor,
                source=Source(source),
                filename=clean_filename(filename),
                content_type=content_type[:120],
                size=storage.size(storage_key),
                sha256=actual,
                storage_key=storage_key,
                created_at=now,
            )
            CaseEvent.objects.create(
                case=locked,
                at=now,
                actor=actor,
                kind=EventKind.ATTACHMENT,
                public=True,
                body="",
                data={
                    "attachment_id": attachment.pk,
                    "filename": attachment.filename,
                    "size": attachment.size,
                    "sha256": actual,
                    "source": attachment.source,
                },
            )
            locked.updated_at = now
            locked.version += 1
            locked.save(update_fields=["updated_at", "version"])
    except Exception:
        storage.delete(storage_key)
        raise
    return attachment


def attachment_store(
    *,
    case: Case,
    actor: User | None,
    filename: str,
    stream: BinaryIO,
    source: str,
    now: dt.datetime,
    content_type: str = "",
) -> Attachment:
    """Stream a small file (a form upload, an e-mail part) to storage and attach it."""
    require_open_for_files(case)
    key = new_storage_key(case.pk)
    with get_storage().open_append(key) as out:
        while block := stream.read(CHUNK):
            out.write(block)
    return attachment_add(
        case=case,
        actor=actor,
        filename=filename,
        storage_key=key,
        source=source,
        now=now,
        content_type=content_type,
    )


def attachments_purge(*, case: Case, now: dt.datetime, reason: str) -> int:
    """C7/D4: remove the bytes of every attachment of ``case``; the rows stay, marked purged.

    Idempotent: already purged attachments are skipped, and a missing file counts as removed.
    """
    storage = get_storage()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        pending = list(locked.attachments.filter(purged_at__isnull=True))
        for attachment in pending:
            storage.delete(attachment.storage_key)
        if not pending:
            return 0
        Attachment.objects.filter(pk__in=[a.pk for a in pending]).update(purged_at=now)
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=None,
            kind=EventKind.FILES_PURGED,
            public=True,
            body=reason,
            data={"count": len(pending), "filenames": [a.filename for a in pending][:50]},
        )
    return len(pending)
