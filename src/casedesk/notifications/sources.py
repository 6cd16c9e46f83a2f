"""What the send pump renders a batch from: each message's event and case, the case's
contact, assignee and organisation, and the event's actor (ADR 0004), in a few queries
per batch whatever its size.

Rows read back from the outbox carry only keys, so events and cases are loaded by key.
Rows handed over by this worker's deadline step (``handover``) still hold the event and
the case they were queued with, its contact already loaded: only the related rows not in
memory yet are read, each kind in one query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casedesk.accounts.models import Organisation, User
from casedesk.cases.models import Case, CaseEvent

if TYPE_CHECKING:
    from .models import OutboundMessage


def render_sources(
    messages: list[OutboundMessage],
) -> tuple[dict[int, CaseEvent], dict[int, Case]]:
    """Events and cases by key, their related rows loaded."""
    held = all(type(m).event.is_cached(m) and type(m).case.is_cached(m) for m in messages)
    if not held:
        # By key as one array (``pk__any``): ``in_bulk`` writes an IN list of every key.
        events = {
            e.pk: e
            for e in CaseEvent.objects.select_related("actor").filter(
                pk__any={m.event_id for m in messages}
            )
        }
        cases = {
            c.pk: c
            for c in Case.objects.select_related("contact", "assignee", "organisation").filter(
                pk__any={m.case_id for m in messages}
            )
        }
        return events, cases
    events = {m.event_id: m.event for m in messages}
    cases = {m.case_id: m.case for m in messages}
    _load(list(cases.values()), ("contact", "assignee"), User)
    _load(list(cases.values()), ("organisation",), Organisation)
    _load(list(events.values()), ("actor",), User)
    return events, cases


def _load(rows: list[Any], names: tuple[str, ...], model: type[Any]) -> None:
    """Set the ``names`` relations of ``rows`` not yet in memory, from one query."""
    wanted: dict[int, list[tuple[Any, str]]] = {}
    for row in rows:
        for name in names:
            key = getattr(row, f"{name}_id")
            if key is not None and not getattr(type(row), name).is_cached(row):
                wanted.setdefault(key, []).append((row, name))
    if wanted:
        for found in model.objects.filter(pk__any=wanted):
            for row, name in wanted.pop(found.pk):
                setattr(row, name, found)
