"""Sending the outbox: claim, render, send over a kept-open SMTP session, mark (convention 6).

Claims work like deadlines (convention 4): a conditional ``UPDATE … SET state='sending'``
on rows that are due and still pending (or whose lease lapsed), with ``SKIP LOCKED`` on
PostgreSQL so several workers share the queue. A message is marked ``sent`` only by the
worker whose claim it still is. A failure puts it back to ``pending`` with exponential
back-off; a permanent refusal (5xx) or ``OUTBOX_MAX_ATTEMPTS`` failures make it
``failed``, kept with its last error for care to see (``marks``). A message with several
recipients that the server refused for some and took for the others is ``sent`` for
those; the refused ones move to a message of their own (``marks.mark_sent_partly``).
Within a claimed batch, mail to customers goes out before staff notices.

Leases are set and judged by the database's clock (``NOW()`` in the claim statements),
so a worker whose clock runs ahead never takes a live claim. Every pump claims under its
own tag (``worker#random``, ``scheduling.services.claim_tag``): the fencing token. Just
before each message's content goes to the SMTP server (after the server's 354) the
claim is checked (``_Claim``): for the first half of the lease, counted on this process's
monotonic clock from just before the claim statement, it is certainly still ours; after
that one statement re-checks and renews the batch's claim (``… SET claimed_until = NOW()
+ lease WHERE id IN … AND claimed_by = tag AND claimed_until > NOW()``); a worker that
stalled past its lease (SIGSTOP, a long GC or I/O pause) finds its rows gone and sends
nothing more. The ``sent`` mark compares the same tag, so a stale worker's mark is
refused (issue 15 item 15).

Sending (issue 17): over SMTP the batch goes through this thread's session
(``smtp_pipe``), kept open across ticks and pipelined when the server offers PIPELINING
(one round trip per message); the bytes are built by ``mime`` (no ``email.generator``);
each message is marked ``sent`` by one plain UPDATE as soon as the server's 250 for it is
read, so the window below stays one message. A connection that breaks mid-batch leaves
the message in flight and the rest to back off; nothing is marked that the server did
not accept. Other backends (the demo's files, the tests' memory) go through Django's.

The window left, honestly: a stall of more than a whole lease between that re-check and
the SMTP server's answer to DATA (or the process dying after the answer and before the
``sent`` mark commits). The message may then go out twice, with the same Message-ID, so
receiving systems can recognise the duplicate; it is at most the one message in flight
per stalled worker. Nothing else sends twice: the idempotency key makes one row per event
and recipient, and only the claim holder sends it.

Rows are queued unrendered (ADR 0004): ``outbox_render`` renders a claimed batch just
before sending, with one query for its events and one for its cases, and the ``sent``
(or failure) mark stores what was rendered, so the row shows what went out and a retry
sends the same text.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now

from casedesk.scheduling.services import claim_tag, lease_end

from .commits import quick_commits
from .handover import Handed, outbox_lease
from .marks import (
    Refused,
    RenderError,
    backoff,
    mark_sent,
    mark_sent_partly,
    record_failure,
)
from .mime import UNDISCLOSED, Sender, address, message_bytes
from .models import MessageState, OutboundMessage
from .rendering import Rendered, as_of_event, render_mail
from .smtp_pipe import ClaimLostError, Outgoing, session_for, session_release, smtp_configured
from .sources import render_sources

log = logging.getLogger(__name__)
__all__ = ["backoff", "outbox_claim", "outbox_pump", "outbox_render", "outbox_send"]


@dataclass
class PumpReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def count_failure(self, state: str) -> None:
        """Count a failed attempt by the state it left the message in."""
        if state == MessageState.FAILED:
            self.failed += 1
        else:
            self.retried += 1


def _due(now: dt.datetime) -> Q:
    return Q(state=MessageState.PENDING, next_attempt_at__lte=now)


def _lapsed(now: dt.datetime) -> Q:
    return Q(state=MessageState.SENDING, claimed_until__lt=Now())


def outbox_claim(*, worker: str, now: dt.datetime, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` due messages for ``worker`` (a claim tag: the fencing token);
    ids in the order they fell due. The lease runs on the database's clock."""
    with transaction.atomic():
        ids: list[int] = []
        # Two reads, each served by its partial index, instead of one OR the planner
        # cannot index.
        for condition, order in ((_due(now), "next_attempt_at"), (_lapsed(now), "claimed_until")):
            if len(ids) >= limit:
                break
            rows = OutboundMessage.objects.filter(condition).order_by(order, "id")
            if db_connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            ids += list(rows.values_list("id", flat=True)[: limit - len(ids)])
        if not ids:
            return []
        OutboundMessage.objects.filter(_due(now) | _lapsed(now), pk__any=ids).update(
            state=MessageState.SENDING,
            claimed_by=worker,
            claimed_until=lease_end(outbox_lease()),
            attempts=F("attempts") + 1,
        )
        won = set(
            OutboundMessage.objects.filter(
                pk__any=ids, state=MessageState.SENDING, claimed_by=worker
            ).values_list("id", flat=True)
        )
    return [pk for pk in ids if pk in won]


