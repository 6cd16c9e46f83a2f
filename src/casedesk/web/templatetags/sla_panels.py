"""The clock panel of both case pages: milestones (C3, C4), follow-up (C5), the centre serving
the case now (C2) and retention (C7), all in the case region's business time."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.core import clock
from casedesk.sla.selectors import case_clock

register = template.Library()


@register.inclusion_tag("panels/clock.html")
def case_clock_panel(case: Any, user: Any) -> dict[str, Any]:
    return {
        "case": case,
        "clock": case_clock(case, clock.now()),
        "support": bool(getattr(user, "is_support", False)),
    }


@register.filter
def served_by(centres: Any, region: str) -> str:
    """``{{ centres|served_by:case.region }}``: the centre serving that region now (C2)."""
    return centres.centre_of(region) if centres else ""
