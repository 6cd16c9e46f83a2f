"""A message as an update on its case through the cases service, then its files."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.services import case_add_update
from casedesk.files.models import Attachment, Source
from casedesk.files.services import attachment_store

from ..models import InboundMessage
from ..parsing import MailPart
from ._common import BODY_MAX, EVENT_HTML_MAX


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
