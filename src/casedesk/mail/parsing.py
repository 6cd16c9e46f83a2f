"""Parse one raw message under hard limits (security rules 2 and 6).

``parse_message`` either returns a ``ParsedMail`` or raises ``MailRejected`` with a
code and a reason for care. Before the parser runs, a cheap scan of the bytes checks
total size, header count and line length, and an upper bound of MIME parts, so a
crafted message cannot make the parser itself expensive. The walk over the parsed
tree is iterative (no recursion to exhaust) and checks depth, part count, decoded
size and elapsed time as it goes. Nothing is decompressed: archives stay attachments.

Every ``X-Casedesk-*`` header, at any MIME level, is removed before any other code
reads the message (Request Tracker CVE-2023-41259: control headers trusted from
inbound mail); the names removed are reported so care can see the attempt.
"""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser

from django.conf import settings

CONTROL_PREFIX = "x-casedesk-"


@dataclass(frozen=True)
class MailLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_headers: int = 500
    max_header_line: int = 8192
    max_header_block: int = 512 * 1024
    max_depth: int = 10
    max_parts: int = 100
    max_decoded_bytes: int = 64 * 1024 * 1024
    max_seconds: float = 10.0


def mail_limits() -> MailLimits:
    """The limits in force; the total size comes from ``CASEDESK_MAIL_MAX_BYTES``."""
    max_bytes = int(getattr(settings, "MAIL_MAX_BYTES", MailLimits.max_bytes))
    return MailLimits(max_bytes=max_bytes, max_decoded_bytes=max(2 * max_bytes, 1024))


