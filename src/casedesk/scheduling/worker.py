"""The loop behind ``casedesk worker`` (and the demo's in-process worker thread)."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import close_old_connections

from casedesk.core import clock
from casedesk.notifications.sending import outbox_pump

from .services import worker_tick

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_worker(
    *,
    stop: threading.Event | None = None,
    idle_sleep: float = 1.0,
    batch: int = 100,
    once: bool = False,
) -> int:
    """Process due deadlines until ``stop`` is set; busy batches run back to back."""
    name = worker_name()
    total = 0
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        try:
            done = worker_tick(worker=name, now=clock.now(), limit=batch)
            done += outbox_pump(worker=name, now=clock.now(), limit=batch)  # E1: send mail
        except Exception:
            log.exception("worker tick failed; retrying")
            done = 0
            stop.wait(idle_sleep)
        total += done
        if once and done < batch:
            break
        if done == 0:
            stop.wait(idle_sleep)
    return total
