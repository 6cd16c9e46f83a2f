"""Case lists as rows for export (I1 item 7): the console queue's cases under its current
filters, in its order, read through a server-side cursor so a million rows stream with
flat memory. Visibility is the list's own (``scope_cases``).

Built for throughput (docs/benchmarks.md, "Reports"): the query reads the case table
alone — names of organisations, contacts, products and assignees come from small
per-export caches filled a chunk at a time, not from five joins per row — and on
PostgreSQL the timestamps arrive already formatted (``to_char`` in UTC), since turning
them into Python datetimes and back was most of the CPU per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import CharField, F, Func, QuerySet

from casedesk.accounts.models import Organisation, User
from casedesk.catalog.models import Product, ProductGroup

from .models import Case, format_case_number
from .permissions import scope_cases
from .selectors import QUEUE_SORTS, CaseFilters, _apply_common, _state_filter

if TYPE_CHECKING:
    from django.db.models import Model

HEADER = [
    "case", "subject", "organisation", "contact", "product_group", "product", "priority",
    "production_down", "status", "sub_status", "region", "assignee", "opened_at",
    "updated_at", "next_due_at", "closed_at",
]  # fmt: skip
FIELDS = (
    "pk", "subject", "organisation_id", "contact_id", "product_group_id", "product_id",
    "priority", "production_down", "status", "sub_status", "region", "assignee_id",
)  # fmt: skip
TIMES = ("opened_at", "updated_at", "next_due_at", "closed_at")
# (column in a row, model, field holding the name)
NAMES: tuple[tuple[int, type[Model], str], ...] = (
    (2, Organisation, "name"),
    (3, User, "full_name"),
    (4, ProductGroup, "name"),
    (5, Product, "name"),
    (11, User, "full_name"),
)
CHUNK = 5000


class _UtcText(Func):
    """A timestamp as ISO 8601 text in UTC, formatted by PostgreSQL."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    output_field = CharField()


def _iso(value: dt.datetime | str | None) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill(cache: dict[type[Model], dict[int, str]], rows: list[list[Any]]) -> None:
    """Look up, one query per model, the names this chunk needs and the caches lack."""
    for model in {model for _, model, _ in NAMES}:
        known = cache.setdefault(model, {})
        columns = [(i, field) for i, m, field in NAMES if m is model]
        missing = {row[i] for row in rows for i, _ in columns} - known.keys() - {None}
        if missing:
            field = columns[0][1]
            known.update(model.objects.filter(pk__in=missing).values_list("pk", field))  # type: ignore[attr-defined]


def queue_cases(user: User, filters: CaseFilters) -> QuerySet[Case]:
    """The queue's cases as ``filters`` select them and ``user`` may see them, unordered."""
    qs = scope_cases(user, Case.objects.all()).filter(
        _state_filter(filters.state or "waiting_on_support")
    )
    return _apply_common(qs, user, filters).order_by()


def more_than(user: User, filters: CaseFilters, limit: int) -> bool:
    """Whether the export would exceed ``limit`` rows, counting no further than that."""
    return queue_cases(user, filters).values("pk")[: limit + 1].count() > limit


def queue_rows(user: User, filters: CaseFilters) -> Iterator[list[Any]]:
    """Every case of the queue as ``filters`` selects it (no page limit), in its order."""
    qs = queue_cases(user, filters)
    order = QUEUE_SORTS.get(filters.sort) or QUEUE_SORTS["urgent"]
    if connection.vendor == "postgresql":
        qs = qs.annotate(**{f"{t}_text": _UtcText(F(t)) for t in TIMES})
        times = tuple(f"{t}_text" for t in TIMES)
    else:
        times = TIMES
    source = qs.order_by(*order).values_list(*FIELDS, *times).iterator(chunk_size=CHUNK)
    cache: dict[type[Model], dict[int, str]] = {}
    while chunk := [list(row) for row in islice(source, CHUNK)]:
        _fill(cache, chunk)
        for row in chunk:
            row[0] = format_case_number(row[0])
            for i, model, _ in NAMES:
                row[i] = cache[model].get(row[i], "") if row[i] is not None else ""
            row[7] = "yes" if row[7] else "no"
            for i in range(12, 16):
                row[i] = _iso(row[i])
            yield row
