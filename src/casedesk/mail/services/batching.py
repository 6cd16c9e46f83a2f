"""Group commit for the SMTP/LMTP receiver (issue 17, item 2; E2, rule 6).

``mail_store_batch`` stores the messages that arrived together — each one's raw bytes
written and fsynced, then every row and its ``mail.process`` deadline in ONE transaction
— so many DATA commands share one commit; the receiver answers each ``250`` only after
that commit. ``mail_process_batch`` then routes a batch in one transaction: parsing,
quote splitting and sanitising first, outside it (rule 6: slow work on hostile input never
holds the write lock); the rows are claimed with one locking read; each message is routed
and appended as ``mail_process`` would; the deadlines of the processed messages are
marked done in the same commit, so the worker has nothing to re-check.

Failure keeps the one-message guarantees: a store batch that meets the unique index (the
same message delivered through another process at the same time) is stored again one
message at a time (``mail_store``); a processing batch that raises anywhere is rolled
back whole, the files it wrote are deleted, and each message is processed alone by
``mail_process`` — which quarantines the one that fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from casedesk.files.storage import get_storage
from casedesk.scheduling.models import Deadline, DeadlineState

from ..models import InboundMessage, State
from ..parsing import safe_text
from ._common import _CONTROL
from .reading import _prepare
from .receiving import _process, mail_process
from .storing import (
    PROCESS_GRACE,
    PROCESS_KIND,
    _mailbox,
    _raw_key,
    _write_synced,
    mail_store,
    message_key,
    process_deadline_key,
)

log = logging.getLogger(__name__)

DONE_OUTCOME = "already processed by the receiver"


@dataclass(frozen=True)
class Incoming:
    """One DATA as the receiver got it."""

    raw: bytes
    source: str
    envelope_from: str | None
    envelope_to: list[str] | str


def _row(item: Incoming, key: str, raw_key: str, now: dt.datetime) -> InboundMessage:
    recipients = item.envelope_to
    if not isinstance(recipients, str):
        recipients = ", ".join(recipients)
    recipients = _CONTROL.sub("", safe_text(recipients))
    envelope_from = item.envelope_from
    if envelope_from is not None:
        envelope_from = _CONTROL.sub("", safe_text(envelope_from))[:320]
    return InboundMessage(
        source=item.source[:10],
        envelope_from=envelope_from,
        envelope_to=recipients[:5000],
        received_at=now,
        size=len(item.raw),
        sha256=hashlib.sha256(item.raw).hexdigest(),
        raw_key=raw_key,
        message_key=key,
    )


def mail_store_batch(items: list[Incoming], *, now: dt.datetime) -> list[InboundMessage]:
    """Store ``items`` with one commit; the rows in the order of ``items``.

    A message stored before (same ``message_key``), or twice in this batch, gets the one
    row. Raises when the batch could not be stored: then nothing of it is (no row, no
    file), and the receiver answers ``451`` to each.
    """
    keys = [message_key(item.raw, _mailbox(item.source)) for item in items]
    found = {m.message_key: m for m in InboundMessage.objects.filter(message_key__in=set(keys))}
    storage = get_storage()
    fresh: dict[str, InboundMessage] = {}
    written: list[str] = []
    try:
        for item, key in zip(items, keys, strict=True):
            if key in found or key in fresh:
                continue
            raw_key = _raw_key(now)
            written.append(raw_key)
            _write_synced(storage, raw_key, item.raw)
            fresh[key] = _row(item, key, raw_key, now)
        if fresh:
            with transaction.atomic():
                rows = InboundMessage.objects.bulk_create(list(fresh.values()))
                Deadline.objects.bulk_create(
                    [
                        Deadline(
                            kind=PROCESS_KIND,
                            key=process_deadline_key(row.pk),
                            due_at=now + PROCESS_GRACE,
                            payload={"inbound_id": row.pk},
                            created_at=now,
                        )
                        for row in rows
                    ],
                    ignore_conflicts=True,
                )
    except IntegrityError:
        # Another process stored one of these at the same moment: one at a time, as ever.
        for raw_key in written:
            storage.delete(raw_key)
        return [
            mail_store(
                raw=i.raw,
                source=i.source,
                envelope_from=i.envelope_from,
                envelope_to=i.envelope_to,
                now=now,
            )
            for i in items
        ]
    except BaseException:
        for raw_key in written:
            storage.delete(raw_key)
        raise
    found.update(fresh)
    return [found[key] for key in keys]


def mail_process_batch(batch: list[tuple[InboundMessage, bytes]], *, now: dt.datetime) -> None:
    """Route stored messages (each with its raw bytes) in one transaction; see the module
    doc for what happens when one of them fails."""
    prepared = []
    alone: list[int] = []
    for message, raw in batch:
        if message.state != State.RECEIVED:
            continue
        try:
            prepared.append((message, _prepare(message, raw)))
        except Exception:  # processed alone below, which quarantines it with the reason
            alone.append(message.pk)
    written: list[str] = []
    try:
        with transaction.atomic():
            claimed = set(
                InboundMessage.objects.select_for_update()
                .filter(pk__in=[m.pk for m, _ in prepared], state=State.RECEIVED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            done = []
            for message, ready in prepared:
                if message.pk in claimed:
                    message.processed_at = now
                    _process(message, ready, now, written)
                    done.append(process_deadline_key(message.pk))
            Deadline.objects.filter(key__in=done, state=DeadlineState.PENDING).update(
                state=DeadlineState.DONE, finished_at=now, outcome=DONE_OUTCOME
            )
    except Exception:
        log.warning("inbound batch of %s rolled back; processing one by one", len(prepared),
                    exc_info=True)  # fmt: skip
        storage = get_storage()
        for key in written:
            storage.delete(key)
        for message, _ in prepared:
            message.state = State.RECEIVED
        alone = [m.pk for m, _ in prepared] + alone
    for pk in alone:
        mail_process(message_id=pk, now=now)
