"""Who serves a case now (B, C2, C3): the centre on shift, its engineers and on-call engineers,
and the region's queue owners. Reads only; the mails are planned by ``notifications``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache

from casedesk.accounts.models import Role, User
from casedesk.policy.alerts import is_urgent
from casedesk.policy.follow_the_sun import Routing, route

from .models import Duty, RegionDuty
from .selectors import policy

if TYPE_CHECKING:
    from casedesk.cases.models import Case


@dataclass(frozen=True)
class CaseStaff:
    routing: Routing
    centre_label: str
    engineers: list[str]  # the addresses of the centre's engineers
    on_call: list[str]  # its on-call engineers; looked up for urgent cases only
    urgent: bool


def _emails(qs: object) -> list[str]:
    return list(qs.exclude(email="").order_by("pk").values_list("email", flat=True))  # type: ignore[attr-defined]


def staff_for_case(case: Case, now: dt.datetime) -> CaseStaff:
    """The centre serving ``case`` at ``now`` (follow the sun, C2/C9) and its people."""
    chosen = policy(case.policy_version)
    region = case.region if any(r.key == case.region for r in chosen.regions) else None
    routing = route(region or chosen.default_region, now, chosen)
    centre = routing.centre
    engineers = centre_engineers(centre)
    urgent = is_urgent(case.priority)
    on_call = on_call_for(centre) if urgent else []
    return CaseStaff(routing, chosen.region(centre).label, engineers, on_call, urgent)


STAFF_CACHE_SECONDS = 60


def centre_engineers(centre: str) -> list[str]:
    """The centre's engineers, cached a minute: read on every opening (the busiest write),
    they change rarely, and a new engineer then hears of new cases within the minute."""
    key = f"casedesk:centre-engineers:{centre}"
    found = cache.get(key)
    if found is None:
        found = _emails(User.objects.filter(is_active=True, role=Role.ENGINEER, region=centre))
        cache.set(key, found, STAFF_CACHE_SECONDS)
    return list(found)


def on_call_for(centre: str) -> list[str]:
    return _duty(centre, Duty.ON_CALL)


def queue_owners(region: str) -> list[str]:
    """The region's queue owners; where care named none, the support managers."""
    return _duty(region, Duty.QUEUE_OWNER) or _emails(
        User.objects.filter(is_active=True, role=Role.MANAGER)
    )


def _duty(region: str, duty: str) -> list[str]:
    return _emails(
        User.objects.filter(is_active=True, duties__region=region, duties__duty=duty).distinct()
    )


def duties() -> list[RegionDuty]:
    return list(RegionDuty.objects.select_related("user"))
