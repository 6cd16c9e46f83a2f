"""The bytes of an outbox message, built directly (E1; rule 5: no header injection).

Django's ``EmailMultiAlternatives`` builds an ``email.message`` tree and flattens it with
``email.generator``, which re-folds every header: ~0.4 ms per message, a third of the
send step's CPU. Outbox mail always has the same shape — a handful of known headers, a
plain-text body and, for most kinds, an HTML alternative — so it is written here as one
byte string: bodies that are ASCII with short lines go as 7bit, anything else as
quoted-printable (``binascii``, in C), so no server needs 8BITMIME. Non-ASCII header
values are RFC 2047 encoded, long ones folded, and a line break in any header value is
refused (``BadHeaderError``, as Django does). ``tests/notifications/test_mime.py`` checks
that a standard parser reads back exactly what Django's own message would say.

The result is ready for SMTP DATA: CRLF line endings, lines starting with a dot doubled.
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from email.utils import formatdate, parseaddr

from django.conf import settings
from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address

MAX_LINE = 998
# The To header of a message whose recipients are all in the envelope only (RFC 5322 §A.1.3:
# an empty group), so none of them sees who else got it.
UNDISCLOSED = "undisclosed-recipients:;"


@dataclass(frozen=True)
class Sender:
    """The ``From`` header and the envelope sender, worked out once per batch."""

    header: str
    address: str

    @classmethod
    def from_settings(cls) -> Sender:
        formatted = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        return cls(header=formatted, address=parseaddr(formatted)[1])


def _check(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for {name})")
    return value


def _encoded_words(name: str, value: str) -> str:
    """``Name: value`` as RFC 2047 base64 encoded-words, one per folded line.

    ``email.header.Header`` chooses between Q and B encoding by measuring the Q form byte
    by byte in Python (~0.8 ms for a 60-character subject); B is written directly here,
    each word at most 75 characters and cut between UTF-8 characters, never inside one."""
    data = value.encode("utf-8")
    words, start = [], 0
    # "=?utf-8?b?" + base64 + "?=": 12 characters around 4 per 3 bytes; the first word
    # shares its line with the header's name.
    size = max(6, (78 - len(name) - 2 - 12) // 4 * 3)
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a character: back up
            end -= 1
        words.append("=?utf-8?b?" + binascii.b2a_base64(data[start:end], newline=False).decode())
        words[-1] += "?="
        start, size = end, 45
    return f"{name}: " + "\r\n ".join(words)


def _header(name: str, value: str) -> str:
    """``Name: value`` folded at white space near 78 characters; RFC 2047 if not ASCII."""
    _check(name, value)
    if not value.isascii():
        return _encoded_words(name, value)
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line
    out, current = [], f"{name}:"
    for word in value.split(" "):
        if current.strip() and len(current) + 1 + len(word) > 78:
            out.append(current)
            current = ""
        current += " " + word
    out.append(current)
    return "\r\n".join(out)


def address(value: str) -> str:
    """A recipient as it goes into ``To`` and ``RCPT TO``: plain ASCII as is, anything
    else (display names, international domains) through Django's own sanitising."""
    if value.isascii() and "<" not in value and "," not in value and value.strip() == value:
        return _check("To", value)
    return parseaddr(sanitize_address(value, "utf-8"))[1]


def _part_body(text: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, CRLF body) of one text part."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and "\x00" not in text and max(map(len, text.split("\n"))) <= MAX_LINE:
        return "7bit", text.encode("ascii").replace(b"\n", b"\r\n")
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return "quoted-printable", encoded.replace(b"\n", b"\r\n")


def _part(content_type: str, text: str) -> bytes:
    encoding, body = _part_body(text)
    head = (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body


def message_bytes(
    *,
    sender: Sender,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str],
    date: str | None = None,
) -> bytes:
    """One message's DATA: headers, then the text part alone or text and HTML as
    ``multipart/alternative``. ``to`` are named in the ``To`` header; without any, it
    reads ``undisclosed-recipients:;`` (the recipients are in the envelope only)."""
    lines = [
        f"From: {_check('From', sender.header)}",
        _header("To", ", ".join(to) or UNDISCLOSED),
        _header("Subject", subject),
        f"Date: {date or formatdate()}",
    ]
    lines += [_header(name, value) for name, value in headers.items()]
    lines.append("MIME-Version: 1.0")
    if not html:
        head = "\r\n".join(lines).encode("ascii") + b"\r\n"
        data = head + _part("text/plain", text)
    else:
        text_part, html_part = _part("text/plain", text), _part("text/html", html)
        boundary = "=_casedesk_" + secrets.token_hex(12)
        while boundary.encode() in text_part or boundary.encode() in html_part:
            boundary = "=_casedesk_" + secrets.token_hex(12)  # pragma: no cover
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        mark = f"\r\n--{boundary}\r\n".encode("ascii")
        data = (
            "\r\n".join(lines).encode("ascii")
            + b"\r\n"
            + mark
            + text_part
            + mark
            + html_part
            + f"\r\n--{boundary}--\r\n".encode("ascii")
        )
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b"."):
        data = b"." + data  # pragma: no cover — headers never start with a dot
    return data.replace(b"\r\n.", b"\r\n..")
