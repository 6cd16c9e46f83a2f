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

Real-world mail is often malformed (issue 15, item 14): the parser's complaints are
collected as ``defects`` rather than raised — a header the stdlib cannot parse (an
encoded CR/LF inside an address) is kept raw and named, raw 8-bit header bytes become
text (``safe_text``), and a structurally broken MIME tree (no boundary, a boundary never
closed, truncated base64) is listed in ``broken`` so the message waits for care.
"""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser

from django.conf import settings

from .setaside import put_back, set_aside

CONTROL_PREFIX = "x-casedesk-"
MAX_DEFECTS = 50
# Defects that mean the MIME structure or a part's content is damaged: never on a case.
BROKEN_MIME = frozenset(
    {
        "NoBoundaryInMultipartDefect",
        "StartBoundaryNotFoundDefect",
        "CloseBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
        "InvalidMultipartContentTransferEncodingDefect",
        "InvalidBase64PaddingDefect",
        "InvalidBase64CharactersDefect",
        "InvalidBase64LengthDefect",
        "MissingHeaderBodySeparatorDefect",
    }
)
_ESCAPED = re.compile("[\udc80-\udcff]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: str) -> str:
    """A str that always encodes: raw 8-bit header bytes, which the parser keeps as lone
    surrogates, decoded as UTF-8 (else Windows-1252); any other lone surrogate replaced.
    (Surrogates made the care page answer 500 and the row unsaveable on PostgreSQL.)"""
    if not _SURROGATE.search(value):
        return value

    def _decode(match: re.Match[str]) -> str:
        raw = match.group().encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")

    return _SURROGATE.sub("\ufffd", _ESCAPED.sub(_decode, value))


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
    references: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)  # every complaint, for care
    broken: list[str] = field(default_factory=list)  # those that keep it off a case


# "Content-Type:" at a line start, counted in the lower-cased bytes: a case-insensitive
# multi-line pattern cost 11 ms over a 1.4 MB message, a literal search ~1 ms.
_CONTENT_TYPE_LINE = re.compile(rb"\ncontent-type[ \t]*:")
_CONTENT_TYPE_FIRST = re.compile(rb"content-type[ \t]*:")


def _content_type_lines(raw: bytes) -> int:
    low = raw.lower()
    return len(_CONTENT_TYPE_LINE.findall(low)) + (1 if _CONTENT_TYPE_FIRST.match(low) else 0)


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
    if _content_type_lines(raw) > limits.max_parts + 1:
        raise MailRejected("too_many_parts", f"More than {limits.max_parts} MIME parts.")


def decode_header_value(value: str) -> str:
    value = safe_text(value)
    try:
        text = safe_text(str(make_header(decode_header(value))))
    except (LookupError, UnicodeError, ValueError, TypeError, AssertionError, IndexError):
        text = value
    return " ".join(text.split())[:2000]


def _defect_text(defect: object, where: str) -> str:
    detail = safe_text(str(defect))[:200]
    return f"{type(defect).__name__}{': ' + detail if detail else ''} ({where})"


class _Defects:
    """The parser's complaints, bounded; ``broken`` holds the structural ones."""

    def __init__(self) -> None:
        self.all: list[str] = []
        self.broken: list[str] = []

    def add(self, text: str, *, broken: bool = False) -> None:
        if text not in self.all and len(self.all) < MAX_DEFECTS:
            self.all.append(text)
        if broken and text not in self.broken and len(self.broken) < MAX_DEFECTS:
            self.broken.append(text)

    def of(self, part: Message, where: str) -> None:
        for defect in getattr(part, "defects", ()):
            self.add(_defect_text(defect, where), broken=type(defect).__name__ in BROKEN_MIME)


def _unparseable(name: str, exc: Exception) -> str:
    return f"{name} header unparseable: {type(exc).__name__}: {safe_text(str(exc))}"[:300]


def _header(
    msg: Message, name: str, defects: _Defects, parsed: dict[str, list] | None = None
) -> str:
    """A header's value; when the stdlib header parser raises (an encoded CR/LF in an
    address, a parser bug), the raw value, and the error listed as a defect. ``parsed``:
    the values ``_header_defects`` already parsed (the stdlib parses again on every get)."""
    try:
        values = (parsed or {}).get(name.lower())
        value = values[0] if values else msg.get(name)
        return "" if value is None else safe_text(str(value))
    except Exception as exc:
        defects.add(_unparseable(name, exc))
        raw = next((v for n, v in msg.raw_items() if n.lower() == name.lower()), "")
        return safe_text(str(raw))