class MailRejected(Exception):
    """The message is kept but not processed: ``code`` for filters, ``reason`` for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class MailPart:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedMail:
    headers: list[tuple[str, str]]
    stripped: list[str]
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    from_addresses: list[tuple[str, str]] = field(default_factory=list)
    auto_submitted: str = ""
    precedence: str = ""
    return_path: str | None = None
    autoreply_header: bool = False
    auth_results: list[str] = field(default_factory=list)
    content_type: str = ""
    text: str = ""
    html: str = ""
    attachments: list[MailPart] = field(default_factory=list)


_CONTENT_TYPE_LINE = re.compile(rb"(?im)^content-type[ \t]*:")


def _prescan(raw: bytes, limits: MailLimits) -> None:
    if len(raw) > limits.max_bytes:
        raise MailRejected(
            "too_large", f"The message is {len(raw):,} bytes; the limit is {limits.max_bytes:,}."
        )
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    head = raw[: min(ends)] if ends else raw
    if len(head) > limits.max_header_block:
        raise MailRejected("headers_too_large", "The header section is too large.")
    lines = head.split(b"\n")
    fields = sum(1 for line in lines if line and line[:1] not in (b" ", b"\t"))
    if fields > limits.max_headers:
        raise MailRejected(
            "too_many_headers", f"{fields} header fields (limit {limits.max_headers})."
        )
    if lines and max(len(line) for line in lines) > limits.max_header_line:
        raise MailRejected(
            "header_line_too_long", f"A header line is longer than {limits.max_header_line} bytes."
        )
    if len(_CONTENT_TYPE_LINE.findall(raw)) > limits.max_parts + 1:
        raise MailRejected("too_many_parts", f"More than {limits.max_parts} MIME parts.")


def decode_header_value(value: str) -> str:
    try:
        text = str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, TypeError):
        text = value
    return " ".join(text.split())[:2000]


def _strip_control_headers(part: Message, stripped: list[str]) -> None:
    for name in {k for k in part.keys() if k.lower().startswith(CONTROL_PREFIX)}:  # noqa: SIM118
        stripped.append(name)
        del part[name]


def _charset(part: Message) -> str:
    charset = (part.get_content_charset() or "us-ascii").strip().lower()
    if charset in {"unknown-8bit", "x-unknown", "unknown"}:
        raise MailRejected("unknown_charset", f"Unknown character set “{charset}”.")
    try:
        codecs.lookup(charset)
    except LookupError:
        raise MailRejected("unknown_charset", f"Unknown character set “{charset[:40]}”.") from None
    return charset


def _decode_text(part: Message, data: bytes) -> str:
    return data.decode(_charset(part), errors="replace").replace("\r\n", "\n")


_ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\\\x00-\x1f\x7f@]{1,64}@[a-z0-9.-]{1,253}", re.I)
# Defects that mean the parser guessed: the address it returns may be words of the attacker's
# choosing (a comment, an encoded word, text after the angle brackets), not the mailbox.
_TOLERATED_DEFECTS = {"ObsoleteHeaderDefect"}


def _addresses(msg: EmailMessage) -> list[tuple[str, str]]:
    """Each From mailbox; ``("", "")`` for one the parser had to guess (security fix
    "forged From via parser defects": ``victim@x (c) <attacker@y>``, ``<victim@x>attacker@y``,
    an encoded word that decodes to an address). Routing sends those to care unauthenticated.
    """
    found: list[tuple[str, str]] = []
    raw_values = [v for n, v in msg.raw_items() if n.lower() == "from"]
    for index, header in enumerate(msg.get_all("From") or []):
        raw = str(raw_values[index] if index < len(raw_values) else header).lower()
        defects = {type(d).__name__ for d in getattr(header, "defects", ())}
        addresses = getattr(header, "addresses", ())
        for address in addresses:
            spec = address.addr_spec.lower()
            clean = (
                not defects - _TOLERATED_DEFECTS
                and len(addresses) == 1
                and _ADDR_SPEC.fullmatch(spec) is not None
                and spec in raw  # the address as written, not decoded from an encoded word
            )
            found.append((str(address.display_name)[:200], spec) if clean else ("", ""))
        if not addresses:
            found.append(("", ""))
    return found


def _angle(value: object) -> str:
    return str(value or "").strip().strip("<>").strip()[:998]


class _Walk:
    """One iterative pass over the MIME tree, enforcing the limits as it goes."""

    def __init__(self, msg: EmailMessage, limits: MailLimits, deadline: float) -> None:
        self.limits = limits
        self.deadline = deadline
        self.stripped: list[str] = []
        self.text_parts: list[str] = []
        self.html: str | None = None
        self.attachments: list[MailPart] = []
        self.decoded = 0
        self._run(msg)

    def _check(self, count: int, depth: int) -> None:
        limits = self.limits
        if count > limits.max_parts:
            raise MailRejected("too_many_parts", f"More than {limits.max_parts} MIME parts.")
        if depth > limits.max_depth:
            raise MailRejected("mime_too_deep", f"MIME nesting deeper than {limits.max_depth}.")
        if time.monotonic() > self.deadline:
            raise MailRejected("too_slow", f"Parsing took longer than {limits.max_seconds:g} s.")

    def _run(self, msg: EmailMessage) -> None:
        stack: list[tuple[Message, int, bool]] = [(msg, 1, False)]
        count = 0
        while stack:
            part, depth, enclosed = stack.pop()
            count += 1
            self._check(count, depth)
            if len(part.keys()) > self.limits.max_headers:
                raise MailRejected("too_many_headers", "A MIME part has too many headers.")
            _strip_control_headers(part, self.stripped)
            ctype = part.get_content_type()
            if ctype == "message/rfc822" and not enclosed:
                inner = part.get_payload()
                data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
                self._add_attachment(part, data, "forwarded-message.eml")
                enclosed = True
            if part.is_multipart():
                children = part.get_payload()
                if isinstance(children, list):
                    stack.extend((c, depth + 1, enclosed) for c in reversed(children))
                continue
            self._leaf(part, ctype, enclosed)

    def _leaf(self, part: Message, ctype: str, enclosed: bool) -> None:
        data = part.get_payload(decode=True) or b""
        self.decoded += len(data)
        if self.decoded > self.limits.max_decoded_bytes:
            raise MailRejected("decoded_too_large", "The decoded parts are too large.")
        if enclosed:
            return  # inside a forwarded message: kept whole as its .eml attachment
        body_like = part.get_content_disposition() != "attachment" and not part.get_filename()
        if ctype == "text/plain" and body_like:
            self.text_parts.append(_decode_text(part, data))
        elif ctype == "text/html" and body_like and self.html is None:
            self.html = _decode_text(part, data)
        else:
            extension = {"text/plain": ".txt", "text/html": ".html"}.get(ctype, ".bin")
            self._add_attachment(part, data, f"part-{len(self.attachments) + 1}{extension}")

    def _add_attachment(self, part: Message, data: bytes, fallback: str) -> None:
        try:
            filename = part.get_filename() or fallback
        except (LookupError, UnicodeError, ValueError):
            filename = fallback
        self.attachments.append(
            MailPart(
                filename=str(filename),
                content_type=part.get_content_type(),
                data=data,
                inline=part.get_content_disposition() == "inline" or bool(part.get("Content-ID")),
                content_id=_angle(part.get("Content-ID")),
            )
        )


def parse_message(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """The parsed message, control headers already stripped; ``MailRejected`` otherwise."""
    limits = limits or mail_limits()
    started = time.monotonic()
    _prescan(raw, limits)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default guarantees it
        raise MailRejected("unparseable", "The message could not be parsed.")
    walk = _Walk(msg, limits, started + limits.max_seconds)
    headers = [(name, decode_header_value(str(value))) for name, value in msg.raw_items()]
    if not headers:
        raise MailRejected("unparseable", "The message has no headers.")
    return ParsedMail(
        headers=headers,
        stripped=sorted(set(walk.stripped)),
        subject=decode_header_value(str(msg.get("Subject", ""))),
        message_id=_angle(msg.get("Message-ID")),
        in_reply_to=_angle(msg.get("In-Reply-To")),
        from_addresses=_addresses(msg),
        auto_submitted=str(msg.get("Auto-Submitted", "")).strip().lower(),
        precedence=str(msg.get("Precedence", "")).strip().lower(),
        return_path=(
            _angle(msg.get("Return-Path")) if msg.get("Return-Path") is not None else None
        ),
        autoreply_header=any(msg.get(h) for h in ("X-Autoreply", "X-Autorespond")),
        auth_results=[str(v) for v in msg.get_all("Authentication-Results") or []],
        content_type=msg.get_content_type(),
        text="\n\n".join(t.strip("\n") for t in walk.text_parts),
        html=walk.html or "",
        attachments=walk.attachments,
    )
