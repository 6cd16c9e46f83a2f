"""Deployment check: inbound mail without sender authentication (security rule 1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

SENDER_AUTH_WARNING = (
    "CASEDESK_MAIL_TRUSTED_AUTHSERV_ID is empty: inbound mail is not sender-authenticated, "
    "so a forged From address can add updates to cases."
)


@register(Tags.security, deploy=True)
def check_mail_sender_authentication(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn under ``check --deploy`` when the IMAP poller is configured without
    ``CASEDESK_MAIL_TRUSTED_AUTHSERV_ID``: any From address would be believed.

    A site that receives no mail stays clean (rule 12); ``casedesk mail-receiver`` prints
    the same warning when it starts without the setting.
    """
    if getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", "") or not settings.IMAP_HOST:
        return []
    return [
        Warning(
            SENDER_AUTH_WARNING,
            hint="Set it to the authserv-id your MTA writes in Authentication-Results "
            "(and make the MTA check SPF/DKIM/DMARC).",
            id="casedesk.mail.W001",
        )
    ]