# An unstructured header (Received, Authentication-Results, Subject, X-…) whose raw value
# is printable ASCII without an encoded word parses without a defect: not parsed here
# (issue 17: Received lines were most of the header cost), parsed on demand if read.
_PLAIN_UNSTRUCTURED = re.compile(r"[\t\r\n\x20-\x7e]*")


def _plain_unstructured(msg: Message, name: str) -> bool:
    registry = getattr(msg.policy, "header_factory", None)
    kind = getattr(registry, "registry", {}).get(name, UnstructuredHeader)
    if not issubclass(kind, UnstructuredHeader):
        return False
    values = [v for n, v in msg.raw_items() if n.lower() == name]
    return all(
        isinstance(v, str) and "=?" not in v and _PLAIN_UNSTRUCTURED.fullmatch(v) for v in values
    )


def _header_defects(msg: Message, defects: _Defects) -> dict[str, list]:
    """Parse every top-level header once, so each one's defects or errors are listed;
    returns the parsed values by lower-case name (those that parsed)."""
    parsed: dict[str, list] = {}
    for name in {k.lower() for k in msg.keys()}:  # noqa: SIM118
        if _plain_unstructured(msg, name):
            continue
        try:
            values = list(msg.get_all(name) or [])
            for value in values:
                for defect in getattr(value, "defects", ()):
                    defects.add(_defect_text(defect, f"{name} header"))
            parsed[name] = values
        except Exception as exc:
            defects.add(_unparseable(name, exc))
    return parsed


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
# Raw 8-bit bytes (a display name in Latin-1 or UTF-8 from an old or RFC 6532 client): the
# address itself must then be plain ASCII.
_RAW_8BIT = {"UndecodableBytesDefect"}


def _addresses(msg: EmailMessage, parsed: dict[str, list] | None = None) -> list[tuple[str, str]]:
    """Each From mailbox; ``("", "")`` for one the parser had to guess (security fix
    "forged From via parser defects": ``victim@x (c) <attacker@y>``, ``<victim@x>attacker@y``,
    an encoded word that decodes to an address) or could not parse at all (an encoded CR/LF).
    Routing sends those to care unauthenticated.
    """
    found: list[tuple[str, str]] = []
    raw_values = [v for n, v in msg.raw_items() if n.lower() == "from"]
    try:
        cached = (parsed or {}).get("from")
        headers = cached if cached is not None else list(msg.get_all("From") or [])
    except Exception:  # listed by _header_defects; the sender is unclear
        return [("", "")]
    for index, header in enumerate(headers):
        raw = str(raw_values[index] if index < len(raw_values) else header).lower()
        defects = {type(d).__name__ for d in getattr(header, "defects", ())}
        addresses = getattr(header, "addresses", ())
        for address in addresses:
            spec = address.addr_spec.lower()
            clean = (
                not defects - _TOLERATED_DEFECTS - _RAW_8BIT
                and (spec.isascii() or not defects & _RAW_8BIT)
                and len(addresses) == 1
                and _ADDR_SPEC.fullmatch(spec) is not None
                and spec in raw  # the address as written, not decoded from an encoded word
            )
            name = safe_text(str(address.display_name))[:200]
            found.append((name, spec) if clean else ("", ""))
        if not addresses:
            found.append(("", ""))
    return found


def _angle(value: object) -> str:
    return safe_text(str(value or "")).strip().strip("<>").strip()[:998]


_MSG_ID = re.compile(r"<([^<>\s]{1,250})>")


def message_ids(value: str) -> list[str]:
    """The ``<…>`` message ids of an In-Reply-To/References value, without brackets."""
    return _MSG_ID.findall(value[:20_000])[:100]


