"""Group commit for the SMTP/LMTP receiver (issue 17, item 2; E2, rule 6).

``mail_store_batch`` stores the messages that arrived together — each one's raw bytes
written and fsynced, then every row and its ``mail.process`` deadline in ONE transaction
— so many DATA commands share one commit; the receiver answers each ``250`` only after
that commit. ``mail_process_batch`` then routes a batch in one transaction: parsing,
quote splitting and sanitising first, outside it (rule 6: slow work on hostile input never
holds the write lock); the rows are claimed with one locking read; the cases the batch's
reference IDs name are read and locked in id order in one query, the senders in another,
the flood counts in a third (not per message); each message is then routed and appended
as ``mail_process`` would; the deadlines of the processed messages are marked done in the
same commit, so the worker has nothing to re-check. Several receiver processes run such
batches at once (``mail.processes``): the claim routes each message once, and locking
the cases in id order up front means two batches never deadlock on them (a rare case
reached only through ``In-Reply-To`` is locked when appended; a deadlock there rolls the
batch back to one message at a time, below).

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
from django.db.models import Q

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.files.storage import get_storage
from casedesk.scheduling.models import Deadline, DeadlineState

from ..models import InboundMessage, State
from ..parsing import safe_text
from ..routing import Known, reply_address, reply_tokens
from ._common import _CONTROL
from .flood import FloodCounts
from .reading import _prepare, _Prepared
from .receiving import Decision, _apply, _decide, mail_process
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


def _route_batch(
    mine: list[tuple[InboundMessage, _Prepared]],
) -> list[tuple[InboundMessage, _Prepared, Decision]]:
    """Route the claimed messages with the batch's reads done once (issue 17, item 2): the
    cases their reference IDs name, read and LOCKED in id order in one query — two
    batches (in two receiver processes) that touch the same cases then never wait on each
    other in a cycle — and their senders in one query."""
    tokens = {}
    addresses: set[str] = set()
    for message, ready in mine:
        if ready.parsed is not None and reply_address(ready.parsed):
            tokens[message.pk] = reply_tokens(ready.parsed, ready.body_text)
            if tokens[message.pk]:
                addresses.add(reply_address(ready.parsed))
    case_ids = sorted({t.case_id for found in tokens.values() for t in found})
    cases = {}
    if case_ids:
        locked = Case.objects.select_for_update().filter(pk__any=case_ids).order_by("pk")
        cases = {c.pk: c for c in locked}
    known = Known(cases=cases, users=_users(addresses))
    routed = []
    for message, ready in mine:
        found = tokens.get(message.pk)
        decision = _decide(ready, message.envelope_from, tokens=found, known=known)
        routed.append((message, ready, decision))
    return routed


def _users(addresses: set[str]) -> dict[str, User | None]:
    """The active user of each address (``email__iexact``, the lowest id first) in one query;
    a non-ASCII address without a match is left out (looked up alone: SQL's upper-casing
    may differ from Python's)."""
    if not addresses:
        return {}
    match = Q()
    for address in addresses:
        match |= Q(email__iexact=address)
    users: dict[str, User | None] = {}
    for user in User.objects.filter(match, is_active=True).order_by("pk"):
        for address in addresses:
            if user.email.upper() == address.upper():
                users.setdefault(address.lower(), user)
    for address in addresses:
        if address.isascii():
            users.setdefault(address.lower(), None)
    return users


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
                .filter(pk__any=[m.pk for m, _ in prepared], state=State.RECEIVED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            mine = [(m, ready) for m, ready in prepared if m.pk in claimed]
            routed = _route_batch(mine)
            flood = FloodCounts([(m, d.outcome.case if d.outcome else None) for m, _, d in routed])
            done = []
            for message, ready, decision in routed:
                message.processed_at = now
                _apply(message, ready, decision, now, written, flood.reason)
                flood.decided(message)
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
