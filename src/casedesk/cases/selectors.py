"""Reads of cases, already scoped to what the actor may see (convention 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from casedesk.core.errors import NotFound
from casedesk.policy.transitions import ACTIVE, TERMINAL, WAITING_ON_CUSTOMER, SubStatus

from .models import Case, CaseEvent, parse_case_number
from .permissions import can_see_internal, scope_cases

if TYPE_CHECKING:
    from casedesk.accounts.models import User

PAGE_SIZE = 25
MAX_PAGE = 400

SORTS = {
    "updated": ("-updated_at", "-id"),
    "-updated": ("updated_at", "id"),
    "opened": ("-opened_at", "-id"),
    "-opened": ("opened_at", "id"),
    "priority": ("priority_rank", "opened_at", "id"),
}
QUEUE_SORTS = {
    "oldest": ("opened_at", "id"),
    "newest": ("-opened_at", "-id"),
    "updated": ("-updated_at", "-id"),
}


@dataclass(frozen=True)
class CaseFilters:
    """What a list page or the API asks for; every field is optional."""

    scope: str = "mine"  # mine | all (all needs colleague visibility or a support role)
    state: str = "open"  # open | closed | waiting_on_support | waiting_on_customer | any
    priority: str = ""
    product_group: int | None = None
    region: str = ""
    regions: tuple[str, ...] = ()  # any of these (a centre's follow-the-sun share, C2)
    sub_status: str = ""
    assignee: str = ""  # "" | "me" | "none"
    q: str = ""
    sort: str = "updated"
    page: int = 1


@dataclass(frozen=True)
class Page:
    items: list[Case]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _state_filter(state: str) -> Q:
    from casedesk.policy.transitions import WAITING_ON_SUPPORT

    groups = {
        "open": ACTIVE,
        "closed": TERMINAL,
        "waiting_on_support": WAITING_ON_SUPPORT,
        "waiting_on_customer": WAITING_ON_CUSTOMER,
    }
    if state == "reopen_requested":
        return Q(sub_status=SubStatus.CUSTOMER_REQUESTED_REOPEN)
    if state in groups:
        return Q(status__in=[s.value for s in groups[state]])
    return Q()


def _base(user: User) -> QuerySet[Case]:
    return scope_cases(user, Case.objects.all()).select_related(
        "contact", "organisation", "product", "product_group", "assignee", "site"
    )


def list_cases(user: User, filters: CaseFilters) -> Page:
    """Customer and API lists (B10): my cases, or all of the organisation's with A3."""
    qs = _base(user)
    if filters.scope != "all" or (user.is_contact and not user.can_see_colleagues):
        if user.is_contact:
            qs = qs.filter(contact_id=user.pk)
        elif filters.scope == "mine":
            qs = qs.filter(assignee_id=user.pk)
    qs = qs.filter(_state_filter(filters.state))
    qs = _apply_common(qs, user, filters)
    return _paginate(qs, filters, SORTS)


def engineer_queue(user: User, filters: CaseFilters) -> Page:
    """Engineers' queue by product group and region, oldest first by default (B10, C2)."""
    qs = _base(user).filter(_state_filter(filters.state or "waiting_on_support"))
    qs = _apply_common(qs, user, filters)
    return _paginate(qs, filters, QUEUE_SORTS, default="oldest")


def _apply_common(qs: QuerySet[Case], user: User, filters: CaseFilters) -> QuerySet[Case]:
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.product_group:
        qs = qs.filter(product_group_id=filters.product_group)
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.regions:
        qs = qs.filter(region__in=filters.regions)
    if filters.sub_status:
        qs = qs.filter(sub_status=filters.sub_status)
    if filters.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    if filters.q:
        pk = parse_case_number(filters.q)
        text = Q(subject__icontains=filters.q.strip())
        qs = qs.filter(text | Q(pk=pk)) if pk is not None else qs.filter(text)
    return qs


def _paginate(
    qs: QuerySet[Case], filters: CaseFilters, sorts: dict[str, tuple[str, ...]], default: str = ""
) -> Page:
    order = sorts.get(filters.sort) or sorts[default or next(iter(sorts))]
    if "priority_rank" in order:
        from django.db.models import Case as When_
        from django.db.models import IntegerField, Value, When

        qs = qs.annotate(
            priority_rank=When_(
                When(priority="critical", then=Value(0)),
                When(priority="high", then=Value(1)),
                When(priority="medium", then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    page = min(max(filters.page, 1), MAX_PAGE)
    start = (page - 1) * PAGE_SIZE
    qs = qs.order_by(*order)
    if start == 0:
        rows = list(qs[: PAGE_SIZE + 1])
    else:
        # Deferred join: skip the first ``start`` rows on ids alone (an index walk), then
        # join the related rows for one page only, instead of for every skipped row.
        ids = list(qs.values_list("pk", flat=True)[start : start + PAGE_SIZE + 1])
        rows = list(qs.filter(pk__in=ids))  # same ordering, so the same rows in the same order
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def access_case(user: User, number: str | int, *, for_update: bool = False) -> Case:
    """The case by number if ``user`` may see it; otherwise NotFound, like a missing one."""
    pk = number if isinstance(number, int) else parse_case_number(number)
    if pk is None:
        raise NotFound("No such case.")
    qs = _base(user).select_related("contract", "major_version", "patch", "linked_from")
    try:
        return qs.get(pk=pk)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def case_timeline(user: User, case: Case) -> list[CaseEvent]:
    """The case's events in order; internal notes only for support staff."""
    qs = case.events.select_related("actor")
    if not can_see_internal(user):
        qs = qs.filter(public=True)
    return list(qs)


def dashboard_counts(user: User) -> dict[str, int]:
    """Small counters for the portal dashboard, bounded by the user's own scope."""
    qs = scope_cases(user, Case.objects.all())
    mine = qs.filter(contact_id=user.pk) if user.is_contact else qs.filter(assignee_id=user.pk)
    return {
        "waiting_on_you": mine.filter(_state_filter("waiting_on_customer")).count(),
        "open": mine.filter(_state_filter("open")).count(),
        "closed": mine.filter(_state_filter("closed")).count(),
    }
