"""The one authorisation rule for cases, used by pages, API, lists and downloads (rule 3).

A contact sees the cases they opened, and with "see colleagues' cases" every case of
their organisation (A3), never a case of another organisation, not even one they opened
before care moved them to another (A4). Support staff see every case (A4). Anything
else is treated exactly like a case that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from casedesk.accounts.models import Role
from casedesk.policy.transitions import Actor

if TYPE_CHECKING:
    from casedesk.accounts.models import User

    from .models import Case


def actor_for(user: User | None) -> Actor:
    if user is None:
        return Actor.SYSTEM
    return Actor.CONTACT if user.role == Role.CONTACT else Actor.SUPPORT


def _conditions(user: User) -> dict[str, int | None] | None:
    """The visibility rule, stated once: None means every case; otherwise the case fields that
    must all equal these values. ``visibility_filter`` (SQL) and ``can_view_case`` (one case in
    hand) both read it, so lists and detail pages cannot disagree (tests/security)."""
    if user.role != Role.CONTACT:
        return None  # A4: support staff see every case
    conditions: dict[str, int | None] = {"organisation_id": user.organisation_id}  # A4
    if not user.can_see_colleagues:
        conditions["contact_id"] = user.pk  # A3: the cases they opened
    return conditions


def visibility_filter(user: User) -> Q | None:
    """A filter limiting cases to what ``user`` may see; None means everything."""
    if not user.is_active:
        return Q(pk__in=[])
    conditions = _conditions(user)
    return None if conditions is None else Q(**conditions)


def scope_cases(user: User, queryset: QuerySet[Case]) -> QuerySet[Case]:
    rule = visibility_filter(user)
    return queryset if rule is None else queryset.filter(rule)


def can_view_case(user: User, case: Case) -> bool:
    if not user.is_active:
        return False
    conditions = _conditions(user)
    return conditions is None or all(getattr(case, f) == v for f, v in conditions.items())


def is_participant(user: User, case: Case) -> bool:
    """A participant may post to the case: its contact, a colleague with visibility, or support."""
    return can_view_case(user, case)


def can_see_internal(user: User) -> bool:
    """Internal notes are for support staff only."""
    return user.is_active and user.role != Role.CONTACT
