"""The backlog of past days rebuilt from the case log (I1): what the nightly snapshot
(``services.backlog_snapshot_take``) would have recorded had the worker run then.

For a desk whose cases predate its first snapshot — the demo, whose cases are seeded
over two months, or an imported history — the trend would otherwise start empty. Status
has one writer (``_apply_transition``, convention 3) that logs every change with its
``from`` and ``to``; assignment and priority changes are logged likewise; region and
organisation never change. So each case's cell at any instant follows from its events:
nothing is estimated. ``replay_cells`` is the pure part: plain rows in, counts out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from casedesk.cases.models import ACTIVE_STATUSES

from .backlog import Cell, backlog_cell

ACTIVE = frozenset(ACTIVE_STATUSES)


@dataclass
class _State:
    status: str
    sub_status: str
    priority: str
    production_down: bool
    assignee: int | None


def _initial(case: Mapping[str, Any], events: list[Mapping[str, Any]]) -> _State:
    """The case as opened: each field's value before its first logged change (the
    current value when it never changed; nobody is assigned at opening)."""
    first = {}
    for e in events:
        first.setdefault(e["kind"], e["data"])
    moved, reprioritised = first.get("transition"), first.get("priority")
    return _State(
        status=moved["from"][0] if moved else case["status"],
        sub_status=moved["from"][1] if moved else case["sub_status"],
        priority=reprioritised["from"] if reprioritised else case["priority"],
        production_down=(
            bool(reprioritised["production_down_from"])
            if reprioritised
            else case["production_down"]
        ),
        assignee=None if "assignment" in first else case["assignee_id"],
    )


def _apply(state: _State, event: Mapping[str, Any]) -> None:
    data = event["data"]
    if event["kind"] == "transition":
        state.status, state.sub_status = data["to"]
    elif event["kind"] == "assignment":
        state.assignee = data["to"]
    elif event["kind"] == "priority":
        state.priority, state.production_down = data["to"], bool(data["production_down"])


def replay_cells(
    cases: Iterable[Mapping[str, Any]],
    events: Mapping[int, list[Mapping[str, Any]]],
    instants: Mapping[dt.date, dt.datetime],
) -> dict[dt.date, Counter[Cell]]:
    """Each day's open cases at its instant, by snapshot cell. ``cases``: rows with the
    ``Case`` fields (``id``, ``opened_at``, ``region``, ``organisation_id``, ``status``,
    ``sub_status``, ``priority``, ``production_down``, ``assignee_id``); ``events``: each
    case's transition, assignment and priority events (``kind``, ``at``, ``data``) in
    the order they happened."""
    days = sorted(instants.items(), key=lambda kv: kv[1])
    out: dict[dt.date, Counter[Cell]] = {day: Counter() for day, _ in days}
    for case in cases:
        log = events.get(case["id"], [])
        state = _initial(case, log)
        done = 0
        for day, at in days:
            if case["opened_at"] > at:
                continue
            while done < len(log) and log[done]["at"] <= at:
                _apply(state, log[done])
                done += 1
            if state.status not in ACTIVE:
                continue
            key = backlog_cell(
                region=case["region"],
                priority=state.priority,
                production_down=state.production_down,
                status=state.status,
                sub_status=state.sub_status,
                opened_at=case["opened_at"],
                at=at,
                assignee_id=state.assignee,
                organisation_id=case["organisation_id"],
            )
            out[day][key] += 1
    return out
