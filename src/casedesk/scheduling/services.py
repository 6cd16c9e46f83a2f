"""Scheduling, claiming and running deadlines, safely with several workers.

Claims are conditional updates (``… WHERE claimed_until IS NULL OR < NOW()``), which
works on SQLite; on PostgreSQL the candidate rows are also picked with
``FOR UPDATE SKIP LOCKED`` so workers do not queue behind each other. A claim is a
lease: a worker killed mid-batch leaves rows whose lease runs out and another worker
takes them. Leases are set and judged by the database's clock (``NOW()`` in the
statements), never a worker's, so a worker whose clock runs ahead cannot take live claims
(issue 15 item 15); whether a deadline is *due* is still the worker's ``now`` (the one
clock, convention 5). Each tick claims under its own tag (``worker#random``), the fencing
token: the handler's writes and the ``done`` mark commit together, on rows locked and
still tagged with the tick's claim, so every deadline takes effect exactly once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Model, Q
from django.db.models.functions import Now

from casedesk.core.rows import Inserter

from .models import Deadline, DeadlineState
from .registry import HANDLERS

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300
MAX_ATTEMPTS = 8


# Rows scheduled by handlers during a batch's fast pass, inserted together before it commits.
_insert_buffer: ContextVar[list[Deadline] | None] = ContextVar("deadline_inserts", default=None)
# Other new rows handlers hand over (timeline events), by model, inserted together likewise.
_row_buffer: ContextVar[dict[type[Model], list[tuple[Model, Any, Any]]] | None] = ContextVar(
    "batch_rows", default=None
)


def deferred_create(
    row: Model,
    *,
    then: Callable[[Any], object] | None = None,
    then_all: Callable[[list[Any]], object] | None = None,
) -> Model:
    """Save a new row now, or, inside a worker batch's fast pass, with the batch's other new
    rows of its model in one INSERT just before the batch commits; ``then(row)`` runs once
    the row is saved (its ``pk`` set), in the same transaction either way. ``then_all``
    runs once per flush with every row buffered with that same function (one bulk write
    for all of them, e.g. their outbox rows), or with ``[row]`` when saved at once.

    For handler writes nobody reads back within the batch, such as a reminder's timeline
    event and the mails it queues. If anything fails, the batch falls back to its
    one-savepoint-per-deadline pass, which saves every row (and runs ``then``) at once.
    """
    buffer = _row_buffer.get()
    if buffer is None:
        row.save(force_insert=True)
        if then is not None:
            then(row)
        if then_all is not None:
            then_all([row])
    else:
        buffer.setdefault(type(row), []).append((row, then, then_all))
    return row


@functools.cache
def _inserter(model: type[Model]) -> Inserter[Any]:
    return Inserter(model)


def _flush_inserts() -> None:
    """Write buffered rows now (before anything reads or cancels deadlines, and at commit):
    one statement per model, its text the same for any batch (``Inserter``)."""
    buffer = _insert_buffer.get()
    if buffer:
        _inserter(Deadline).insert_many(buffer, ignore_conflicts=True)
        buffer.clear()
    rows = _row_buffer.get()
    if rows:
        pending = list(rows.items())
        rows.clear()
        for model, entries in pending:
            new = [row for row, _, _ in entries]
            if connection.features.can_return_rows_from_bulk_insert:
                _inserter(model).insert_many(new, keys=True)
            else:  # the keys are needed below (``then``); older SQLite cannot return them
                model._default_manager.bulk_create(new)
        together: dict[Callable[[list[Any]], object], list[Any]] = {}
        for _, entries in pending:
            for row, then, then_all in entries:
                if then is not None:
                    then(row)
                if then_all is not None:
                    together.setdefault(then_all, []).append(row)
        for then_all, saved in together.items():
            then_all(saved)


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
    _flush_inserts()
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


def deadline_ensure(
    *,
    kind: str,
    key: str,
    due_at: dt.datetime,
    now: dt.datetime,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """``deadline_schedule`` in one statement (INSERT … ON CONFLICT DO NOTHING) for callers
    that do not need the row back, such as handlers scheduling the next rung; inside a
    worker batch the row joins the batch's single INSERT."""
    row = Deadline(
        kind=kind, key=key, due_at=due_at, case_id=case_id, payload=payload or {}, created_at=now
    )
    buffer = _insert_buffer.get()
    if buffer is not None:
        buffer.append(row)
        return
    # Every opened case schedules one (its unassigned alert): the ORM's bulk_create
    # compiled the statement each time, more Python than running it.
    _inserter(Deadline).insert_many([row], ignore_conflicts=True)


