"""Deployment check: inbound mail believed without sender authentication (security rule 1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

SENDER_AUTH_WARNING = (
    "CASEDESK_MAIL_TRUSTED_AUTHSERV_ID is empty: no reply can be sender-authenticated, so "
    "replies wait in the care queue (or, with CASEDESK_MAIL_TRUST_UNAUTHENTICATED=true, a "
    "forged From address can add updates to cases)."
)
UNSAFE_WARNING = (
    "CASEDESK_MAIL_TRUST_UNAUTHENTICATED is on without CASEDESK_MAIL_TRUSTED_AUTHSERV_ID: "
    "inbound mail is not sender-authenticated, so a forged From address can add updates "
    "to cases."
)


def sender_auth_mode() -> str:
    """One line saying how inbound senders are judged (banners and logs)."""
    if getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", ""):
        return f"sender authentication by {settings.MAIL_TRUSTED_AUTHSERV_ID}"
    if getattr(settings, "MAIL_TRUST_UNAUTHENTICATED", False):
        return (
            "sender authentication OFF: CASEDESK_MAIL_TRUST_UNAUTHENTICATED=true, "
            "unsafe outside a demo"
        )
    return "senders unauthenticated: replies wait in the care queue"


@register(Tags.security, deploy=True)
def check_mail_sender_authentication(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn under ``check --deploy`` when the site opted out of sender authentication,
    whatever receives its mail (SMTP/LMTP receiver or IMAP poller): any From address would
    be believed. The default (no authserv-id, no opt-out) holds replies for care and is
    clean (rule 12).
    """
    if getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", "") or not getattr(
        settings, "MAIL_TRUST_UNAUTHENTICATED", False
    ):
        return []
    return [
        Warning(
            UNSAFE_WARNING,
            hint="Set CASEDESK_MAIL_TRUSTED_AUTHSERV_ID to the authserv-id your MTA writes in "
            "Authentication-Results (and make the MTA check SPF/DKIM/DMARC), and turn "
            "CASEDESK_MAIL_TRUST_UNAUTHENTICATED off.",
            id="casedesk.mail.W001",
        )
    ]
