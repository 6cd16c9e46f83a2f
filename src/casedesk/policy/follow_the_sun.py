"""Follow-the-sun routing (C2, C9): which regional centre serves a case right now.

Latin America, Brazil and Japan are served by their own centre in local business
hours only (in the local language). Every other case goes to the global centre on
shift now — its own region's centre first if that one is open, else the first open
one in the policy's order. C9: North America, EMEA and Asia-Pacific are served around
the clock for every priority, so when no centre is in its business hours (weekends,
holidays, the gap between Sydney closing and London opening) the case's own centre
is on shift through its on-call engineers. A policy with ``support_around_the_clock``
off keeps the old reading: nobody is on shift then.
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
    """``on_call``: the centre serves through its on-call engineers, outside its hours."""

    centre: str
    on_shift: bool
    reason: str
    on_call: bool = False


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
    if policy.support_around_the_clock:
        return Routing(
            home.key,
            True,
            f"no centre is in business hours; the {home.label} on-call engineers are on shift",
            on_call=True,
        )
    return Routing(
        home.key,
        False,
        f"no centre is on shift; the {home.label} on-call engineers take Production Down cases",
    )


def regions_served_by(centre: str, now: datetime, policy: SupportPolicy) -> list[str]:
    """Case regions routed to ``centre`` at ``now``: a small set to filter a queue by."""
    return [r.key for r in policy.regions if route(r.key, now, policy).centre == centre]
