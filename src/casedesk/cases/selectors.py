"""Reads of cases, already scoped to what the actor may see (convention 2)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from casedesk.accounts.models import Contract, ContractAccess, Refusal, Site
from casedesk.catalog.models import MajorVersion, Patch, Product, ProductGroup
from casedesk.core.errors import NotFound
from casedesk.core.rows import Columns, table
from casedesk.policy.reopen import reopen_deadline
from casedesk.policy.transitions import ACTIVE, TERMINAL, WAITING_ON_CUSTOMER, SubStatus
from casedesk.resources.models import VersionLifecycle
from casedesk.sla.models import PolicyVersion
from casedesk.sla.selectors import policy

from .models import ACTIVE_Q, Case, CaseEvent, parse_case_number
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
# The queue's orders (B10, C3), each served by a partial index over active cases (cases 0006);
# cases without a running milestone sort after those with one.
_DUE = F("next_due_at").asc(nulls_last=True)
QUEUE_SORTS = {
    "urgent": ("urgency", _DUE, "opened_at", "id"),
    "due": (_DUE, "id"),
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


# The queue counts up to this many and then says "1,000+": an exact COUNT over a million
# cases is not worth its cost to a person deciding what to take next.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Page:
    items: list[Case]
    number: int
    has_next: bool
    total: int | None = None  # capped at COUNT_CAP + 1 (see ``total_text``)

    @property
    def total_text(self) -> str:
        if self.total is None:
            return ""
        if self.total > COUNT_CAP:
            return f"{COUNT_CAP:,}+"
        return f"{self.total:,}"

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


def engineer_queue(user: User, filters: CaseFilters, *, count: bool = False) -> Page:
    """Engineers' queue by product group and region (B10, C2); most urgent first by default:
    Production Down, Critical, High …, then the nearest milestone target, then the oldest.
    ``count`` adds the total, capped at ``COUNT_CAP`` + 1."""
    qs = _base(user).filter(_state_filter(filters.state or "waiting_on_support"))
    qs = _apply_common(qs, user, filters)
    page = _paginate(qs, filters, QUEUE_SORTS, default="urgent")
    if not count:
        return page
    total = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return Page(page.items, page.number, page.has_next, total)


def urgent_unassigned_count(user: User, cap: int = 99) -> int:
    """Open Critical (and Production Down) cases nobody has taken: the console's banner
    (B, C3). Served by ``case_urgent_unassigned_idx``; counts at most ``cap`` + 1."""
    qs = scope_cases(user, Case.objects.all()).filter(
        ACTIVE_Q, priority="critical", assignee__isnull=True
    )
    return qs.order_by().values("pk")[: cap + 1].count()


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
    with _planned_for_its_values(bool(filters.q)):
        rows = _page_rows(qs, order, start)
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


@contextmanager
def _planned_for_its_values(needed: bool) -> Iterator[None]:
    """Have PostgreSQL plan a search for its own term, not reuse a generic plan.

    Prepared statements (settings: server-side binding) get a generic plan after a few
    runs, which cannot know how common ``%term%`` is and read every closed case of an
    organisation; planned for the term, with the statistics of cases 0005, a common term
    walks the list index and stops after one page (137 ms -> ~1 ms at 1M cases).
    """
    if not needed or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def _page_rows(qs: QuerySet[Case], order: tuple[str, ...], start: int) -> list[Case]:
    if start == 0 and "priority_rank" not in order:
        rows = list(qs[: PAGE_SIZE + 1])
    else:
        # Deferred join: skip the first ``start`` rows on ids alone (an index walk), or sort
        # by priority on the case table alone, then join the related rows for one page
        # only, instead of for every skipped or sorted row. Two reads: a case changed in
        # between may shift one row between pages, as any later page can.
        ids = list(qs.values_list("pk", flat=True)[start : start + PAGE_SIZE + 1])
        rows = list(qs.filter(pk__in=ids))  # same ordering, so the same rows in the same order
    return rows


def access_case(user: User, number: str | int, *, for_update: bool = False) -> Case:
    """The case by number if ``user`` may see it; otherwise NotFound, like a missing one."""
    pk = number if isinstance(number, int) else parse_case_number(number)
    if pk is None:
        raise NotFound("No such case.")
    qs = _base(user).select_related("contract__site", "major_version", "patch", "linked_from")
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


@dataclass(frozen=True)
class ReopenWindow:
    """The re-open window of a closed case under its own policy version (B7, C1, C9)."""

    days: int
    until: dt.datetime | None
    open_now: bool


def case_reopen_window(case: Case, now: dt.datetime) -> ReopenWindow:
    """Pages and mails read the case's policy, never a constant (issue 11 item 6)."""
    days = policy(case.policy_version).reopen_window_days
    until = reopen_deadline(case.closed_at, days) if case.closed_at else None
    return ReopenWindow(days=days, until=until, open_now=until is not None and now <= until)


