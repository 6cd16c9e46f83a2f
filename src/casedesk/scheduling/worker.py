"""The loop behind ``casedesk worker`` (and the demo's in-process worker thread).

Each tick runs three independent steps: due deadlines (convention 4), the outbox
(convention 6) and django-tasks jobs (ADR 0001). Each has its own ``try``: a step that
fails is logged and retried on the next tick, and never keeps the others from running.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker as _TasksWorker
from django_tasks_db.models import DBTaskResult

from casedesk.core import clock
from casedesk.notifications.handover import Handed, outbox_handover
from casedesk.notifications.sending import outbox_pump

from .services import worker_tick

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class _TaskRunner(_TasksWorker):
    """django-tasks-db's worker (its claim and result bookkeeping), counting what it ran."""

    ran = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            self.ran += 1


def tasks_run(*, worker: str, limit: int = 100) -> int:
    """Run up to ``limit`` ready django-tasks jobs of every queue; returns how many ran."""
    runner = _TaskRunner(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=limit,
        worker_id=worker[:64],
        excluded_queue_names=[],
    )
    runner.run()
    return runner.ran


def _steps(name: str, batch: int) -> list[tuple[str, Callable[[], int]]]:
    # The mails the deadline step queues go to this tick's outbox step already claimed
    # (notifications.handover): no claim statements, no second write of every row.
    handed: list[Handed] = []

    def deadlines() -> int:
        with outbox_handover(name, handed):
            return worker_tick(worker=name, now=clock.now(), limit=batch)

    return [
        ("deadlines", deadlines),
        (
            "outbox",
            lambda: outbox_pump(worker=name, now=clock.now(), limit=batch, handed=handed),
        ),  # E1
        ("tasks", lambda: tasks_run(worker=name, limit=batch)),
    ]


def run_worker(
    *,
    stop: threading.Event | None = None,
    idle_sleep: float = 1.0,
    batch: int = 100,
    once: bool = False,
) -> int:
    """Run the steps until ``stop`` is set; while one is busy (a full batch), ticks run back
    to back. ``once`` stops after the first tick in which no step was busy. Returns the
    deadlines, mails and jobs done."""
    name = worker_name()
    total = 0
    stop = stop or threading.Event()
    while not stop.is_set():
        busy = False
        for step, run in _steps(name, batch):
            close_old_connections()  # a step that lost the connection leaves it unusable
            try:
                done = run()
            except Exception:
                log.exception("worker: the %s step failed; the other steps go on", step)
                continue
            total += done
            busy = busy or done >= batch
        if once and not busy:
            break
        if not busy:
            stop.wait(idle_sleep)
    return total
