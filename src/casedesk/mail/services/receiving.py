"""The receive pipeline (E2, E3; rule 6): store and commit, then claim the row once,
skip automatic mail, quarantine broken MIME, route a reply to its case or hold it for
care (flood limits included); any exception rolls back, removes the files written, and
quarantines the message with the reason. A message a crash left ``received`` is
processed by its ``mail.process`` deadline (``mail.handlers``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from casedesk.cases.models import Case
from casedesk.files.storage import get_storage

from ..models import InboundMessage, State
from ..parsing import MailRejected, mail_limits, safe_text
from ..routing import Outcome, automatic_mail, route_reply
from .appending import _append
from .flood import flood_alert, flood_reason
from .reading import _fill_headers_only, _prepare, _Prepared
from .storing import mail_store

log = logging.getLogger(__name__)


def mail_receive(
    *,
    raw: bytes,
    source: str,
    envelope_from: str | None,
    envelope_to: list[str] | str,
    now: dt.datetime,
    dedupe_key: str | None = None,
    mailbox: str | None = None,
) -> InboundMessage:
    """Store, commit, then process (E2, E3, rule 6). Returns the row in its final state;
    a message stored before (same Message-ID in the same mailbox) is not processed again."""
    message = mail_store(
        raw=raw,
        source=source,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        now=now,
        dedupe_key=dedupe_key,
        mailbox=mailbox,
    )
    return mail_process(message_id=message.pk, now=now)


def mail_receive_oversize(
    *,
    head: bytes,
    size: int,
    source: str,
    envelope_from: str | None,
    envelope_to: list[str] | str,
    now: dt.datetime,
    dedupe_key: str | None = None,
    mailbox: str | None = None,
) -> InboundMessage:
    """A message too large to download (IMAP): its header is kept, quarantined for care."""
    message = mail_store(
        raw=head,
        source=source,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        now=now,
        dedupe_key=dedupe_key,
        mailbox=mailbox,
    )
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state != State.RECEIVED:
            return locked
        _fill_headers_only(locked)
        locked.processed_at = now
        _finish(
            locked,
            State.QUARANTINED,
            "too_large",
            f"The message is {size:,} bytes; the limit is {mail_limits().max_bytes:,}. Only "
            "its header was fetched; the message is still in the mailbox.",
        )
    return locked


def mail_process(*, message_id: int, now: dt.datetime) -> InboundMessage:
    """Process a stored message once; a failure quarantines it with the reason.

    Parsing, quote splitting and sanitising run BEFORE the claim transaction (security
    fix "quote-splitting DoS"): slow work on a hostile message never holds the write lock.
    """
    written: list[str] = []
    try:
        message = InboundMessage.objects.filter(pk=message_id, state=State.RECEIVED).first()
        if message is None:
            return InboundMessage.objects.get(pk=message_id)
        prepared = _prepare(message)
        with transaction.atomic():
            claimed = InboundMessage.objects.filter(pk=message_id, state=State.RECEIVED).update(
                processed_at=now
            )
            if claimed:
                message.processed_at = now
                _process(message, prepared, now, written)
        if claimed:
            return message
    except Exception as exc:
        log.exception("inbound message %s quarantined after an error", message_id)
        storage = get_storage()
        for key in written:
            storage.delete(key)
        InboundMessage.objects.filter(pk=message_id, state=State.RECEIVED).update(
            state=State.QUARANTINED,
            reason_code="processing_error",
            reason=f"Processing failed: {type(exc).__name__}: {exc}"[:2000],
            processed_at=now,
        )
    return InboundMessage.objects.get(pk=message_id)


def mail_process_pending(*, now: dt.datetime, limit: int = 500) -> int:
    """Messages stored but never processed (a receiver stopped in between): process them."""
    ids = list(
        InboundMessage.objects.filter(state=State.RECEIVED)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        mail_process(message_id=pk, now=now)
    return len(ids)


def _finish(message: InboundMessage, state: str, code: str, reason: str) -> None:
    message.state = state
    message.reason_code = code
    message.reason = safe_text(reason)
    message.save()


@dataclass(frozen=True)
class Decision:
    """What becomes of a claimed message before the flood limits: an end state
    (``state``/``code``/``reason``), or the routing ``outcome``."""

    state: str = ""
    code: str = ""
    reason: str = ""
    outcome: Outcome | None = None


def _decide(prepared: _Prepared, envelope_from: str | None, **route: Any) -> Decision:
    """Read-only: broken, automatic, or routed (``route``: ``route_reply``'s batch reads)."""
    if prepared.parsed is None:
        rejected = prepared.rejected or MailRejected("unparseable", "Not parsed.")
        return Decision(State.QUARANTINED, rejected.code, rejected.reason)
    parsed = prepared.parsed
    automatic = automatic_mail(parsed, envelope_from)
    if automatic is not None:
        return Decision(State.IGNORED, automatic.code, automatic.reason)
    if parsed.broken:  # issue 15, item 3: never on a case; care reads the raw text
        listed = "; ".join(parsed.broken)
        return Decision(State.QUARANTINED, "mime_defects", f"Broken MIME: {listed}."[:2000])
    return Decision(outcome=route_reply(parsed, prepared.body_text, **route))


def _process(
    message: InboundMessage, prepared: _Prepared, now: dt.datetime, written: list[str]
) -> None:
    _apply(message, prepared, _decide(prepared, message.envelope_from), now, written)


def _apply(
    message: InboundMessage,
    prepared: _Prepared,
    decision: Decision,
    now: dt.datetime,
    written: list[str],
    flood: Callable[[InboundMessage, Case | None], tuple[str, str, str] | None] = flood_reason,
) -> None:
    """Act on ``decision``: the end state, the flood limits (``flood``), care or the case."""
    outcome = decision.outcome
    if outcome is None:
        _finish(message, decision.state, decision.code, decision.reason)
        return
    message.case = outcome.case
    held = flood(message, outcome.case)
    if held is not None:  # issue 15, item 4
        code, what, reason = held
        _finish(message, State.NEEDS_CARE, code, reason)
        flood_alert(code=code, what=what, reason=reason, now=now)
        return
    if not outcome.appends:
        _finish(message, State.NEEDS_CARE, outcome.code, outcome.reason)
        return
    if outcome.case is None or outcome.sender is None or prepared.parsed is None:
        raise RuntimeError("an appending outcome without its case or sender")  # pragma: no cover
    staff = not outcome.sender.is_contact
    _append(
        message,
        case=outcome.case,
        actor=outcome.sender,
        parts=prepared.parsed.attachments,
        now=now,
        written=written,
        internal=staff,
    )
    message.sender = outcome.sender
    reason = outcome.reason + (" (support staff by e-mail: internal note)" if staff else "")
    _finish(message, State.APPENDED, "appended", reason)