def outbox_render(*, messages: list[OutboundMessage]) -> dict[int, Exception]:
    """Fill subject, text and HTML of unrendered messages in memory; returns the failures.

    From the event (immutable), the case's own fields as recorded at the event, and the
    case's contact, assignee and organisation as they are now; batch lookups, no per-row
    query. The mail of one event to many people is rendered once: a new case's notice to
    the centre on shift is one row for all its engineers (``bcc``), and rows of one event
    that share kind and context (a milestone to the engineer and the managers) are
    rendered once between them — the templates never show the recipient.
    """
    todo = [m for m in messages if not m.text_body]
    if not todo:
        return {}
    events, cases = render_sources(todo)
    failures: dict[int, Exception] = {}
    done: dict[tuple[Any, ...], Rendered | Exception] = {}
    for message in todo:
        event, case = events.get(message.event_id), cases.get(message.case_id)
        context = message.context or {}
        if event is None or case is None or "case" not in context:
            failures[message.pk] = RenderError("its event or case no longer exists")
            continue
        key = (message.event_id, message.case_id, message.kind, json.dumps(context, sort_keys=True))
        rendered = done.get(key)
        if rendered is None:
            try:
                rendered = render_mail(
                    message.kind,
                    case=as_of_event(case, context["case"]),
                    staff=bool(context.get("staff")),
                    extra={"event": event, "actor": event.actor, **context.get("extra", {})},
                )
            except Exception as exc:  # a broken template must not stop the rest of the batch
                log.exception("outbox %s: rendering failed", message.pk)
                rendered = RenderError(f"rendering failed: {exc}")
            done[key] = rendered
        if isinstance(rendered, Exception):
            failures[message.pk] = rendered
            continue
        message.subject, message.text_body, message.html_body = (
            rendered.subject,
            rendered.text,
            rendered.html,
        )
        message.rendered_now = True  # type: ignore[attr-defined]
    return failures


def _headers(message: OutboundMessage) -> dict[str, str]:
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    if message.case_id:
        # Informational only: inbound mail strips every X-Casedesk-* header (rule 2).
        headers["X-Casedesk-Case"] = f"CS-{message.case_id:06d}"
    return headers


def _customers_first(message: OutboundMessage) -> bool:
    """Sort key: mail to customers (and account mail) before staff notices, so a case's
    "case opened" mail never waits behind the notices to the centre's engineers."""
    return bool((message.context or {}).get("staff"))


