"""What one send attempt leaves on its outbox row: sent, backed off, failed — or sent to
some recipients and refused for others (E1; convention 6, rule 7).

Every mark is conditional on the claim (``state = 'sending' AND claimed_by = tag``), so a
worker whose claim lapsed marks nothing. A failure puts the row back to ``pending`` with
exponential back-off; a permanent refusal (5xx) or ``OUTBOX_MAX_ATTEMPTS`` failures make
it ``failed``, kept with its last error for care to see.

**Some recipients refused** (issue 17 item 4: one message to a centre's engineers has many
envelope recipients). The server accepted the message for the others, so for them it is
sent: the row is marked ``sent`` with exactly the recipients that got it. The refused
ones move to a new row of their own — the same rendered mail under a new Message-ID
(they never received the first), carrying the attempt count over — which then follows
the rules of a refused single recipient: a 5xx refusal makes it ``failed`` (care sees it
and may send it again), a 4xx one backs off and is retried, up to the attempt limit. The
mark and the new rows commit together: a worker that dies before the commit leaves the
whole row to go out again with the same Message-ID, the outbox's usual window.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction

from .models import MessageState, OutboundMessage
from .rendering import new_message_id

log = logging.getLogger(__name__)
_TABLE = OutboundMessage._meta.db_table

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600

# A refusal per recipient: the address as queued → (SMTP code, the server's text).
Refused = dict[str, tuple[int, bytes]]


class RenderError(Exception):
    """The message cannot be rendered (its event was deleted): retrying will not help."""


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, … minutes after the 1st, 2nd, 3rd failure, at most 6 hours."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def permanent(exc: Exception) -> bool:
    """A 5xx answer will not change by retrying; everything else may be transient."""
    if isinstance(exc, RenderError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _final(exc: Exception, attempts: int) -> bool:
    return permanent(exc) or attempts >= getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)


def rendered_fields(message: OutboundMessage) -> dict[str, str]:
    """Store what this pump rendered along with the mark, so the row shows what went out."""
    if not getattr(message, "rendered_now", False):
        return {}
    return {
        "subject": message.subject,
        "text_body": message.text_body,
        "html_body": message.html_body,
    }


def mark_sent(message: OutboundMessage, worker: str, now: dt.datetime) -> bool:
    """``sent``, only while the claim is still ``worker``'s; one plain statement (this runs
    once per message, so the ORM's per-call compiling is left out)."""
    pk = message.pk
    rendered = rendered_fields(message)
    sets = "state = %s, sent_at = %s, claimed_until = NULL, last_error = ''"
    params: list[Any] = [MessageState.SENT, now]
    for name, value in rendered.items():
        sets += f", {name} = %s"
        params.append(value)
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET {sets} WHERE id = %s AND state = %s AND claimed_by = %s",  # noqa: S608 — fixed names
            [*params, pk, MessageState.SENDING, worker],
        )
        marked = cursor.rowcount
    if not marked:
        log.warning("outbox %s: sent, but our claim had lapsed (possible duplicate)", pk)
    return bool(marked)


def record_failure(message: OutboundMessage, worker: str, now: dt.datetime, exc: Exception) -> str:
    """Back off, or give up after the last attempt or a permanent refusal; keep the error."""
    attempts = message.attempts
    state = MessageState.FAILED if _final(exc, attempts) else MessageState.PENDING
    OutboundMessage.objects.filter(
        pk=message.pk, state=MessageState.SENDING, claimed_by=worker
    ).update(
        state=state,
        claimed_by="",
        claimed_until=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now + backoff(attempts),
        **rendered_fields(message),
    )
    log.warning("outbox %s: attempt %s failed (%s): %s", message.pk, attempts, state, exc)
    return state


def _describe(refused: Refused) -> str:
    return "; ".join(
        f"{address}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
        for address, (code, text) in refused.items()
    )


def mark_sent_partly(
    message: OutboundMessage, worker: str, now: dt.datetime, refused: Refused
) -> list[str] | None:
    """The server took ``message`` for some recipients and refused ``refused``: ``sent``
    for the others, the refused ones moved to new rows (see the module docstring). Returns
    the states of those new rows, or None when our claim had lapsed (nothing is marked)."""
    delivered_to = [a for a in message.to if a not in refused]
    delivered_bcc = [a for a in message.bcc if a not in refused]
    groups: dict[bool, Refused] = {}
    for address, answer in refused.items():
        groups.setdefault(answer[0] >= 500, {})[address] = answer
    rows = []
    for is_permanent, group in sorted(groups.items()):
        exc = smtplib.SMTPRecipientsRefused(group)
        state = MessageState.FAILED if _final(exc, message.attempts) else MessageState.PENDING
        label = "refused" if is_permanent else "deferred"
        error = f"SMTPRecipientsRefused: {_describe(group)}"
        rows.append(_moved(message, group, state, now, label=label, error=error))
    with transaction.atomic():
        marked = OutboundMessage.objects.filter(
            pk=message.pk, state=MessageState.SENDING, claimed_by=worker
        ).update(
            state=MessageState.SENT,
            sent_at=now,
            claimed_until=None,
            to=delivered_to,
            bcc=delivered_bcc,
            last_error=f"Sent to the others; refused for {_describe(refused)}"[:2000],
            **rendered_fields(message),
        )
        if not marked:
            log.warning("outbox %s: sent, but our claim had lapsed", message.pk)
            return None
        OutboundMessage.objects.bulk_create(rows)
    log.warning("outbox %s: sent, but refused for %s", message.pk, _describe(refused))
    return [row.state for row in rows]


def _moved(
    message: OutboundMessage,
    refused: Refused,
    state: str,
    now: dt.datetime,
    *,
    label: str,
    error: str,
) -> OutboundMessage:
    """A new row for the refused recipients of ``message``: same mail, new Message-ID."""
    return OutboundMessage(
        case_id=message.case_id,
        event_id=message.event_id,
        kind=message.kind,
        to=[a for a in message.to if a in refused],
        bcc=[a for a in message.bcc if a in refused],
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        message_id=new_message_id(message.kind),
        in_reply_to=message.in_reply_to,
        references=message.references,
        idempotency_key=f"outbox:{message.pk}:{label}",
        context=message.context,
        state=state,
        attempts=message.attempts,
        next_attempt_at=now + backoff(message.attempts),
        last_error=error[:2000],
        created_at=message.created_at,
    )
