"""Which support policy applies: the newest version for new cases, the recorded one after."""

from __future__ import annotations

from functools import lru_cache

from casedesk.policy.calendars import BusinessCalendar
from casedesk.policy.defaults import DEFAULT_POLICY, SupportPolicy

from .models import PolicyVersion


@lru_cache(maxsize=64)
def _parsed(number: int) -> SupportPolicy:
    row = PolicyVersion.objects.filter(number=number).only("data").first()
    return SupportPolicy.from_dict(row.data) if row else DEFAULT_POLICY


def current_policy_number() -> int:
    """Newest saved version; 0 means the built-in handbook defaults."""
    return PolicyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0


def policy(number: int) -> SupportPolicy:
    """Versions never change once saved, so parsing is cached per number."""
    return DEFAULT_POLICY if number == 0 else _parsed(number)


def calendar_for(policy_number: int, region: str) -> BusinessCalendar:
    chosen = policy(policy_number)
    try:
        return chosen.calendar(region)
    except KeyError:
        return chosen.calendar(chosen.default_region)