def _email(message: OutboundMessage, connection: object) -> EmailMultiAlternatives:
    """The message for a non-SMTP backend (the demo's files, the tests' memory)."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        bcc=list(message.bcc),
        headers=_headers(message) | ({} if message.to else {"To": UNDISCLOSED}),
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email


def _connection_lost(exc: Exception) -> bool:
    """The connection itself failed: the rest of the batch would fail the same way."""
    per_message = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)
    return isinstance(exc, OSError) and not isinstance(exc, per_message)


class _Claim:
    """Is the batch's claim still ours, right before a message's bytes go out?

    The claim statement set ``claimed_until = NOW() + lease`` on the database's clock at
    some moment after ``claimed_at`` (this process's monotonic clock, read just before the
    claim was sent). Until ``claimed_at + lease / 2`` the claim is certainly live, so no
    statement is needed; after that, or without ``claimed_at``, one UPDATE re-checks and
    renews the claim of every message not yet done, by the database's clock and the claim
    tag (the fencing token). A worker that stalled past its lease finds them gone.
    """

    def __init__(self, worker: str, ids: list[int], claimed_at: float | None) -> None:
        self.worker = worker
        self.open = set(ids)
        self.half = outbox_lease().total_seconds() / 2
        self.valid_until = claimed_at + self.half if claimed_at is not None else 0.0

    def done(self, pk: int) -> None:
        self.open.discard(pk)

    def holds(self, pk: int) -> bool:
        if pk not in self.open:
            return False
        if time.monotonic() < self.valid_until:
            return True
        began = time.monotonic()
        mine = OutboundMessage.objects.filter(
            pk__any=self.open, state=MessageState.SENDING, claimed_by=self.worker
        )
        renewed = mine.filter(claimed_until__gt=Now()).update(
            claimed_until=lease_end(outbox_lease())
        )
        if renewed != len(self.open):
            self.open &= set(mine.filter(claimed_until__gt=Now()).values_list("id", flat=True))
        self.valid_until = began + self.half
        if pk not in self.open:
            log.warning("outbox %s: our claim lapsed before sending; not sent", pk)
            return False
        return True


def outbox_send(
    *,
    ids: list[int] | None,
    worker: str,
    now: dt.datetime,
    claimed_at: float | None = None,
    held: list[OutboundMessage] | None = None,
) -> PumpReport:
    """Send claimed messages over one connection; each outcome is recorded as it happens.

    ``ids`` None: the messages claimed under ``worker`` by a handover, ``held`` in memory.
    ``claimed_at``: ``time.monotonic()`` read just before the claim statement (see
    ``_Claim``); without it the claim is re-checked once before the first message."""
    if held is not None:
        messages = sorted(held, key=lambda m: m.pk)  # due together: key order is due order
    elif ids is not None:
        mine = OutboundMessage.objects.filter(
            state=MessageState.SENDING, claimed_by=worker, pk__any=ids
        )
        messages = list(mine.order_by("next_attempt_at", "id"))
    else:
        raise ValueError("outbox_send needs the claimed ids or the held messages")
    report = PumpReport(claimed=len(messages) if ids is None else len(ids))
    messages.sort(key=_customers_first)  # stable: due order within each group
    failures = outbox_render(messages=messages) if messages else {}
    for message in messages:
        if message.pk in failures:
            report.count_failure(record_failure(message, worker, now, failures[message.pk]))
    ready = [m for m in messages if m.pk not in failures]
    if ready:
        claim = _Claim(worker, [m.pk for m in ready], claimed_at)
        send = _send_pipelined if smtp_configured() else _send_all
        with quick_commits():
            send(ready, claim=claim, now=now, report=report)
    return report


def _send_pipelined(
    messages: list[OutboundMessage], *, claim: _Claim, now: dt.datetime, report: PumpReport
) -> None:
    """Over this thread's SMTP session (``smtp_pipe``): one round trip per message with
    PIPELINING; each message marked ``sent`` as soon as the server's 250 is read (for the
    recipients it took, when it refused some)."""
    worker = claim.worker
    try:
        session = session_for()
    except Exception as exc:
        _fail_all(messages, exc, worker=worker, now=now, report=report)
        return
    sender, date = Sender.from_settings(), formatdate()
    by_pk = {m.pk: m for m in messages}
    envelopes: dict[int, _Envelope] = {}

    def wire() -> Iterator[Outgoing]:
        for message in messages:
            try:
                envelope = envelopes[message.pk] = _Envelope.of(message)
                data = message_bytes(
                    sender=sender,
                    to=envelope.header,
                    subject=message.subject,
                    text=message.text_body,
                    html=message.html_body,
                    headers=_headers(message),
                    date=date,
                )
            except Exception as exc:  # a bad address or header: this message only
                claim.done(message.pk)
                report.count_failure(record_failure(message, worker, now, exc))
                continue
            yield Outgoing(message.pk, sender.address, list(envelope.queued), data)

    current: OutboundMessage | None = None
    try:
        for item, error in session.deliver(wire(), lambda item: claim.holds(item.key)):
            current = by_pk[item.key]
            claim.done(current.pk)
            refused = envelopes[current.pk].refused(item) if error is None else {}
            if error is None and not refused:
                report.sent += mark_sent(current, worker, now)
            elif error is None:
                moved = mark_sent_partly(current, worker, now, refused)
                report.sent += moved is not None
                for state in moved or []:
                    report.count_failure(state)
            elif not isinstance(error, ClaimLostError):
                report.count_failure(record_failure(current, worker, now, error))
            current = None
    except Exception as exc:
        # The connection broke: the message in flight (its answer never read) and the
        # rest of the batch were not delivered as far as we know; they back off.
        session.close()
        rest = [m for m in messages if m.pk in claim.open]
        _fail_all(rest, exc, worker=worker, now=now, report=report)
    finally:
        session_release()
    _release(claim)


@dataclass
class _Envelope:
    """A message's recipients on the wire: ``header`` for the ``To`` header, ``queued``
    (RCPT TO address → the address as queued) and ``bad``, queued addresses that cannot
    be written (refused here, 553, as a server would; all bad: the first error raised)."""

    header: list[str]
    queued: dict[str, str]
    bad: Refused

    @classmethod
    def of(cls, message: OutboundMessage) -> _Envelope:
        header, queued, bad = [], {}, {}
        first: Exception | None = None
        for original in message.recipients:
            try:
                clean = address(original)
            except Exception as exc:
                first = first or exc
                bad[original] = (553, f"5.1.3 {exc}".encode())
                continue
            queued[clean] = original
            if original in message.to:
                header.append(clean)
        if not queued and first is not None:
            raise first
        return cls(header, queued, bad)

    def refused(self, item: Outgoing) -> Refused:
        """Everyone this message did not reach though the server took it, as queued."""
        return {self.queued[a]: answer for a, answer in item.refused.items()} | self.bad


def _release(claim: _Claim) -> None:
    """Messages of a batch cut short by a lost claim go back to the queue untouched."""
    if claim.open:
        OutboundMessage.objects.filter(
            pk__any=claim.open, state=MessageState.SENDING, claimed_by=claim.worker
        ).update(
            state=MessageState.PENDING,
            claimed_by="",
            claimed_until=None,
            attempts=F("attempts") - 1,
        )


def _send_all(
    messages: list[OutboundMessage], *, claim: _Claim, now: dt.datetime, report: PumpReport
) -> None:
    """Through Django's configured backend (the demo's files, the tests' memory): one
    connection for the batch; once the connection itself fails, so does the rest."""
    worker = claim.worker
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        _fail_all(messages, exc, worker=worker, now=now, report=report)
        return
    try:
        for index, message in enumerate(messages):
            if not claim.holds(message.pk):
                continue
            claim.done(message.pk)
            exc = _send_one(connection, message)
            if exc is None:
                report.sent += mark_sent(message, worker, now)
                continue
            report.count_failure(record_failure(message, worker, now, exc))
            if _connection_lost(exc):
                _fail_all(messages[index + 1 :], exc, worker=worker, now=now, report=report)
                break
    finally:
        try:
            connection.close()
        except Exception:
            log.warning("outbox: closing the SMTP connection failed", exc_info=True)


def _send_one(connection: Any, message: OutboundMessage) -> Exception | None:
    """Send one message; the error instead of raising it, for the caller to record."""
    try:
        connection.send_messages([_email(message, connection)])
    except Exception as exc:
        return exc
    return None


def _fail_all(
    messages: list[OutboundMessage],
    exc: Exception,
    *,
    worker: str,
    now: dt.datetime,
    report: PumpReport,
) -> None:
    for message in messages:
        report.count_failure(record_failure(message, worker, now, exc))


def outbox_pump(
    *, worker: str, now: dt.datetime, limit: int = 100, handed: list[Handed] | None = None
) -> int:
    """One worker tick for the outbox: first the mails this worker's deadline step queued
    already claimed (``handed``, emptied here), then claim what is due under a fresh claim
    tag and send it; returns mails sent. An idle tick closes an SMTP session unused for a
    while."""
    sent = 0
    while handed:
        claim = handed.pop(0)
        sent += outbox_send(
            ids=None, worker=claim.tag, now=now, claimed_at=claim.claimed_at, held=claim.messages
        ).sent
    tag = claim_tag(worker)
    claimed_at = time.monotonic()
    ids = outbox_claim(worker=tag, now=now, limit=limit)
    if not ids:
        if not sent:
            session_release(idle=True)
        return sent
    return sent + outbox_send(ids=ids, worker=tag, now=now, claimed_at=claimed_at).sent
