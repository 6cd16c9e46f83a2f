"""The Production Down banner of the open-case form (F5): care's instructions, as data."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.resources.selectors import emergency_instructions

register = template.Library()


@register.inclusion_tag("panels/emergency.html")
def emergency_banner() -> dict[str, Any]:
    return {"steps": emergency_instructions()}
