"""Deployment check: inbound mail without sender authentication (security rule 1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_mail_sender_authentication(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn under ``check --deploy`` while ``CASEDESK_MAIL_TRUSTED_AUTHSERV_ID`` is empty.

    Without it any From address is believed: a forged reply joins a case as the contact.
    Inbound mail may be running in another process (``casedesk mail-receiver``), so the
    check cannot tell whether mail is in use: it always warns while the setting is empty.
    """
    if getattr(settings, "MAIL_TRUSTED_AUTHSERV_ID", ""):
        return []
    return [
        Warning(
            "CASEDESK_MAIL_TRUSTED_AUTHSERV_ID is empty: inbound mail is not sender-"
            "authenticated, so a forged From address can add updates to cases.",
            hint="Set it to the authserv-id your MTA writes in Authentication-Results "
            "(and make the MTA check SPF/DKIM/DMARC); ignore this if the site receives no "
            "mail.",
            id="casedesk.mail.W001",
        )
    ]
