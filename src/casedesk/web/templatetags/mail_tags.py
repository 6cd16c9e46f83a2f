"""Template helpers for e-mail on case timelines and the care queue (rule 5)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from casedesk.mail.sanitise import sanitise_html

register = template.Library()


@register.filter
def mail_html(value: str | None) -> SafeString:
    """Stored e-mail HTML, sanitised again on output: only the allowlist ever renders."""
    return mark_safe(sanitise_html(value or ""))  # noqa: S308 - nh3 allowlist output
