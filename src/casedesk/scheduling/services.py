"""Scheduling, claiming and running deadlines, safely with several workers.

Claims are conditional updates (``… WHERE claimed_until IS NULL OR < now``), which
works on SQLite; on PostgreSQL the candidate rows are also picked with
``FOR UPDATE SKIP LOCKED`` so workers do not queue behind each other. A claim is a
lease: a worker killed mid-batch leaves rows whose lease runs out and another worker
takes them. The handler's writes and the ``done`` mark commit together, and only if
the claim is still ours, so every deadline takes effect exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from .models import Deadline, DeadlineState
from .registry import HANDLERS

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300
MAX_ATTEMPTS = 8


class LostClaimError(Exception):
    """Another worker took this deadline over; our writes must not commit."""


def deadline_schedule(
    *,
    kind: str,
    key: str,
    due_at: dt.datetime,
    now: dt.datetime,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Deadline:
    """One pending row per key; scheduling again returns the existing row unchanged."""
    deadline, _ = Deadline.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "due_at": due_at,
            "case_id": case_id,
            "payload": payload or {},
            "created_at": now,
        },
    )
    return deadline


def deadlines_cancel(*, case_id: int, kinds: list[str], now: dt.datetime, why: str) -> int:
    """Cancel pending deadlines of a case; one a worker is running right now is left to its
    handler, which re-checks the case under the same row lock before acting."""
    return (
        Deadline.objects.filter(case_id=case_id, kind__in=kinds, state=DeadlineState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(state=DeadlineState.CANCELLED, finished_at=now, outcome=why)
    )


def _lease() -> dt.timedelta:
    """How long a claim holds before another worker may take the deadline over."""
    return dt.timedelta(seconds=getattr(settings, "DEADLINE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def _claimable(now: dt.datetime) -> Q:
    return Q(state=DeadlineState.PENDING, due_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def deadlines_claim(*, worker: str, now: dt.datetime, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` due deadlines for ``worker``; returns their ids, oldest first."""
    with transaction.atomic():
        candidates = Deadline.objects.filter(_claimable(now)).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        claimed = []
        for pk in ids:
            won = Deadline.objects.filter(_claimable(now), pk=pk).update(
                claimed_by=worker, claimed_until=now + _lease(), attempts=F("attempts") + 1
            )
            if won:
                claimed.append(pk)
        return claimed


def deadline_run(*, deadline_id: int, worker: str, now: dt.datetime) -> bool:
    """Run one claimed deadline; True when it took effect."""
    try:
        with transaction.atomic():
            deadline = Deadline.objects.select_for_update().get(pk=deadline_id)
            if deadline.state != DeadlineState.PENDING or deadline.claimed_by != worker:
                raise LostClaimError(deadline_id)
            handler = HANDLERS.get(deadline.kind)
            if handler is None:
                raise LookupError(f"no handler for deadline kind {deadline.kind!r}")
            outcome = handler(deadline, now)
            marked = Deadline.objects.filter(
                pk=deadline_id, claimed_by=worker, state=DeadlineState.PENDING
            ).update(
                state=DeadlineState.DONE,
                finished_at=now,
                outcome=outcome[:2000],
                claimed_until=None,
            )
            if marked != 1:
                raise LostClaimError(deadline_id)
        return True
    except LostClaimError:
        log.warning("deadline %s: claim lost, nothing committed", deadline_id)
        return False
    except Exception as exc:
        log.exception("deadline %s failed", deadline_id)
        _record_failure(deadline_id, worker, now, exc)
        return False


def _record_failure(deadline_id: int, worker: str, now: dt.datetime, exc: Exception) -> None:
    """Back off exponentially; give up after MAX_ATTEMPTS, keeping the error."""
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().filter(pk=deadline_id).first()
        if deadline is None or deadline.claimed_by != worker:
            return
        deadline.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        deadline.claimed_by = ""
        deadline.claimed_until = None
        if deadline.attempts >= MAX_ATTEMPTS:
            deadline.state = DeadlineState.FAILED
            deadline.finished_at = now
        else:
            deadline.due_at = now + dt.timedelta(seconds=30 * 2 ** (deadline.attempts - 1))
        deadline.save(
            update_fields=[
                "last_error",
                "claimed_by",
                "claimed_until",
                "state",
                "finished_at",
                "due_at",
            ]
        )


def worker_tick(*, worker: str, now: dt.datetime, limit: int = 100) -> int:
    """Claim and run what is due; returns how many deadlines took effect."""
    done = 0
    for pk in deadlines_claim(worker=worker, now=now, limit=limit):
        done += deadline_run(deadline_id=pk, worker=worker, now=now)
    return done
