"""Case lists as rows for export (I1 item 7): the console queue's cases under its current
filters, in its order, read through a server-side cursor in chunks so a million rows
stream with flat memory. Visibility is the list's own (``scope_cases``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .models import Case, format_case_number
from .permissions import scope_cases
from .selectors import QUEUE_SORTS, CaseFilters, _apply_common, _state_filter

if TYPE_CHECKING:
    from casedesk.accounts.models import User

HEADER = [
    "case", "subject", "organisation", "contact", "product_group", "product", "priority",
    "production_down", "status", "sub_status", "region", "assignee", "opened_at",
    "updated_at", "next_due_at", "closed_at",
]  # fmt: skip
FIELDS = (
    "pk", "subject", "organisation__name", "contact__full_name", "product_group__name",
    "product__name", "priority", "production_down", "status", "sub_status", "region",
    "assignee__full_name", "opened_at", "updated_at", "next_due_at", "closed_at",
)  # fmt: skip
CHUNK = 5000


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else ""


def queue_rows(user: User, filters: CaseFilters) -> Iterator[list[Any]]:
    """Every case of the queue as ``filters`` selects it (no page limit), in its order."""
    qs = scope_cases(user, Case.objects.all()).filter(
        _state_filter(filters.state or "waiting_on_support")
    )
    qs = _apply_common(qs, user, filters)
    order = QUEUE_SORTS.get(filters.sort) or QUEUE_SORTS["urgent"]
    for row in qs.order_by(*order).values_list(*FIELDS).iterator(chunk_size=CHUNK):
        out = list(row)
        out[0] = format_case_number(row[0])
        out[7] = "yes" if row[7] else "no"
        for i in (12, 13, 14, 15):
            out[i] = _iso(row[i])
        yield out
