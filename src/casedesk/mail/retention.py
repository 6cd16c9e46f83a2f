"""Purging what inbound e-mail brought to a case (C7, C9; issue 11 item 7).

When a closed case's files are purged, every stored raw message linked to it is reduced to
its text (``reducing.reduce_to_text``): the attachments an e-mail carried go with the other
files, and the care queue's raw download serves only headers and body text afterwards. The
reduced bytes replace the stored ones atomically (write, fsync, rename over the key); the
row's size and hash follow, and each listed part is marked purged.

Imports only this app's models and the file storage, so the retention handler can call it
without an import circle through the case services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid

from django.db import transaction

from casedesk.files.storage import get_storage

from .models import InboundMessage
from .reducing import reduce_to_text


def _replace(key: str, data: bytes) -> None:
    storage = get_storage()
    temporary = f"{key}.{uuid.uuid4().hex}.reducing"
    with storage.open_append(temporary) as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    storage.move(temporary, key)


def mail_purge_attachments(*, case_id: int, now: dt.datetime) -> int:
    """Reduce every stored message of the case to its text; returns how many changed."""
    storage = get_storage()
    changed = 0
    for message in InboundMessage.objects.filter(case_id=case_id).order_by("pk"):
        try:
            with storage.open_read(message.raw_key) as stream:
                raw = stream.read()
        except FileNotFoundError:
            continue
        reduced = reduce_to_text(raw)
        purged_parts = [
            {**part, "purged_at": part.get("purged_at") or now.isoformat()}
            for part in message.parts
        ]
        if reduced == raw and purged_parts == message.parts:
            continue
        with transaction.atomic():
            if reduced != raw:
                _replace(message.raw_key, reduced)
            InboundMessage.objects.filter(pk=message.pk).update(
                size=len(reduced),
                sha256=hashlib.sha256(reduced).hexdigest(),
                parts=purged_parts,
            )
        changed += 1
    return changed
