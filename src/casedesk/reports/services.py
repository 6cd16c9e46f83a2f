"""Report maintenance (I1): one deadline a day writes the backlog snapshot, another the
day's rollups (ADR 0008); each schedules the next, so history survives however the cases
change later."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction

from casedesk.cases.models import ACTIVE_Q, Case, CaseEvent, EventKind
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_ensure

from .backlog import Cell, backlog_cell
from .history import replay_cells
from .margins import margins_refresh
from .models import BacklogSnapshot, BacklogTotal, RollupDay
from .rollups import rollup_day
from .slrollups import sla_nightly

SNAPSHOT_KIND = "reports.backlog"
SNAPSHOT_AT = dt.time(0, 5)  # five minutes past midnight UTC: the day before is over


def snapshot_due(day: dt.date) -> dt.datetime:
    """The run that records the end of ``day``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), SNAPSHOT_AT, tzinfo=dt.UTC)


def backlog_snapshot_ensure(*, now: dt.datetime) -> None:
    """Schedule the snapshot of the current UTC day (idempotent: one row per day's key)."""
    day = now.astimezone(dt.UTC).date()
    deadline_ensure(
        kind=SNAPSHOT_KIND,
        key=f"{SNAPSHOT_KIND}:{day.isoformat()}",
        due_at=snapshot_due(day),
        now=now,
        payload={"day": day.isoformat()},
    )


@transaction.atomic
def backlog_snapshot_take(*, day: dt.date, at: dt.datetime) -> int:
    """Count the cases open at ``at`` into ``day``'s rows, replacing any earlier run's."""
    cells: Counter[Cell] = Counter()
    fields = ["region", "priority", "production_down", "status", "sub_status", "opened_at"]
    rows = Case.objects.filter(ACTIVE_Q, opened_at__lte=at).values(
        *fields, "assignee_id", "organisation_id"
    )
    for c in rows.iterator(chunk_size=5000):
        cells[backlog_cell(**c, at=at)] += 1
    BacklogSnapshot.objects.filter(day=day).delete()
    BacklogTotal.objects.filter(day=day).delete()
    _backlog_write(day, cells)
    return sum(cells.values())


def _backlog_write(day: dt.date, cells: Counter[Cell]) -> None:
    """``day``'s cells, and their sums without organisation and assignee."""
    totals: Counter[tuple[str, str, str, str]] = Counter()
    for key, n in cells.items():
        totals[key[:4]] += n
    BacklogTotal.objects.bulk_create(
        BacklogTotal(day=day, region=r, priority=p, status_group=g, age_band=b, count=n)
        for (r, p, g, b), n in totals.items()
    )
    BacklogSnapshot.objects.bulk_create(
        BacklogSnapshot(
            day=day,
            region=region,
            priority=priority,
            status_group=group,
            age_band=band,
            assignee_id=assignee,
            organisation_id=org,
            count=n,
        )
        for (region, priority, group, band, assignee, org), n in cells.items()
    )


@transaction.atomic
def backlog_history_fill(*, start: dt.date, end: dt.date, now: dt.datetime) -> int:
    """Record the days from ``start`` to ``end`` that have no snapshot yet, rebuilt from the
    case log as the nightly run would have seen them (``history``); days already recorded
    are history and stay as they are, and a day whose run is still to come is left to it.
    Returns the days written. For a desk's past before its first snapshot (the demo)."""
    recorded = set(
        BacklogTotal.objects.filter(day__range=(start, end)).values_list("day", flat=True)
    )
    instants = {}
    day = start
    while day <= end:
        if day not in recorded and snapshot_due(day) <= now:
            instants[day] = snapshot_due(day)
        day += dt.timedelta(days=1)
    if not instants:
        return 0
    first, last = min(instants.values()), max(instants.values())
    fields = ["id", "opened_at", "region", "organisation_id", "status", "sub_status"]
    cases = list(
        Case.objects.filter(opened_at__lte=last)
        .exclude(closed_at__lt=first)  # closed before the first day ends: never open in range
        .values(*fields, "priority", "production_down", "assignee_id")
    )
    events: dict[int, list[dict]] = {}
    logged = CaseEvent.objects.filter(
        case_id__in=[c["id"] for c in cases],
        kind__in=[EventKind.TRANSITION, EventKind.ASSIGNMENT, EventKind.PRIORITY],
    ).order_by("at", "id")
    for e in logged.values("case_id", "kind", "at", "data").iterator(chunk_size=5000):
        events.setdefault(e["case_id"], []).append(e)
    for day, cells in replay_cells(cases, events, instants).items():
        _backlog_write(day, cells)
    return len(instants)


@handles(SNAPSHOT_KIND)
def run_backlog_snapshot(deadline: object, now: dt.datetime) -> str:
    """Record the day that ended before ``now``, then schedule the next day's run. A worker
    that was down for days records the state it finds under yesterday's date and carries
    on; the days it missed stay missing rather than being invented."""
    day = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    total = backlog_snapshot_take(day=day, at=now)
    backlog_snapshot_ensure(now=now)
    return f"backlog snapshot for {day}: {total} open cases"


ROLLUP_KIND = "reports.rollup"
ROLLUP_AT = dt.time(0, 10)
ROLLUP_CATCH_UP_DAYS = 31  # one run's most; a longer gap is closed over the next nights


def rollup_ensure(*, now: dt.datetime) -> None:
    """Schedule the rollup of the current UTC day for just after it ends (idempotent)."""
    day = now.astimezone(dt.UTC).date()
    deadline_ensure(
        kind=ROLLUP_KIND,
        key=f"{ROLLUP_KIND}:{day.isoformat()}",
        due_at=dt.datetime.combine(day + dt.timedelta(days=1), ROLLUP_AT, tzinfo=dt.UTC),
        now=now,
        payload={"day": day.isoformat()},
    )


def rollup_catch_up(*, now: dt.datetime, limit: int = ROLLUP_CATCH_UP_DAYS) -> list[dt.date]:
    """Store the days that are over and not stored yet, newest first, from the day after the
    last stored one (or yesterday, on a fresh install: older days are backfilled with
    ``casedesk manage reports_rollup``); then the margins of their months, once each."""
    yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    last = RollupDay.objects.filter(day__lte=yesterday).order_by("-day").first()
    first = last.day + dt.timedelta(days=1) if last else yesterday
    first = max(first, yesterday - dt.timedelta(days=limit - 1))
    days = [first + dt.timedelta(days=i) for i in range((yesterday - first).days + 1)]
    for day in reversed(days):
        rollup_day(day=day, now=now, margins=False)
    margins_refresh(days, now=now)
    return days


@handles(ROLLUP_KIND)
def run_rollup(deadline: object, now: dt.datetime) -> str:
    """Store the day(s) that ended and the service-level cells of the opening days that
    ended or changed, then schedule tonight's run (ADR 0008)."""
    days = rollup_catch_up(now=now)
    new, dirty = sla_nightly(now=now)
    rollup_ensure(now=now)
    return f"rolled up {len(days)} day(s); service levels: {len(new)} new, {len(dirty)} changed"
