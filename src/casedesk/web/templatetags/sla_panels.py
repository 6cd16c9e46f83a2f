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


@register.inclusion_tag("panels/urgent_banner.html")
def urgent_banner(user: Any) -> dict[str, Any]:
    """Every console page: how many Critical / Production Down cases nobody has taken (B, C3),
    around the clock. One indexed count of at most 100 rows."""
    from casedesk.cases.selectors import urgent_unassigned_count

    count = urgent_unassigned_count(user) if getattr(user, "is_support", False) else 0
    return {"count": count, "shown": "99+" if count > 99 else str(count)}


@register.filter
def served_by(centres: Any, region: str) -> str:
    """``{{ centres|served_by:case.region }}``: the centre serving that region now (C2)."""
    return centres.centre_of(region) if centres else ""