def deadlines_cancel(*, case_id: int, kinds: list[str], now: dt.datetime, why: str) -> int:
    """Cancel pending deadlines of a case; one a worker is running right now is left to its
    handler, which re-checks the case under the same row lock before acting."""
    _flush_inserts()
    return (
        Deadline.objects.filter(case_id=case_id, kind__in=kinds, state=DeadlineState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=Now()))
        .update(state=DeadlineState.CANCELLED, finished_at=now, outcome=why)
    )


def _lease() -> dt.timedelta:
    """How long a claim holds before another worker may take the deadline over."""
    return dt.timedelta(seconds=getattr(settings, "DEADLINE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def lease_end(lease: dt.timedelta) -> ExpressionWrapper:
    """``NOW() + lease`` computed by the database: the one clock every worker shares."""
    return ExpressionWrapper(Now() + lease, output_field=DateTimeField())


def claim_tag(worker: str) -> str:
    """A claim's fencing token: the worker's name and a random suffix, new for every claim."""
    return f"{worker[:47]}#{secrets.token_hex(8)}"


def _claimable(now: dt.datetime) -> Q:
    return Q(state=DeadlineState.PENDING, due_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=Now())
    )


def deadlines_claim(*, worker: str, now: dt.datetime, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` due deadlines for ``worker``; returns their ids, oldest first.

    Two statements whatever the batch size: pick the due ids (on PostgreSQL ``FOR UPDATE
    SKIP LOCKED``, so concurrent workers take disjoint batches without waiting), then one
    conditional update over exactly those ids. A tick with nothing due costs one index probe
    outside any transaction.
    (A single ``UPDATE … WHERE id IN (SELECT … SKIP LOCKED)`` was measured slower: its
    planning probes the whole pending index, 10-100 ms at 1M pending rows.)
    """
    # Both queries order by ``due_at`` alone, the order of the partial pending index: with
    # prepared statements PostgreSQL may plan them generically (no value for ``now``), and
    # only the index order keeps that plan off a sequential scan of every pending row
    # (``exists()`` without it took 365 ms per idle tick at 1M pending).
    due = Deadline.objects.filter(_claimable(now)).order_by("due_at")
    if due.values_list("id", flat=True).first() is None:
        return []  # the idle tick: one index probe, no transaction
    with transaction.atomic():
        candidates = due
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        won = Deadline.objects.filter(_claimable(now), pk__any=ids).update(
            claimed_by=worker, claimed_until=lease_end(_lease()), attempts=F("attempts") + 1
        )
        if won == len(ids):  # always on PostgreSQL (rows locked) and SQLite (one writer)
            return ids
        mine = set(
            Deadline.objects.filter(
                pk__any=ids, claimed_by=worker, state=DeadlineState.PENDING
            ).values_list("id", flat=True)
        )
        return [pk for pk in ids if pk in mine]


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


class _BatchFailedError(Exception):
    """A handler failed in the fast pass; the batch is rolled back and run in isolation."""


def deadlines_run_batch(*, deadline_ids: list[int], worker: str, now: dt.datetime) -> int:
    """Run a claimed batch in one transaction; returns how many deadlines took effect.

    One commit per batch instead of one per deadline (commits and round trips are the cost).
    The fast pass runs every handler with no savepoint and buffers the rows handlers
    schedule (``deadline_ensure``) into one INSERT. Should any handler fail, the whole
    pass rolls back and the batch runs again with a savepoint per deadline, so one failure
    never undoes the others; failures are recorded for back-off after that commit.

    The ``done`` marks commit with the handlers' writes, only for rows still claimed by
    ``worker`` (locked here, so nobody takes them meanwhile): a worker killed mid-batch
    commits nothing and the leases hand the batch to another. The cases of the batch are
    locked once, in key order, before the deadlines, and handed to the handlers as
    ``deadline.locked_case``.
    """
    try:
        return _run_batch(deadline_ids, worker, now, isolate=False)
    except _BatchFailedError:
        return _run_batch(deadline_ids, worker, now, isolate=True)


def _run_batch(deadline_ids: list[int], worker: str, now: dt.datetime, *, isolate: bool) -> int:
    failures: list[tuple[int, Exception]] = []
    done: dict[str, list[int]] = {}
    token = _insert_buffer.set(None if isolate else [])
    rows_token = _row_buffer.set(None if isolate else {})
    try:
        with transaction.atomic():
            # Cases first, then deadlines: the order a case service takes them in (lock the
            # case, then cancel its deadlines), so the two never wait on each other in a cycle.
            case_ids = Deadline.objects.filter(pk__any=deadline_ids, case_id__isnull=False)
            cases = _lock_cases(set(case_ids.values_list("case_id", flat=True)))
            deadlines = [
                d
                for d in Deadline.objects.select_for_update().filter(pk__any=deadline_ids)
                if d.state == DeadlineState.PENDING and d.claimed_by == worker
            ]
            deadlines.sort(key=lambda d: (d.due_at, d.pk))
            for deadline in deadlines:
                # Handed over once: a handler may change the case through a service that
                # re-reads it, so a second deadline of the same case reads it afresh.
                deadline.locked_case = cases.pop(deadline.case_id, None)  # type: ignore[attr-defined]
                outcome = _run_one(deadline, now, isolate, failures)
                if outcome is not None:
                    done.setdefault(outcome[:2000], []).append(deadline.pk)
            _flush_inserts()
            # Outcomes repeat ("follow-up #1: reminder sent"): one UPDATE per distinct outcome.
            for outcome, pks in done.items():
                Deadline.objects.filter(pk__any=pks, claimed_by=worker).update(
                    state=DeadlineState.DONE, finished_at=now, outcome=outcome, claimed_until=None
                )
    except _BatchFailedError:
        raise
    except Exception as exc:
        if isolate:
            raise
        raise _BatchFailedError from exc
    finally:
        _insert_buffer.reset(token)
        _row_buffer.reset(rows_token)
    for pk, exc in failures:
        _record_failure(pk, worker, now, exc)
    return sum(len(pks) for pks in done.values())


def _run_one(
    deadline: Deadline, now: dt.datetime, isolate: bool, failures: list[tuple[int, Exception]]
) -> str | None:
    """The handler's outcome; in isolation a failure is kept for back-off instead."""
    handler = HANDLERS.get(deadline.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for deadline kind {deadline.kind!r}")
        if not isolate:
            return handler(deadline, now)
        with transaction.atomic():
            return handler(deadline, now)
    except Exception as exc:
        if not isolate:
            raise _BatchFailedError from exc
        log.exception("deadline %s failed", deadline.pk)
        failures.append((deadline.pk, exc))
        return None


def _lock_cases(case_ids: set[int]) -> dict[int, Any]:
    if not case_ids:
        return {}
    from casedesk.cases.models import Case

    locked = Case.objects.select_for_update().filter(pk__any=case_ids).order_by("pk")
    return {case.pk: case for case in locked}


def worker_tick(*, worker: str, now: dt.datetime, limit: int = 100) -> int:
    """Claim and run what is due under a fresh claim tag; returns how many took effect."""
    tag = claim_tag(worker)
    ids = deadlines_claim(worker=tag, now=now, limit=limit)
    if not ids:
        return 0
    return deadlines_run_batch(deadline_ids=ids, worker=tag, now=now)
