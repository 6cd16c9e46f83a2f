"""Sending the outbox: claim, send over one SMTP connection per batch, mark (convention 6).

Claims work like deadlines (convention 4): a conditional ``UPDATE … SET state='sending'``
on rows that are due and still pending (or whose lease lapsed), with ``SKIP LOCKED`` on
PostgreSQL so several workers share the queue. A message is marked ``sent`` only by the
worker whose claim it still is. A failure puts it back to ``pending`` with exponential
back-off; a permanent refusal (5xx) or ``OUTBOX_MAX_ATTEMPTS`` failures make it
``failed``, kept with its last error for care to see.

The one window left: the SMTP server accepted the message and the process died before
the ``sent`` mark committed. The lease then lapses and the message goes out again, with
the same Message-ID, so receiving systems can recognise the duplicate. Nothing else
sends twice: the idempotency key makes one row per event and recipient, and only the
claim holder sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q

from .models import MessageState, OutboundMessage

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600


@dataclass
class PumpReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, … minutes after the 1st, 2nd, 3rd failure, at most 6 hours."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _due(now: dt.datetime) -> Q:
    return Q(state=MessageState.PENDING, next_attempt_at__lte=now)


def _lapsed(now: dt.datetime) -> Q:
    return Q(state=MessageState.SENDING, claimed_until__lt=now)


def outbox_claim(*, worker: str, now: dt.datetime, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` due messages for ``worker``; ids in the order they fell due."""
    until = now + _lease()
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
        OutboundMessage.objects.filter(_due(now) | _lapsed(now), pk__in=ids).update(
            state=MessageState.SENDING,
            claimed_by=worker,
            claimed_until=until,
            attempts=F("attempts") + 1,
        )
        won = set(
            OutboundMessage.objects.filter(
                pk__in=ids, state=MessageState.SENDING, claimed_by=worker, claimed_until=until
            ).values_list("id", flat=True)
        )
    return [pk for pk in ids if pk in won]


def _email(message: OutboundMessage, connection: object) -> EmailMultiAlternatives:
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
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        headers=headers,
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email


def _permanent(exc: Exception) -> bool:
    """A 5xx answer will not change by retrying; everything else may be transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _connection_lost(exc: Exception) -> bool:
    """The connection itself failed: the rest of the batch would fail the same way."""
    per_message = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)
    return isinstance(exc, OSError) and not isinstance(exc, per_message)


def _mark_sent(pk: int, worker: str, now: dt.datetime) -> bool:
    marked = OutboundMessage.objects.filter(
        pk=pk, state=MessageState.SENDING, claimed_by=worker
    ).update(state=MessageState.SENT, sent_at=now, claimed_until=None, last_error="")
    if not marked:
        log.warning("outbox %s: sent, but our claim had lapsed (possible duplicate)", pk)
    return bool(marked)


def _record_failure(message: OutboundMessage, worker: str, now: dt.datetime, exc: Exception) -> str:
    """Back off, or give up after the last attempt or a permanent refusal; keep the error."""
    attempts = message.attempts
    limit = getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)
    final = _permanent(exc) or attempts >= limit
    state = MessageState.FAILED if final else MessageState.PENDING
    OutboundMessage.objects.filter(
        pk=message.pk, state=MessageState.SENDING, claimed_by=worker
    ).update(
        state=state,
        claimed_by="",
        claimed_until=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now + backoff(attempts),
    )
    log.warning("outbox %s: attempt %s failed (%s): %s", message.pk, attempts, state, exc)
    return state


def outbox_send(*, ids: list[int], worker: str, now: dt.datetime) -> PumpReport:
    """Send claimed messages over one connection; each outcome is recorded as it happens."""
    report = PumpReport(claimed=len(ids))
    messages = list(
        OutboundMessage.objects.filter(
            pk__in=ids, state=MessageState.SENDING, claimed_by=worker
        ).order_by("next_attempt_at", "id")
    )
    if not messages:
        return report

    def fail(message: OutboundMessage, exc: Exception) -> None:
        if _record_failure(message, worker, now, exc) == MessageState.FAILED:
            report.failed += 1
        else:
            report.retried += 1

    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        for message in messages:
            fail(message, exc)
        return report
    try:
        for index, message in enumerate(messages):
            try:
                connection.send_messages([_email(message, connection)])
            except Exception as exc:
                fail(message, exc)
                if _connection_lost(exc):
                    for rest in messages[index + 1 :]:
                        fail(rest, exc)
                    break
                continue
            report.sent += _mark_sent(message.pk, worker, now)
    finally:
        try:
            connection.close()
        except Exception:
            log.warning("outbox: closing the SMTP connection failed", exc_info=True)
    return report


def outbox_pump(*, worker: str, now: dt.datetime, limit: int = 100) -> int:
    """One worker tick for the outbox: claim what is due and send it; returns mails sent."""
    ids = outbox_claim(worker=worker, now=now, limit=limit)
    if not ids:
        return 0
    return outbox_send(ids=ids, worker=worker, now=now).sent
