"""Two engineers writing one case at once lose nothing (issue item 7, security rule 8).

Runs on PostgreSQL with two real connections (one per thread); SQLite serialises
writers with BEGIN IMMEDIATE and is covered by the stale-version tests instead.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from casedesk.cases import services
from casedesk.cases.models import Case, CaseEvent
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


def _run_in_threads(*jobs):
    errors: list[BaseException] = []

    def wrap(job):
        try:
            job()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE)
        assert not t.is_alive(), "a writer never finished"
    assert not errors, errors


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _blocked_by(pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_blocking_pids(%s)", [pid])
        return cursor.fetchone()[0]


def test_two_engineers_at_once_lose_nothing(now):
    world = build_world(now=now)
    case = world.alice_case
    start_version = case.version
    locked = threading.Barrier(2)
    second: dict[str, int] = {}
    order: list[str] = []

    def engineer_one():
        # Holds the row lock (outer transaction) until PostgreSQL shows the second
        # engineer's write waiting on it: the wait is observed, not inferred from a clock.
        with transaction.atomic():
            services.case_change_priority(
                case=case,
                actor=world.engineer,
                priority="high",
                reason="Phone call: 40 agents idle",
                now=now,
            )
            mine = _backend_pid()
            locked.wait(timeout=DEADLINE)
            wait_for(lambda: mine in _blocked_by(second["pid"]), "the second writer to queue")
            order.append("one commits")

    def engineer_two():
        second["pid"] = _backend_pid()
        locked.wait(timeout=DEADLINE)
        services.case_assign(case=case, actor=world.manager, assignee=world.manager, now=now)
        order.append("two wrote")

    _run_in_threads(engineer_one, engineer_two)
    assert order == ["one commits", "two wrote"]
    case = Case.objects.get(pk=case.pk)
    assert case.priority == "high"
    assert case.assignee_id == world.manager.pk
    assert case.version == start_version + 2
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"priority", "assignment"} <= kinds


def test_concurrent_replies_all_kept(now):
    world = build_world(now=now)
    case = world.alice_case
    go = threading.Barrier(4)

    def reply(i):
        def job():
            go.wait(timeout=DEADLINE)
            for n in range(5):
                services.case_add_update(
                    case=case, actor=world.engineer, body=f"reply {i}-{n}", now=now
                )

        return job

    _run_in_threads(*(reply(i) for i in range(4)))
    bodies = set(CaseEvent.objects.filter(case=case, kind="reply").values_list("body", flat=True))
    assert bodies == {f"reply {i}-{n}" for i in range(4) for n in range(5)}
    assert Case.objects.get(pk=case.pk).version == case.version + 20
