"""``{% case_dropbox_panel %}``: the drop box card on both case pages (D2)."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.core import clock
from casedesk.dropbox.permissions import can_manage_dropbox
from casedesk.dropbox.selectors import dropbox_login_for

register = template.Library()


@register.inclusion_tag("panels/dropbox.html", takes_context=True)
def case_dropbox_panel(context: template.Context) -> dict[str, Any]:
    case = context["case"]
    user = context["user"]
    login = dropbox_login_for(user, case, clock.now())
    return {
        "case": case,
        "login": login,
        "support": bool(getattr(user, "is_support", False)),
        "can_manage": can_manage_dropbox(user),
        "csrf_token": context.get("csrf_token"),
    }
