"""Follow-the-sun routing (C2): which regional centre serves a case right now.

Latin America, Brazil and Japan are served by their own centre in local business
hours only (in the local language). Every other case goes to the global centre on
shift now — its own region's centre first if that one is open, else the first open
one in the policy's order; when none is open (a weekend everywhere) it stays with
its own region's centre, whose on-call engineers answer Production Down 24/7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .calendars import format_local

if TYPE_CHECKING:
    from .defaults import SupportPolicy


@dataclass(frozen=True, slots=True)
class Routing:
    centre: str
    on_shift: bool
    reason: str


def route(case_region: str, now: datetime, policy: SupportPolicy) -> Routing:
    home = policy.region(case_region)
    if home.local_hours_only:
        cal = home.calendar
        if cal.is_working_time(now):
            return Routing(
                home.key,
                True,
                f"{home.label} cases are served by the {home.label} "
                "centre in local business hours; it is open now",
            )
        opens = format_local(cal.next_opening(now), cal)
        return Routing(
            home.key,
            False,
            f"{home.label} cases are served by the {home.label} "
            f"centre in local business hours only; it opens {opens}",
        )
    if home.calendar.is_working_time(now):
        return Routing(home.key, True, f"the {home.label} centre is on shift")
    for region in policy.regions:
        if not region.local_hours_only and region.calendar.is_working_time(now):
            return Routing(
                region.key,
                True,
                f"follow-the-sun: the {region.label} centre is "
                f"on shift while {home.label} is closed",
            )
    return Routing(
        home.key,
        False,
        f"no centre is on shift; the {home.label} on-call engineers take Production Down cases",
    )


def regions_served_by(centre: str, now: datetime, policy: SupportPolicy) -> list[str]:
    """Case regions routed to ``centre`` at ``now``: a small set to filter a queue by."""
    return [r.key for r in policy.regions if route(r.key, now, policy).centre == centre]
