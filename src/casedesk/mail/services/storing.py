"""Storing a received message: the raw bytes fsynced under ``mail/raw/…``, then its row
committed, so the message is safe before anything reads it.

A message is stored once per mailbox (issue 15, item 1): its ``message_key`` — the mailbox
and the normalised Message-ID, or the raw bytes' hash when it has none — is unique, so an
MTA retrying after a lost ``250``, or the same mail in two IMAP UIDs, finds the first row
instead of making a second; two deliveries racing meet at the unique index. The row's
``mail.process`` deadline is written in the same transaction (item 5): if the process
dies before routing it, the worker processes it a little later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from casedesk.files.storage import get_storage
from casedesk.scheduling.services import deadline_ensure

from ..models import InboundMessage
from ..parsing import message_ids, safe_text
from ._common import _CONTROL

PROCESS_KIND = "mail.process"
# The receiver processes a message right after storing it; the worker steps in after this.
PROCESS_GRACE = dt.timedelta(seconds=30)
HEAD_MAX = 512 * 1024
# SMTP and LMTP both carry mail from our MTA: one mailbox.
MTA_MAILBOX = "mta"


def _raw_key(now: dt.datetime) -> str:
    return f"mail/raw/{now:%Y/%m/%d}/{uuid.uuid4().hex}.eml"


def process_deadline_key(pk: int) -> str:
    return f"{PROCESS_KIND}:{pk}"


def normalised_message_id(raw: bytes) -> str:
    """The Message-ID as ``local@domain`` (brackets, folding and comments gone, the domain
    lower-cased), or "" when the message has none usable."""
    end = raw.find(b"\n\n", 0, HEAD_MAX)
    end_crlf = raw.find(b"\r\n\r\n", 0, HEAD_MAX)
    ends = [i for i in (end, end_crlf) if i >= 0]
    head = raw[: min(ends) if ends else HEAD_MAX]
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID")
    except Exception:  # a header block too broken to read: the content hash decides
        return ""
    found = message_ids(" ".join(safe_text(str(value or "")).split()))
    if not found:
        return ""
    local, at, domain = found[0].rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else found[0]


def message_key(raw: bytes, mailbox: str) -> str:
    """What makes two deliveries the same message in one mailbox (see the module doc)."""
    msgid = normalised_message_id(raw)
    what = f"message-id:{msgid}" if msgid else f"sha256:{hashlib.sha256(raw).hexdigest()}"
    return hashlib.sha256(f"{mailbox}\n{what}".encode()).hexdigest()


def mail_store(
    *,
    raw: bytes,
    source: str,
    envelope_from: str | None,
    envelope_to: list[str] | str,
    now: dt.datetime,
    dedupe_key: str | None = None,
    mailbox: str | None = None,
) -> InboundMessage:
    """Write the raw bytes (fsynced), then commit the row: the message is safe from here.

    A message already stored (same ``dedupe_key``, or same ``message_key`` in ``mailbox``,
    by default the receiver's source) is not stored again: the first row is returned.
    """
    key_of_message = message_key(raw, mailbox or _mailbox(source))
    same = Q(message_key=key_of_message) | (Q(dedupe_key=dedupe_key) if dedupe_key else Q())
    existing = InboundMessage.objects.filter(same).order_by("pk").first()
    if existing is not None:
        return existing
    storage = get_storage()
    key = _raw_key(now)
    _write_synced(storage, key, raw)
    recipients = envelope_to if isinstance(envelope_to, str) else ", ".join(envelope_to)
    recipients = _CONTROL.sub("", safe_text(recipients))
    if envelope_from is not None:
        envelope_from = _CONTROL.sub("", safe_text(envelope_from))
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                source=source[:10],
                envelope_from=None if envelope_from is None else envelope_from[:320],
                envelope_to=recipients[:5000],
                received_at=now,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                raw_key=key,
                dedupe_key=dedupe_key,
                message_key=key_of_message,
            )
            deadline_ensure(
                kind=PROCESS_KIND,
                key=process_deadline_key(message.pk),
                due_at=now + PROCESS_GRACE,
                now=now,
                payload={"inbound_id": message.pk},
            )
            return message
    except IntegrityError:
        # Another delivery (or poller) stored the same message first: keep theirs.
        storage.delete(key)
        existing = InboundMessage.objects.filter(same).order_by("pk").first()
        if existing is None:
            raise
        return existing


def _write_synced(storage: Any, key: str, raw: bytes) -> None:
    """The raw bytes on disk (fsynced) under ``key``; a full disk leaves no partial file
    and raises, so the sender retries (451)."""
    try:
        with storage.open_append(key) as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        storage.delete(key)
        raise


def _mailbox(source: str) -> str:
    return MTA_MAILBOX if source in ("smtp", "lmtp") else source


def mail_raw(message: InboundMessage) -> bytes:
    with get_storage().open_read(message.raw_key) as stream:
        return stream.read()