def dashboard_counts(user: User) -> dict[str, int]:
    """Small counters for the portal dashboard, bounded by the user's own scope."""
    qs = scope_cases(user, Case.objects.all())
    mine = qs.filter(contact_id=user.pk) if user.is_contact else qs.filter(assignee_id=user.pk)
    return {
        "waiting_on_you": mine.filter(_state_filter("waiting_on_customer")).count(),
        "open": mine.filter(_state_filter("open")).count(),
        "closed": mine.filter(_state_filter("closed")).count(),
    }


# --- opening -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningFacts:
    """Everything opening a case checks, read in one statement (B2, A5, A6, A8, G5).

    ``contract`` (with its site) only if it belongs to the contact's organisation and,
    when care limited the contact to some contracts (A3), is one of them;
    ``major_version`` only if it is a version of ``product``; ``patch`` only if it belongs
    to that version. What a refusal needs to explain itself is looked up when one happens.
    """

    refused: bool
    contract: Contract | None
    product: Product | None
    contract_lists_products: bool
    contract_covers_product: bool
    major_version: MajorVersion | None
    patch: Patch | None
    policy_number: int
    end_of_support: dt.date | None = None  # of ``major_version`` (F1, T48)
    end_of_life: dt.date | None = None


_ID_MAX = 2**63 - 1
_CONTRACT = Columns(Contract, "c")
_SITE = Columns(Site, "s")
_PRODUCT = Columns(Product, "p")
_GROUP = Columns(ProductGroup, "g")
_VERSION = Columns(MajorVersion, "v")
_PATCH = Columns(Patch, "pa")
_PARTS = (_CONTRACT, _SITE, _PRODUCT, _GROUP, _VERSION, _PATCH)


@functools.cache
def _opening_sql() -> str:
    coverage = table(Contract.products.through)
    access = table(ContractAccess)
    # Identifiers come from model metadata; every value is a bound parameter.
    return (
        f"SELECT {', '.join(part.sql() for part in _PARTS)}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {table(Refusal)} r"
        " WHERE r.contact_id = %s AND r.lifted_at IS NULL), "
        f"EXISTS (SELECT 1 FROM {coverage} cp WHERE cp.contract_id = c.id), "
        f"EXISTS (SELECT 1 FROM {coverage} cp"
        " WHERE cp.contract_id = c.id AND cp.product_id = p.id), "
        f"(SELECT MAX(pv.number) FROM {table(PolicyVersion)} pv), "
        "lc.end_of_support, lc.end_of_life "
        "FROM (SELECT 1 AS one) one "
        f"LEFT JOIN {table(Contract)} c ON c.id = %s AND c.organisation_id = %s "
        # A contact without access rows has every contract; with rows, only those (A3).
        f"AND (NOT EXISTS (SELECT 1 FROM {access} a WHERE a.contact_id = %s) "
        f"OR EXISTS (SELECT 1 FROM {access} a WHERE a.contact_id = %s AND a.contract_id = c.id)) "
        f"LEFT JOIN {table(Site)} s ON s.id = c.site_id "
        f"LEFT JOIN {table(Product)} p ON p.id = %s "
        f"LEFT JOIN {table(ProductGroup)} g ON g.id = p.group_id "
        f"LEFT JOIN {table(MajorVersion)} v ON v.id = %s AND v.product_id = p.id "
        f"LEFT JOIN {table(Patch)} pa ON pa.id = %s AND pa.major_version_id = v.id "
        f"LEFT JOIN {table(VersionLifecycle)} lc ON lc.major_version_id = v.id"
    )


def _date(value: object) -> dt.date | None:
    """A DATE column as the driver returns it (SQLite: ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _id(value: int | None) -> int | None:
    """An id the database can compare; anything out of range matches nothing anyway."""
    return value if value is not None and 0 < value <= _ID_MAX else None


def opening_facts(
    *,
    contact: User,
    contract_id: int | None,
    product_id: int | None,
    major_version_id: int | None,
    patch_id: int | None,
) -> OpeningFacts:
    """One round trip instead of five ORM queries on the busiest write path (issue 2)."""
    params = [
        contact.pk,
        _id(contract_id),
        contact.organisation_id,
        contact.pk,
        contact.pk,
        _id(product_id),
        _id(major_version_id),
        _id(patch_id),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_opening_sql(), params)
        row = cursor.fetchone()
    at = 0
    found = []
    for part in _PARTS:
        found.append(part.take(row, at))
        at += part.width
    contract, site, product, group, version, patch = found
    if contract is not None:
        contract.site = site
    if product is not None:
        product.group = group
    if version is not None:
        version.product = product
    if patch is not None:
        patch.major_version = version
    refused, lists, covers, policy_number, end_of_support, end_of_life = row[at:]
    return OpeningFacts(
        refused=bool(refused),
        contract=contract,
        product=product,
        contract_lists_products=bool(lists),
        contract_covers_product=bool(covers),
        major_version=version,
        patch=patch,
        policy_number=policy_number or 0,
        end_of_support=_date(end_of_support),
        end_of_life=_date(end_of_life),
    )
