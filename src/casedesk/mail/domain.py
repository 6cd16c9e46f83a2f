"""Our mail domain, shared by outbound Message-IDs and inbound loop detection."""

from __future__ import annotations

from django.conf import settings


def mail_domain() -> str:
    """``CASEDESK_MAIL_DOMAIN``, else the domain of the From address (``CASEDESK_MAIL_FROM``)."""
    configured = (getattr(settings, "MAIL_DOMAIN", "") or "").strip()
    if configured:
        return configured.lower()
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return (sender.rpartition("@")[2] or "casedesk.invalid").strip().lower()