class _Walk:
    """One iterative pass over the MIME tree, enforcing the limits as it goes."""

    def __init__(
        self, msg: EmailMessage, limits: MailLimits, deadline: float, defects: _Defects
    ) -> None:
        self.limits = limits
        self.defects = defects
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
            try:
                enclosed = self._part(part, depth, enclosed, stack)
            except MailRejected:
                raise
            except Exception as exc:  # a stdlib error on one part: listed, the rest goes on
                self.defects.add(
                    f"part {count} unreadable: {type(exc).__name__}: {safe_text(str(exc))}"[:300],
                    broken=True,
                )
            if not enclosed:
                self.defects.of(part, "message" if count == 1 else f"part {count}")

    def _part(self, part: Message, depth: int, enclosed: bool, stack: list) -> bool:
        """One part: its children onto the stack, or its content; True once inside a
        forwarded message."""
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
            return enclosed
        self._leaf(part, ctype, enclosed)
        return enclosed

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
                filename=safe_text(str(filename)),
                content_type=part.get_content_type(),
                data=data,
                inline=part.get_content_disposition() == "inline" or bool(part.get("Content-ID")),
                content_id=_angle(part.get("Content-ID")),
            )
        )


class _SharedHeaders(HeaderRegistry):
    """``policy.default`` parses a header again on every read (a part's ``Content-Type`` ~5
    times in the walk, ``get_filename``, ``get_content_charset``…; issue 17, item 2). The
    header objects are immutable, so the same name and value give the same object, across
    messages too (``text/plain; charset=utf-8`` is everywhere). Only short values are kept,
    and at most ``SIZE`` of them: a kept header holds its parse tree (~18 KB, up to ~760
    bytes a character with many parameters), so this caps it near 25 MB a process."""

    SIZE = 256
    LONGEST = 128

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > self.LONGEST:
            return super().__call__(name, value)
        key = (name, value)
        header = self._seen.get(key)
        if header is None:
            header = super().__call__(name, value)
            if len(self._seen) >= self.SIZE:
                self._seen.clear()
            self._seen[key] = header
        return header


MAIL_POLICY = policy.default.clone(header_factory=_SharedHeaders())


def parse_message(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """The parsed message, control headers already stripped; ``MailRejected`` otherwise."""
    limits = limits or mail_limits()
    started = time.monotonic()
    _prescan(raw, limits)
    try:
        source, runs = set_aside(raw)
        msg = BytesParser(policy=MAIL_POLICY).parsebytes(source)
        if runs:
            put_back(msg, runs)
    except Exception as exc:  # pragma: no cover - the stdlib parser itself is lenient
        raise MailRejected("unparseable", f"The parser failed: {type(exc).__name__}.") from None
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default guarantees it
        raise MailRejected("unparseable", "The message could not be parsed.")
    defects = _Defects()
    walk = _Walk(msg, limits, started + limits.max_seconds, defects)
    headers = [(name, decode_header_value(str(value))) for name, value in msg.raw_items()]
    if not headers:
        raise MailRejected("unparseable", "The message has no headers.")
    parsed = _header_defects(msg, defects)
    get = lambda name: _header(msg, name, defects, parsed)  # noqa: E731
    try:
        content_type = msg.get_content_type()
    except Exception:  # listed by _header_defects
        content_type = "text/plain"
    auth_results = [v for n, v in msg.raw_items() if n.lower() == "authentication-results"]
    return ParsedMail(
        headers=headers,
        stripped=sorted(set(walk.stripped)),
        subject=next((v for n, v in headers if n.lower() == "subject"), ""),
        message_id=_angle(get("Message-ID")),
        in_reply_to=_angle(get("In-Reply-To")),
        references=message_ids(" ".join((get("In-Reply-To"), get("References")))),
        from_addresses=_addresses(msg, parsed),
        auto_submitted=get("Auto-Submitted").strip().lower(),
        precedence=get("Precedence").strip().lower(),
        return_path=_angle(get("Return-Path")) if "Return-Path" in msg else None,
        autoreply_header=any(get(h) for h in ("X-Autoreply", "X-Autorespond")),
        auth_results=[" ".join(safe_text(str(v)).split()) for v in auth_results],
        content_type=content_type,
        text="\n\n".join(t.strip("\n") for t in walk.text_parts),
        html=walk.html or "",
        attachments=walk.attachments,
        defects=defects.all,
        broken=defects.broken,
    )
