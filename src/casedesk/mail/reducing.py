"""Reducing a stored raw message to its text (C7, C9: "attached data" includes the
attachments of inbound e-mail).

``reduce_to_text`` keeps the header block and the body text (``text/plain`` and
``text/html`` parts that are not attachments) and drops every other part: attachments,
inline images, forwarded messages, anything binary. It is idempotent, and a message that
cannot be parsed keeps only its header block, so nothing the sender attached survives.
"""

from __future__ import annotations

import email
from email import policy as email_policy
from email.message import Message

_TEXT_TYPES = frozenset({"text/plain", "text/html"})


def _is_body_text(part: Message) -> bool:
    return (
        part.get_content_type() in _TEXT_TYPES
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )


def _prune(part: Message) -> bool:
    """Drop what is not body text below ``part``; False when nothing of it is left."""
    if part.is_multipart():
        if part.get_content_maintype() != "multipart":
            return False  # message/rfc822 and the like: a forwarded message is an attachment
        kept = [child for child in part.get_payload() if _prune(child)]
        part.set_payload(kept)
        return bool(kept)
    return _is_body_text(part)


def header_block(raw: bytes) -> bytes:
    """Everything up to the first empty line (the headers), with one empty line after."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(separator)
        if at != -1:
            return raw[: at + len(separator)]
    return raw if raw.endswith(b"\n") else raw + b"\r\n\r\n"


def reduce_to_text(raw: bytes) -> bytes:
    """The message with its headers and body text only (see the module docstring)."""
    try:
        message = email.message_from_bytes(raw, policy=email_policy.compat32)
        if message.is_multipart() and message.get_content_maintype() == "multipart":
            if not _prune(message):
                message.set_payload([])
        elif not message.is_multipart() and _is_body_text(message):
            return raw  # a plain message already is its text
        else:
            return header_block(raw)
        return message.as_bytes(policy=email_policy.compat32)
    except Exception:  # whatever breaks the parser (rule 6): keep only the headers
        return header_block(raw)
