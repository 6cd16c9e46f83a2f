"""Several real worker processes on PostgreSQL, one killed with SIGKILL mid-batch (C5).

Every due follow-up must take effect exactly once: no duplicate reminder, none missing.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.scheduling.models import Deadline, DeadlineState
from tests.factories import build_world

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


def _start_worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "casedesk.cli", "worker", "--idle", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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
    workers = [_start_worker(env), _start_worker(env)]
    waited = time.monotonic() + 30
    while time.monotonic() < waited:
        if Deadline.objects.filter(state=DeadlineState.DONE).count() >= 20:
            break
        time.sleep(0.02)
    victim = workers[0]
    os.kill(victim.pid, signal.SIGKILL)
    # Killed mid-batch: some deadlines have taken effect, most are still to do.
    assert Deadline.objects.filter(state=DeadlineState.PENDING).exists()
    victim.wait(timeout=10)
    workers[0] = _start_worker(env)
    followups = Deadline.objects.filter(kind="followup")
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            pending = followups.filter(state=DeadlineState.PENDING).count()
            if pending == 0:
                break
            time.sleep(0.5)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
    assert followups.filter(state=DeadlineState.PENDING).count() == 0
    assert not Deadline.objects.filter(state=DeadlineState.FAILED).exists()
    # Each closure left its retention purge (C7), due 30 days on, and nothing else
    # (besides the nightly backlog snapshot a starting worker schedules, I1).
    pending = Deadline.objects.filter(state=DeadlineState.PENDING)
    assert pending.exclude(kind="reports.backlog").count() == CASES
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
