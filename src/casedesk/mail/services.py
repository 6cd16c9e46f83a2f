"""Every write of inbound mail (E2, E3; security rules 1, 2, 5, 6).

``mail_receive`` is the one entry point of every receiver (SMTP, LMTP, IMAP): it
stores the raw bytes and commits the row first (``mail_store``), then processes in a
separate transaction (``mail_process``). Processing claims the row with a conditional
update, so it happens once; any exception rolls the work back, removes files it
wrote, and quarantines the message with the reason, so the next message still runs.

The raw message lives in the files storage under ``mail/raw/…`` rather than in a
BinaryField: messages run to 25 MB, the download streams from a file, the database
stays small for the queues, and the bytes are fsynced before the row commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import uuid
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from casedesk.accounts.models import AuditEvent, Role, User
from casedesk.cases.models import Case, Channel
from casedesk.cases.permissions import is_participant
from casedesk.cases.services import CaseDraft, case_add_update, case_open
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.files.models import Attachment, Source
from casedesk.files.services import attachment_store
from casedesk.files.storage import get_storage

from .authres import check_sender_authentication
from .models import CARE_STATES, InboundMessage, State
from .parsing import (
    CONTROL_PREFIX,
    MailPart,
    MailRejected,
    ParsedMail,
    decode_header_value,
    mail_limits,
    parse_message,
)
from .quoting import SPLIT_MAX, split_quoted_html, split_quoted_text
from .routing import automatic_mail, route_reply
from .sanitise import html_to_text, sanitise_html

log = logging.getLogger(__name__)

CARE_ROLES = (Role.CARE, Role.MANAGER)
BODY_MAX = 100_000
EVENT_HTML_MAX = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --- storing ---------------------------------------------------------------------------


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


def mail_receive(
    *,
    raw: bytes,
    source: str,
    envelope_from: str | None,
    envelope_to: list[str] | str,
    now: dt.datetime,
    dedupe_key: str | None = None,
) -> InboundMessage:
    """Store, commit, then process (E2, E3, rule 6). Returns the row in its final state."""
    message = mail_store(
        raw=raw,
        source=source,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        now=now,
        dedupe_key=dedupe_key,
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
) -> InboundMessage:
    """A message too large to download (IMAP): its header is kept, quarantined for care."""
    message = mail_store(
        raw=head,
        source=source,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        now=now,
        dedupe_key=dedupe_key,
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


def mail_raw(message: InboundMessage) -> bytes:
    with get_storage().open_read(message.raw_key) as stream:
        return stream.read()


# --- processing ------------------------------------------------------------------------


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
    message.reason = reason
    message.save()


def _clean_text(text: str) -> str:
    return _CONTROL.sub("", text)[:BODY_MAX].strip()


def _scrub(message: InboundMessage) -> None:
    """No NUL or other C0 control in what is stored (PostgreSQL refuses NUL in text/JSON)."""
    for name in ("subject", "from_name", "from_address", "message_id", "html", "quoted_html"):
        setattr(message, name, _CONTROL.sub("", getattr(message, name)))
    message.headers = [[_CONTROL.sub("", n), _CONTROL.sub("", v)] for n, v in message.headers]
    message.stripped_headers = [_CONTROL.sub("", n) for n in message.stripped_headers]
    for part in message.parts:
        part["filename"] = _CONTROL.sub("", part["filename"])
        part["content_type"] = _CONTROL.sub("", part["content_type"])


def _fill(message: InboundMessage, parsed: ParsedMail, body_text: str) -> None:
    """Record what care needs to judge the message: headers, sender, sanitised bodies."""
    message.headers = [[n, v] for n, v in parsed.headers[:500]]
    message.stripped_headers = parsed.stripped
    message.subject = _clean_text(parsed.subject)[:998]
    message.message_id = parsed.message_id
    if parsed.from_addresses:
        message.from_name, message.from_address = parsed.from_addresses[0]
    text = body_text[:SPLIT_MAX]
    message.text, message.quoted_text = (_clean_text(t) for t in split_quoted_text(text))
    new_html, quoted_html = split_quoted_html(parsed.html[:SPLIT_MAX])
    message.html = sanitise_html(new_html)[:EVENT_HTML_MAX]
    message.quoted_html = sanitise_html(quoted_html)[:EVENT_HTML_MAX]
    message.parts = [
        {"filename": p.filename[:200], "content_type": p.content_type, "size": len(p.data)}
        for p in parsed.attachments
    ]
    _scrub(message)


def _fill_headers_only(message: InboundMessage) -> None:
    """Sender and subject of a rejected message, from a bounded slice of its header block."""
    limits = mail_limits()
    with get_storage().open_read(message.raw_key) as stream:
        head = stream.read(limits.max_header_block)
    try:
        msg = BytesHeaderParser(policy=compat32).parsebytes(head)
        items = list(msg.items())[: limits.max_headers]
        message.headers = [[n, decode_header_value(str(v))] for n, v in items
                           if not n.lower().startswith(CONTROL_PREFIX)]  # fmt: skip
        message.subject = _clean_text(decode_header_value(str(msg.get("Subject", ""))))[:998]
        name, address = parseaddr(str(msg.get("From", "")))
        message.from_name, message.from_address = name[:200], address.lower()[:320]
        message.message_id = str(msg.get("Message-ID", "")).strip().strip("<>")[:998]
        _scrub(message)
    except Exception:  # a header block too broken to show: care still has the raw download
        log.warning("inbound message %s: headers unreadable", message.pk)


@dataclass
class _Prepared:
    """What parsing produced, before the row is claimed: the parse or why it was refused."""

    parsed: ParsedMail | None = None
    body_text: str = ""
    rejected: MailRejected | None = None


def _prepare(message: InboundMessage) -> _Prepared:
    """Parse, split and sanitise outside any transaction; fills ``message`` (unsaved)."""
    try:
        parsed = parse_message(mail_raw(message), mail_limits())
    except MailRejected as rejected:
        _fill_headers_only(message)
        return _Prepared(rejected=rejected)
    body_text = parsed.text or html_to_text(parsed.html[:SPLIT_MAX])
    _fill(message, parsed, body_text)
    return _Prepared(parsed=parsed, body_text=body_text)


def _process(
    message: InboundMessage, prepared: _Prepared, now: dt.datetime, written: list[str]
) -> None:
    if prepared.parsed is None:
        rejected = prepared.rejected or MailRejected("unparseable", "Not parsed.")
        _finish(message, State.QUARANTINED, rejected.code, rejected.reason)
        return
    parsed = prepared.parsed
    automatic = automatic_mail(parsed, message.envelope_from)
    if automatic is not None:
        _finish(message, State.IGNORED, automatic.code, automatic.reason)
        return
    outcome = route_reply(parsed, prepared.body_text)
    message.case = outcome.case
    if not outcome.appends:
        _finish(message, State.NEEDS_CARE, outcome.code, outcome.reason)
        return
    if outcome.case is None or outcome.sender is None:  # pragma: no cover - appends says so
        raise RuntimeError("an appending outcome without its case or sender")
    staff = not outcome.sender.is_contact
    _append(
        message,
        case=outcome.case,
        actor=outcome.sender,
        parts=parsed.attachments,
        now=now,
        written=written,
        internal=staff,
    )
    message.sender = outcome.sender
    reason = outcome.reason + (" (support staff by e-mail: internal note)" if staff else "")
    _finish(message, State.APPENDED, "appended", reason)


def _event_data(message: InboundMessage, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "email": {
            "inbound_id": message.pk,
            "message_id": message.message_id,
            "subject": message.subject,
            "from": message.from_address,
            "html": message.html,
            "quoted_text": message.quoted_text[:EVENT_HTML_MAX],
            "quoted_html": message.quoted_html,
            **extra,
        },
    }


def _body(message: InboundMessage, parts: int, prefix: str = "") -> str:
    body = message.text or (
        "(e-mail without new text; the quoted history is folded below)"
        if message.quoted_text
        else ("(e-mail without text; see the attached files)" if parts else "(empty e-mail)")
    )
    return (prefix + body)[:BODY_MAX]


def _append(
    message: InboundMessage,
    *,
    case: Case,
    actor: User,
    parts: list[MailPart],
    now: dt.datetime,
    written: list[str],
    internal: bool = False,
    prefix: str = "",
    **extra: Any,
) -> None:
    """The reply as an update on ``case`` through the cases service, then its files.

    An internal note takes no files (security fix "mail attachments published under an
    internal note"): case files are customer-visible, so they stay with the inbound
    message, whose raw .eml care can download, and the note says so.
    """
    body = _body(message, len(parts), prefix)
    if internal and parts:
        body = (
            f"{body}\n\n[{len(parts)} attachment(s) kept with the mail in the care queue "
            f"(inbound mail #{message.pk}); not added to the case files.]"
        )[-BODY_MAX:]
    case_add_update(
        case=case,
        actor=actor,
        body=body,
        now=now,
        internal=internal,
        data=_event_data(message, **extra),
    )
    if not internal:
        _attach(case=case, actor=actor, parts=parts, now=now, written=written)


def _attach(
    *, case: Case, actor: User | None, parts: list[MailPart], now: dt.datetime, written: list[str]
) -> list[Attachment]:
    """Every part that is not the body, inline images and winmail.dat included, as files."""
    stored = []
    for part in parts:
        attachment = attachment_store(
            case=case,
            actor=actor,
            filename=part.filename,
            stream=io.BytesIO(part.data),
            source=Source.EMAIL,
            now=now,
            content_type=part.content_type,
        )
        written.append(attachment.storage_key)
        stored.append(attachment)
    return stored


def _parsed_parts(message: InboundMessage) -> list[MailPart]:
    """The attachments again, from the stored raw message (care actions come later)."""
    try:
        return parse_message(mail_raw(message), mail_limits()).attachments
    except MailRejected:
        return []


# --- care actions ----------------------------------------------------------------------


def _require_care(actor: User) -> None:
    if not actor.is_active or actor.role not in CARE_ROLES:
        raise NotFound("No such message.")


def _claim_for_care(message: InboundMessage) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update().filter(pk=message.pk).first()
    if locked is None:
        raise NotFound("No such message.")
    if locked.state not in CARE_STATES:
        raise PolicyViolation(
            f"This message was already handled ({locked.get_state_display().lower()})."
        )
    return locked


def _audit(actor: User, action: str, message: InboundMessage, reason: str, now: dt.datetime,
           **data: Any) -> None:  # fmt: skip
    AuditEvent.objects.create(
        at=now,
        actor=actor,
        action=action,
        subject=f"inbound mail #{message.pk} from {message.from_address or 'unknown sender'}",
        reason=reason,
        data={"inbound_id": message.pk, "subject": message.subject[:200], **data},
    )


def _handled(message: InboundMessage, state: str, actor: User, note: str, now: dt.datetime) -> None:
    message.state = state
    message.handled_by = actor
    message.handled_at = now
    message.handled_note = note
    message.save()


def mail_link_to_case(
    *, message: InboundMessage, case: Case, actor: User, now: dt.datetime
) -> InboundMessage:
    """Care links a waiting message to a case (E3).

    A sender who is a participant of that case appears as the author of a customer
    update (it moves Awaiting Info → Open like any reply) — only if the message passed
    sender authentication. Anyone else's mail, and every unauthenticated or quarantined
    message, becomes an internal note by the care admin, without its files.
    """
    _require_care(actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _claim_for_care(message)
            sender = User.objects.filter(
                email__iexact=locked.from_address or "-", is_active=True, role=Role.CONTACT
            ).first()
            parts = [] if locked.state == State.QUARANTINED else _parsed_parts(locked)
            participant = sender is not None and is_participant(sender, case)
            if sender is not None and participant and _sender_trusted(locked):
                _append(locked, case=case, actor=sender, parts=parts, now=now, written=written,
                        linked_by=actor.email)  # fmt: skip
                note = f"Linked to {case.number} as an update by {sender.email}."
            else:
                why = "the sender is not authenticated" if participant else "not from a participant"
                prefix = (
                    f"E-mail from {locked.from_address or 'an unknown sender'} "
                    f"(subject “{locked.subject}”), linked by care; {why}.\n\n"
                )
                _append(locked, case=case, actor=actor, parts=parts, now=now, written=written,
                        internal=True, prefix=prefix, linked_by=actor.email)  # fmt: skip
                note = f"Linked to {case.number} as an internal note."
            locked.case = case
            _handled(locked, State.LINKED, actor, note, now)
            _audit(actor, "mail.linked", locked, note, now, case=case.number)
    except Exception:
        storage = get_storage()
        for key in written:
            storage.delete(key)
        raise
    return locked


UNAUTHENTICATED_CODES = {"auth_failed", "sender_unclear"}


def _sender_trusted(message: InboundMessage) -> bool:
    """May this message speak as its From address? (security fix "auth-failed mail linked
    as the participant's update"). Not when it failed or never reached sender
    authentication (quarantined), nor when its topmost Authentication-Results does not pass.
    """
    if message.state != State.NEEDS_CARE or message.reason_code in UNAUTHENTICATED_CODES:
        return False
    results = [v for n, v in message.headers if n.lower() == "authentication-results"]
    verdict = check_sender_authentication(
        results,
        from_address=message.from_address,
        trusted_authserv_id=getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", "") or "",
    )
    return verdict.passed


def mail_open_case(
    *, message: InboundMessage, actor: User, draft: CaseDraft, now: dt.datetime
) -> Case:
    """Care opens a case from a new e-mail of a registered contact (E3, A8), channel e-mail."""
    _require_care(actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _claim_for_care(message)
            contact = mail_sender_contact(locked)
            if contact is None:
                raise PolicyViolation(
                    "The sender is not a registered, active contact; only contacts open cases "
                    "(A8). Refer them to their partner, or dismiss the message."
                )
            case = case_open(
                contact=contact, draft=draft, now=now, opened_by=actor, channel=Channel.EMAIL
            )
            note = f"Opened {case.number} for {contact.email}."
            if _sender_trusted(locked):
                _attach(case=case, actor=contact, parts=_parsed_parts(locked), now=now,
                        written=written)  # fmt: skip
            elif locked.parts:
                # Unauthenticated: the files would appear as the contact's own uploads.
                note += (
                    f" {len(locked.parts)} attachment(s) kept with the mail: the sender "
                    "is not authenticated."
                )
            locked.case = case
            _handled(locked, State.CASE_OPENED, actor, note, now)
            _audit(actor, "mail.case_opened", locked, note, now, case=case.number)
    except Exception:
        storage = get_storage()
        for key in written:
            storage.delete(key)
        raise
    return case


def mail_dismiss(
    *, message: InboundMessage, actor: User, reason: str, now: dt.datetime
) -> InboundMessage:
    """Care dismisses a waiting message with a reason; the raw message stays stored."""
    _require_care(actor)
    if not reason.strip():
        raise PolicyViolation("Say why the message is dismissed.", field="reason")
    if _CONTROL.search(reason):
        raise PolicyViolation("Remove the control characters from this text.", field="reason")
    with transaction.atomic():
        locked = _claim_for_care(message)
        _handled(locked, State.DISMISSED, actor, reason.strip()[:2000], now)
        _audit(actor, "mail.dismissed", locked, reason.strip()[:2000], now)
    return locked


def mail_sender_contact(message: InboundMessage) -> User | None:
    """The active contact whose address sent the message, if any."""
    if not message.from_address:
        return None
    return (
        User.objects.filter(email__iexact=message.from_address, is_active=True, role=Role.CONTACT)
        .select_related("organisation")
        .first()
    )
