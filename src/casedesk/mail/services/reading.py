"""Reading a stored message into what care sees: headers, sender, the new text apart from
the quoted history, sanitised HTML. Runs before the claim transaction (security fix
"quote-splitting DoS"), so slow work on a hostile message never holds the write lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from casedesk.files.storage import get_storage

from ..models import InboundMessage
from ..parsing import (
    CONTROL_PREFIX,
    MailPart,
    MailRejected,
    ParsedMail,
    decode_header_value,
    mail_limits,
    parse_message,
    safe_text,
)
from ..quoting import SPLIT_MAX, split_quoted_html, split_quoted_text
from ..sanitise import html_to_text, sanitise_html
from ._common import _CONTROL, BODY_MAX, EVENT_HTML_MAX
from .storing import mail_raw

log = logging.getLogger(__name__)


def _clean(text: str) -> str:
    """No C0 control (PostgreSQL refuses NUL in text/JSON) and no lone surrogate (raw
    8-bit header bytes: the row would not save, the care page would answer 500)."""
    return _CONTROL.sub("", safe_text(text))


def _clean_text(text: str) -> str:
    return _clean(text)[:BODY_MAX].strip()


def _scrub(message: InboundMessage) -> None:
    """Everything stored is clean text (``_clean``), whatever the sender's bytes were."""
    for name in ("subject", "from_name", "from_address", "message_id", "html", "quoted_html"):
        setattr(message, name, _clean(getattr(message, name)))
    message.headers = [[_clean(n), _clean(v)] for n, v in message.headers]
    message.stripped_headers = [_clean(n) for n in message.stripped_headers]
    message.defects = [_clean(d) for d in message.defects]
    for part in message.parts:
        part["filename"] = _clean(part["filename"])
        part["content_type"] = _clean(part["content_type"])


def _fill(message: InboundMessage, parsed: ParsedMail, body_text: str) -> None:
    """Record what care needs to judge the message: headers, sender, sanitised bodies."""
    message.headers = [[n, v] for n, v in parsed.headers[:500]]
    message.stripped_headers = parsed.stripped
    message.defects = parsed.defects
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


def _prepare(message: InboundMessage, raw: bytes | None = None) -> _Prepared:
    """Parse, split and sanitise outside any transaction; fills ``message`` (unsaved).
    ``raw``: the stored bytes when the caller still holds them (the receiver)."""
    try:
        parsed = parse_message(mail_raw(message) if raw is None else raw, mail_limits())
    except MailRejected as rejected:
        _fill_headers_only(message)
        return _Prepared(rejected=rejected)
    body_text = parsed.text or html_to_text(parsed.html[:SPLIT_MAX])
    _fill(message, parsed, body_text)
    return _Prepared(parsed=parsed, body_text=body_text)


def _parsed_parts(message: InboundMessage) -> list[MailPart]:
    """The attachments again, from the stored raw message (care actions come later)."""
    try:
        return parse_message(mail_raw(message), mail_limits()).attachments
    except MailRejected:
        return []
