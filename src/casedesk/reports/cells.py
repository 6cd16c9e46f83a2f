"""What happened in a span of time, as counted cells (ADR 0008): the follow-up ladder's
outcomes (C5), escalation requests and outcomes (C6) and survey figures (F7), each cell
keyed by the UTC day and the case's dimensions.

Read from the records the desk already keeps — the case events (``followup``,
``transition``, ``escalation``), the escalation rows and the survey responses — so the
figures mean what the timeline says. ``rollups`` stores one day's cells; the reports add
stored days to the cells of days not stored yet (today, or days the worker missed).

Definitions:
- *reminder N*: a follow-up event of step N that did not close the case; *auto-closed*: the
  final one (it closes the case and sends the final notice).
- *response after reminder N*: a customer response (the ``customer_response`` transition,
  which stops the timer) whose latest preceding ladder event on the case is reminder N; a
  response before any reminder of the request counts as ``followup.response0``.
- *reopened after auto-close*: a ``reopen`` transition whose latest preceding close was the
  ladder's (close reason "no response after follow-ups").
- *escalation requested*: eligible (recorded, the system said yes) or refused (the system said
  no, recorded with its reason code); *outcome*: resolved or declined, timed from the request.
- *survey invitation*: a closure (the closed mail and the final notice carry the survey link).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.escalations.models import Escalation
from casedesk.notifications.models import SurveyResponse

# The case dimensions every cell carries, in key order after (day, metric).
DIMS = ("region", "priority", "product_group", "product", "organisation", "assignee")
CASE_FIELDS = (
    "pk", "region", "priority", "production_down", "product_group_id", "product_id",
    "organisation_id", "assignee_id",
)  # fmt: skip
NO_RESPONSE = "no_response_after_followups"
REQUESTS = ("request_info", "propose_solution")

Key = tuple[Any, ...]  # (day, metric, region, priority, product_group, product, org, assignee)
Cells = dict[Key, list[float]]  # key → [count, total]


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00, end+1 00:00)`` in UTC."""
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    return lo, dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 3600


def _event_metrics(events: list[dict[str, Any]]) -> tuple[list[tuple[dict, str, float]], set]:
    """(event, metric, measure) for each event that counts by itself; the case ids whose
    history decides the rest (responses and re-openings)."""
    out: list[tuple[dict[str, Any], str, float]] = []
    need_history: set[int] = set()
    escalation_ids = [
        e["data"]["escalation"]
        for e in events
        if e["kind"] == EventKind.ESCALATION
        and e["data"].get("state") in ("in_progress", "resolved", "declined")
    ]
    requested = dict(
        Escalation.objects.filter(pk__in=escalation_ids).values_list("pk", "requested_at")
    )
    for e in events:
        data = e["data"] or {}
        if e["kind"] == EventKind.FOLLOW_UP:
            if data.get("final"):
                out.append((e, "followup.closed", 0.0))
            else:
                out.append((e, f"followup.reminder{data.get('step')}", 0.0))
        elif e["kind"] == EventKind.TRANSITION:
            action = data.get("action")
            if action in ("customer_response", "reopen"):
                need_history.add(e["case_id"])
            elif action == "close":
                out.append((e, "survey.invited", 0.0))
        elif e["kind"] == EventKind.ESCALATION:
            kind = data.get("kind", "standard")
            if data.get("refused"):
                out.append((e, "escalation.requested", 0.0))
                out.append((e, f"escalation.refused:{data.get('code') or 'other'}", 0.0))
                out.append((e, f"escalation.refused_kind:{kind}", 0.0))
            elif data.get("state") == "open" and "escalation" in data:
                out.append((e, "escalation.requested", 0.0))
                out.append((e, "escalation.eligible", 0.0))
                out.append((e, f"escalation.eligible_kind:{kind}", 0.0))
            elif data.get("state") in ("in_progress", "resolved", "declined"):
                since = requested.get(data.get("escalation"))
                hours = _hours(since, e["at"]) if since else 0.0
                out.append((e, f"escalation.{data['state']}", hours))
    return out, need_history


