"""The case page's Files panel, shared by the portal and the console (D1, D3, D4)."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.files.selectors import case_attachments

register = template.Library()


@register.inclusion_tag("panels/files.html", takes_context=True)
def case_files_panel(context: template.Context, case: Any) -> dict[str, Any]:
    """Every attachment with SHA-256, size, uploader and date; the upload client while open.

    The page including this already authorised ``case`` for ``user`` (``access_case``).
    """
    return {
        "case": case,
        "attachments": case_attachments(case),
        "can_upload": not case.is_closed,
        "csrf_token": context.get("csrf_token", ""),
    }
