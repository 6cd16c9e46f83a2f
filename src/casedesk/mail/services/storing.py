"""Storing a received message: the raw bytes fsynced under ``mail/raw/…``, then its row
committed, so the message is safe before anything reads it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid

from django.db import IntegrityError, transaction

from casedesk.files.storage import get_storage

from ..models import InboundMessage
from ._common import _CONTROL


def _raw_key(now: dt.datetime) -> str:
    return f"mail/raw/{now:%Y/%m/%d}/{uuid.uuid4().hex}.eml"


def mail_store(
    *,
    raw: bytes,
    source: str,
    envelope_from: str | None,
    envelope_to: list[str] | str,
    now: dt.datetime,
    dedupe_key: str | None = None,
) -> InboundMessage:
    """Write the raw bytes (fsynced), then commit the row: the message is safe from here."""
    if dedupe_key:
        existing = InboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    storage = get_storage()
    key = _raw_key(now)
    with storage.open_append(key) as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())
    recipients = envelope_to if isinstance(envelope_to, str) else ", ".join(envelope_to)
    recipients = _CONTROL.sub("", recipients)
    if envelope_from is not None:
        envelope_from = _CONTROL.sub("", envelope_from)
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
                source=source[:10],
                envelope_from=None if envelope_from is None else envelope_from[:320],
                envelope_to=recipients[:5000],
                received_at=now,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                raw_key=key,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        # Another poller stored the same IMAP message first: keep theirs, drop our copy.
        storage.delete(key)
        existing = InboundMessage.objects.filter(dedupe_key=dedupe_key or "-").first()
        if existing is None:
            raise
        return existing


def mail_raw(message: InboundMessage) -> bytes:
    with get_storage().open_read(message.raw_key) as stream:
        return stream.read()