def _history_metrics(
    events: list[dict[str, Any]], case_ids: set[int], hi: dt.datetime
) -> list[tuple[dict[str, Any], str, float]]:
    """Responses after reminder N and re-openings after an automatic close: each decided by
    what came before it on the same case."""
    if not case_ids:
        return []
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = CaseEvent.objects.filter(
        case_id__in=case_ids, kind__in=[EventKind.FOLLOW_UP, EventKind.TRANSITION], at__lt=hi
    ).values("id", "case_id", "at", "kind", "data")
    for row in rows.order_by("case_id", "at", "id").iterator(chunk_size=5000):
        history[row["case_id"]].append(row)
    out = []
    for e in events:
        action = (e["data"] or {}).get("action")
        if e["kind"] != EventKind.TRANSITION or action not in ("customer_response", "reopen"):
            continue
        before = [h for h in history[e["case_id"]] if (h["at"], h["id"]) < (e["at"], e["id"])]
        if action == "customer_response":
            for h in reversed(before):
                hd = h["data"] or {}
                if h["kind"] == EventKind.FOLLOW_UP and not hd.get("final"):
                    out.append((e, f"followup.response{hd.get('step')}", 0.0))
                    break
                if h["kind"] == EventKind.TRANSITION and hd.get("action") in REQUESTS:
                    out.append((e, "followup.response0", 0.0))
                    break
        else:
            for h in reversed(before):
                hd = h["data"] or {}
                if h["kind"] == EventKind.TRANSITION and hd.get("action") == "close":
                    if hd.get("close_reason") == NO_RESPONSE:
                        out.append((e, "followup.reopened", 0.0))
                    break
    return out


def _survey_metrics(lo: dt.datetime, hi: dt.datetime) -> list[tuple[dict, str, float]]:
    out = []
    rows = SurveyResponse.objects.filter(created_at__gte=lo, created_at__lt=hi).values(
        "case_id", "created_at", "priority", "score", "solved"
    )
    for r in rows.iterator(chunk_size=5000):
        e = {"case_id": r["case_id"], "at": r["created_at"], "priority": r["priority"]}
        out.append((e, "survey.response", float(r["score"])))
        out.append((e, f"survey.score:{r['score']}", 0.0))
        if r["solved"]:
            out.append((e, "survey.solved", 0.0))
    return out


def _cases(ids: Iterable[int], scope: Q | None) -> dict[int, dict[str, Any]]:
    cases = Case.objects.filter(pk__in=list(ids))
    if scope is not None:
        cases = cases.filter(scope)
    return {c["pk"]: c for c in cases.values(*CASE_FIELDS).iterator(chunk_size=5000)}


def span_cells(lo: dt.datetime, hi: dt.datetime, scope: Q | None = None) -> Cells:
    """The cells of ``[lo, hi)``, keyed by UTC day; ``scope`` keeps a viewer's cases only."""
    events = list(
        CaseEvent.objects.filter(
            at__gte=lo,
            at__lt=hi,
            kind__in=[EventKind.FOLLOW_UP, EventKind.TRANSITION, EventKind.ESCALATION],
        ).values("id", "case_id", "at", "kind", "data")
    )
    found, need_history = _event_metrics(events)
    found += _history_metrics(events, need_history, hi)
    found += _survey_metrics(lo, hi)
    cases = _cases({e["case_id"] for e, _, _ in found}, scope)
    cells: Cells = defaultdict(lambda: [0, 0.0])
    for e, metric, measure in found:
        c = cases.get(e["case_id"])
        if c is None:
            continue
        priority = e.get("priority") or c["priority"]
        key = (
            e["at"].astimezone(dt.UTC).date(),
            metric,
            c["region"],
            "production_down" if c["production_down"] else priority,
            c["product_group_id"],
            c["product_id"],
            c["organisation_id"],
            c["assignee_id"],
        )
        cell = cells[key]
        cell[0] += 1
        cell[1] += measure
    return dict(cells)
