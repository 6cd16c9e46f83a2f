"""Real ``casedesk worker`` processes against the test database (PostgreSQL), for the
crash and stale-claim tests: start, stop, pause, wait for a condition."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from django.db import connection

PATIENCE = 90  # seconds a condition may take on a loaded 2-core machine before failing


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker on the test database, with ``CASEDESK_*`` overrides."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = dict(os.environ)
    env.update(
        CASEDESK_DATABASE_URL=f"{url}/{db['NAME']}",
        CASEDESK_LOG_LEVEL="ERROR",
        CASEDESK_SECRET_KEY=secrets.token_urlsafe(50),  # the worker refuses the development key
    )
    env.update({f"CASEDESK_{key}": value for key, value in extra.items()})
    return env


def start_worker(env: dict[str, str], *, prefix: tuple[str, ...] = (), once: bool = False):
    """``casedesk worker`` in its own process; ``prefix`` runs it under e.g. ``faketime``."""
    command = [*prefix, sys.executable, "-m", "casedesk.cli", "worker", "--idle", "0.05"]
    return subprocess.Popen(  # noqa: S603 (our own command line, no outside input)
        [*command, "--once"] if once else command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], object], what: str, patience: float = PATIENCE) -> None:
    """Poll until ``condition()`` holds; fail naming ``what`` after ``patience`` seconds."""
    end = time.monotonic() + patience
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop_workers(*workers: subprocess.Popen) -> None:
    """SIGTERM (the worker finishes its tick and exits), SIGKILL if it does not."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGCONT)
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stderr is not None:
            worker.stderr.close()
