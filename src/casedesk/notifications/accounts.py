"""Account mail through the outbox: password reset links and invitations (A2; convention 6).

These mails belong to a person, not a case, so they are rendered when queued (like the
escalation mails) and the row carries no case or event: the send pump sends a rendered
row as it is. They travel the same road as case mail — written in the caller's
transaction, retried with back-off while the SMTP server is away, visible to care when
they fail — and never block the page that asked for them on an SMTP round trip (which
would also let response times tell a known address from an unknown one).

The link carries a Django password-reset token (HMAC over the user's password hash, last
login and a timestamp; ``PASSWORD_RESET_TIMEOUT``): setting a password, or a later login,
makes it useless, so it works once. The outbox row keeps the rendered text, so care's
outbox page does not show the bodies of these kinds (``notifications.admin``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from casedesk.accounts.models import User

from .models import OutboundMessage
from .rendering import new_message_id, one_line
from .services import outbox_enqueue

# kind -> subject line; the bodies are notifications/<kind>.txt and .html.
ACCOUNT_SUBJECTS = {
    "account_password_reset": "Reset your casedesk password",
    "account_invitation": "Your casedesk account: choose your password",
}
ACCOUNT_KINDS = tuple(ACCOUNT_SUBJECTS)


def account_mail_queue(
    *, user: User, kind: str, link: str, now: dt.datetime, extra: dict[str, Any] | None = None
) -> OutboundMessage:
    """Queue one rendered account mail to ``user``; must run inside the caller's transaction."""
    if kind not in ACCOUNT_SUBJECTS:
        raise ValueError(f"unknown account mail {kind!r}")
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    context = {
        "user": user,
        "link": link,
        "valid_for": f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours",
        "site_url": settings.SITE_URL.rstrip("/"),
        **(extra or {}),
    }
    message_id = new_message_id(kind)
    row = OutboundMessage(
        kind=kind,
        to=[user.email],
        subject=one_line(ACCOUNT_SUBJECTS[kind]),
        text_body=render_to_string(f"notifications/{kind}.txt", context),
        html_body=render_to_string(f"notifications/{kind}.html", context),
        message_id=message_id,
        idempotency_key=f"account:{kind}:{user.pk}:{message_id}"[:300],
        next_attempt_at=now,
        created_at=now,
    )
    outbox_enqueue(rows=[row])
    return row
