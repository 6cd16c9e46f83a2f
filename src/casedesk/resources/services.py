"""Every write of the resources app: stored files, audited licence downloads, feedback.

Bytes go to the attachment storage under a key chosen here (``resources/<kind>/<uuid>``),
never a name a user chose; size and SHA-256 are computed from what was written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable

from django.db import transaction

from casedesk.accounts.models import AuditEvent, Role, User
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.files.storage import get_storage

from .models import Feedback, FeedbackTopic, Licence, StoredFile

FEEDBACK_MAX = 5000


def store_bytes(kind: str, chunks: Iterable[bytes]) -> tuple[str, int, str]:
    """Write ``chunks`` to a fresh key: (key, size, sha256)."""
    key = f"resources/{kind}/{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    with get_storage().open_append(key) as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return key, size, digest.hexdigest()


def attach_file(row: StoredFile, filename: str, chunks: Iterable[bytes], kind: str) -> None:
    """Give ``row`` new bytes (a replacement keeps the row, drops the old bytes); unsaved."""
    old = row.storage_key
    row.storage_key, row.size, row.sha256 = store_bytes(kind, chunks)
    row.filename = filename.replace("/", "_").replace("\\", "_")[:255] or "file"
    if old:
        transaction.on_commit(lambda: get_storage().delete(old))


def licence_downloaded(*, actor: User, licence: Licence, now: dt.datetime) -> None:
    """F2: every licence file handed out leaves an audit event naming who and which."""
    AuditEvent.objects.create(
        at=now,
        actor=actor,
        action="licence.download",
        subject=f"licence {licence.pk} ({licence.contract.number})",
        reason="",
        data={"licence": licence.pk, "sha256": licence.sha256, "filename": licence.filename},
    )


def feedback_send(*, contact: User, topic: str, body: str, now: dt.datetime) -> Feedback:
    """F7: a contact's feedback, waiting in care's list."""
    if contact.role != Role.CONTACT:
        raise NotPermitted("Feedback is sent by customer contacts.")
    body = body.strip()
    if not body:
        raise PolicyViolation("Write your feedback.", field="body")
    if len(body) > FEEDBACK_MAX:
        raise PolicyViolation(f"At most {FEEDBACK_MAX} characters.", field="body")
    if topic not in FeedbackTopic.values:
        raise PolicyViolation("Choose what the feedback is about.", field="topic")
    return Feedback.objects.create(at=now, contact=contact, topic=topic, body=body)


def feedback_handle(*, actor: User, feedback_id: int, now: dt.datetime) -> Feedback:
    """Care marks feedback read and dealt with (once; a second time changes nothing)."""
    if actor.role not in (Role.CARE, Role.MANAGER):
        raise NotPermitted("Customer Care handles feedback.")
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().get(pk=feedback_id)
        if feedback.handled_at is None:
            feedback.handled_at, feedback.handled_by = now, actor
            feedback.save(update_fields=["handled_at", "handled_by"])
    return feedback
