"""A worker's deadline step hands the mails it queues straight to its own outbox step
(issue 17 item 4).

A busy tick queues 500 reminders and, a moment later in the same thread, claims them
back from the outbox: a ``SELECT … FOR UPDATE SKIP LOCKED`` and an ``UPDATE`` of all 500
rows (each a new row version in every outbox index). Inside ``outbox_handover()`` the
rows are instead inserted already claimed — ``state = 'sending'``, ``attempts = 1``,
under a fresh claim tag (the fencing token), the lease ``NOW() + lease`` on the
database's clock — exactly what the claim statement would have written. Once the
transaction that queued them commits, the claim is handed over (``Handed``), and the
outbox step sends them first (``outbox_pump(handed=…)``).

Nothing weakens: the rows commit with the deadline batch or not at all (a rolled-back
batch hands nothing over: ``on_commit``); a worker that dies before sending leaves
claimed rows whose lease runs out, and any pump takes them as lapsed (convention 6);
the ``sent`` mark still compares the tag. The rows travel in memory with the event and
the case they were queued with, so the outbox step neither reads them back nor loads
what renders them again (``sources``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.sql import Query

from casedesk.scheduling.services import claim_tag, lease_end

from .models import OutboundMessage


def outbox_lease() -> dt.timedelta:
    """How long an outbox claim holds before another worker may take the message over."""
    return dt.timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))


def lease_sql() -> tuple[str, Sequence[Any]]:
    """``NOW() + lease`` as SQL for this connection, for rows inserted already claimed
    (the same expression the claim statement writes)."""
    query = Query(OutboundMessage)
    expression = lease_end(outbox_lease()).resolve_expression(query)
    return query.get_compiler(connection=connection).compile(expression)


@dataclass
class Handed:
    """A claim made by inserting: the tag, and ``time.monotonic()`` from before the insert
    (the start of the lease as this process counts it, for ``sending._Claim``)."""

    tag: str
    claimed_at: float
    messages: list[OutboundMessage] = field(default_factory=list)  # the rows as inserted


@dataclass
class _Collector:
    worker: str
    handed: list[Handed] = field(default_factory=list)


_collector: ContextVar[_Collector | None] = ContextVar("outbox_handover", default=None)


@contextmanager
def outbox_handover(worker: str, into: list[Handed]) -> Iterator[None]:
    """Mails queued in this block are claimed for ``worker``'s outbox step; their claims
    land in ``into`` as their transactions commit."""
    token = _collector.set(_Collector(worker, into))
    try:
        yield
    finally:
        _collector.reset(token)


def claim_for_handover() -> Handed | None:
    """A new claim for rows about to be inserted, when a handover is open; it is handed over
    when the current transaction commits."""
    collector = _collector.get()
    if collector is None:
        return None
    handed = Handed(claim_tag(collector.worker), time.monotonic())
    transaction.on_commit(lambda: collector.handed.append(handed))
    return handed
