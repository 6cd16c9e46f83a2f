"""Several real worker processes on PostgreSQL, one killed with SIGKILL mid-batch (C5).

Every due follow-up must take effect exactly once: no duplicate reminder, none missing.
The victim is frozen (SIGSTOP) and only killed once the database shows it holding claims
it has not finished, so the lease-retake path always runs; a frozen worker that holds none
is thawed and caught again.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys

import pytest
from django.db import connection

from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.scheduling.models import Deadline, DeadlineState
from tests.factories import build_world
from tests.waiting import DEADLINE, wait_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set CASEDESK_DATABASE_URL (CI runs this leg)",
    ),
]

CASES = 120


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = dict(os.environ)
    env.update(
        CASEDESK_DATABASE_URL=f"{url}/{db['NAME']}",
        CASEDESK_DEADLINE_LEASE_SECONDS="2",
        CASEDESK_LOG_LEVEL="ERROR",
        CASEDESK_SECRET_KEY=secrets.token_urlsafe(50),  # the worker refuses the development key
    )
    return env


def _start_worker(env, name: str):
    return subprocess.Popen(
        [sys.executable, "-m", "casedesk.cli", "worker", "--idle", "0.05"],
        env={**env, "PGAPPNAME": name},  # libpq names the worker's connection after it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _statements_running(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND state = 'active'",
            [name],
        )
        return cursor.fetchone()[0] > 0


def _unfinished_claims_of(worker) -> set[int]:  # type: ignore[no-untyped-def]
    """Freeze ``worker``; once the server has finished what it sent, its claims are final.
    Returns the deadlines it claimed and has not completed (then it stays frozen) or thaws
    it and returns nothing."""
    worker.send_signal(signal.SIGSTOP)
    wait_for(lambda: not _statements_running("victim"), "the frozen worker's last statement")
    held = set(
        Deadline.objects.filter(
            claimed_by__contains=f":{worker.pid}:", state=DeadlineState.PENDING
        ).values_list("pk", flat=True)
    )
    if not held:
        worker.send_signal(signal.SIGCONT)
    return held


def test_killed_worker_leaves_every_followup_exactly_once():
    real_now = dt.datetime.now(tz=dt.UTC)
    world = build_world(now=real_now - dt.timedelta(days=40))
    started = real_now - dt.timedelta(days=30)  # the whole ladder (2/5/10 days) is due
    cases = [world.alice_case]
    cases += [world.open_case(world.alice) for _ in range(CASES - 1)]
    for case in cases:
        services.case_transition(
            case=case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="logs please",
            now=started,
        )
    env = _worker_env()
    workers = [_start_worker(env, "victim"), _start_worker(env, "survivor")]
    followups = Deadline.objects.filter(kind="followup")
    try:
        victim = workers[0]
        held = wait_for(
            lambda: _unfinished_claims_of(victim), "the victim to hold claims", every=0.05
        )
        victim.kill()  # SIGKILL while frozen: mid-batch, its claims unfinished
        victim.wait(timeout=DEADLINE)
        workers[0] = _start_worker(env, "replacement")
        wait_for(
            lambda: not followups.filter(state=DeadlineState.PENDING).exists(),
            "every follow-up to take effect",
        )
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
    # What the victim held was retaken by another worker once its lease ran out.
    retaken = Deadline.objects.filter(pk__in=held)
    assert retaken.count() == len(held)
    assert all(d.state == DeadlineState.DONE for d in retaken)
    assert all(f":{victim.pid}:" not in d.claimed_by and d.attempts >= 2 for d in retaken)
    assert followups.filter(state=DeadlineState.PENDING).count() == 0
    assert not Deadline.objects.filter(state=DeadlineState.FAILED).exists()
    # Each closure left its retention purge (C7), due 30 days on, and nothing else
    # (besides the nightly backlog snapshot and report rollup a starting worker schedules, I1).
    pending = Deadline.objects.filter(state=DeadlineState.PENDING)
    assert pending.exclude(kind__in=["reports.backlog", "reports.rollup"]).count() == CASES
    ids = [c.pk for c in cases]
    for case in Case.objects.filter(pk__in=ids):
        assert case.is_closed and case.closed_by_followup, case.number
    per_case = {}
    for case_id, data in CaseEvent.objects.filter(
        case_id__in=ids, kind=EventKind.FOLLOW_UP
    ).values_list("case_id", "data"):
        per_case.setdefault(case_id, []).append(data["step"])
    assert {k: sorted(v) for k, v in per_case.items()} == {pk: [1, 2, 3] for pk in ids}
    closes = CaseEvent.objects.filter(
        case_id__in=ids, kind=EventKind.TRANSITION, data__action="close"
    ).count()
    assert closes == CASES
