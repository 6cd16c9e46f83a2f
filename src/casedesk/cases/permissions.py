"""The one authorisation rule for cases, used by pages, API, lists and downloads (rule 3).

A contact sees the cases they opened, and with "see colleagues' cases" every case of
their organisation (A3), never a case of another organisation, not even one they opened
before care moved them to another (A4). Care may limit a contact to some of the
organisation's contracts (A3, "access to a contract"): they then see only cases on those.
Support staff see every case (A4). Anything else is treated exactly like a case that does
not exist.

Seeing is not deciding (C9): a colleague who sees a case may read it and add information;
closing, changing priority, escalating and requesting a re-open belong to the case's own
contact and to support (``may_decide``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from casedesk.accounts.models import Role
from casedesk.accounts.selectors import allowed_contract_ids
from casedesk.policy.transitions import Action, Actor

if TYPE_CHECKING:
    from casedesk.accounts.models import User

    from .models import Case

# What only the case's own contact (and support) may do to it (C9).
OWNER_ACTIONS = frozenset({Action.CLOSE, Action.REQUEST_REOPEN})
NOT_YOURS = (
    "Only the contact who opened this case, or support, may do this; you can read it and "
    "add information."
)


def actor_for(user: User | None) -> Actor:
    if user is None:
        return Actor.SYSTEM
    return Actor.CONTACT if user.role == Role.CONTACT else Actor.SUPPORT


Condition = int | None | frozenset[int]


def _conditions(user: User) -> dict[str, Condition] | None:
    """The visibility rule, stated once: None means every case; otherwise the case fields that
    must all equal these values (or be one of them, for a set). ``visibility_filter`` (SQL)
    and ``can_view_case`` (one case in hand) both read it, so lists and detail pages cannot
    disagree (tests/security)."""
    if user.role != Role.CONTACT:
        return None  # A4: support staff see every case
    conditions: dict[str, Condition] = {"organisation_id": user.organisation_id}  # A4
    if not user.can_see_colleagues:
        conditions["contact_id"] = user.pk  # A3: the cases they opened
    allowed = allowed_contract_ids(user)
    if allowed is not None:
        conditions["contract_id"] = allowed  # A3: care limited them to these contracts
    return conditions


def visibility_filter(user: User) -> Q | None:
    """A filter limiting cases to what ``user`` may see; None means everything."""
    if not user.is_active:
        return Q(pk__in=[])
    conditions = _conditions(user)
    if conditions is None:
        return None
    return Q(
        **{
            (f"{field}__in" if isinstance(value, frozenset) else field): value
            for field, value in conditions.items()
        }
    )


def scope_cases(user: User, queryset: QuerySet[Case]) -> QuerySet[Case]:
    rule = visibility_filter(user)
    return queryset if rule is None else queryset.filter(rule)


def _meets(actual: object, wanted: Condition) -> bool:
    return actual in wanted if isinstance(wanted, frozenset) else actual == wanted


def can_view_case(user: User, case: Case) -> bool:
    if not user.is_active:
        return False
    conditions = _conditions(user)
    return conditions is None or all(_meets(getattr(case, f), v) for f, v in conditions.items())


def is_participant(user: User, case: Case) -> bool:
    """A participant may post to the case: its contact, a colleague with visibility, or support."""
    return can_view_case(user, case)


def owns_or_supports(user: User, case: Case) -> bool:
    """The deciding half of ``may_decide``, for a case the caller already holds through the
    visibility rule (a page or API answer about it): its own contact, or support."""
    return user.role != Role.CONTACT or case.contact_id == user.pk


def may_decide(user: User, case: Case) -> bool:
    """Close, change priority, escalate, request a re-open: the case's own contact and
    support, not a colleague who only sees it (C9, A3)."""
    return can_view_case(user, case) and owns_or_supports(user, case)


def can_see_internal(user: User) -> bool:
    """Internal notes are for support staff only."""
    return user.is_active and user.role != Role.CONTACT
