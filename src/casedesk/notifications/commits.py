"""Commits of the send loop that do not wait for the disk (issue 17; rule 7).

Each message is marked ``sent`` in its own commit as soon as the SMTP server accepted it,
so a worker that dies loses at most the one message in flight. With PostgreSQL's default
``synchronous_commit = on`` each of those commits also waits for the WAL to reach the
disk: on a busy machine that wait, not the work, limited a worker to ~100 messages/s.
``quick_commits()`` turns the wait off for the send loop alone (``SET synchronous_commit
TO off``, reset afterwards, so the worker's other steps keep durable commits).

What it trades, and why that is acceptable: a commit is still atomic and ordered, and a
*worker* crash loses nothing that was committed. Only a crash of PostgreSQL itself (or
its machine) may lose the last few hundred milliseconds of marks (``wal_writer_delay``
× 3 at most); those messages' claims then lapse and they go out again **with the same
Message-ID**, which receivers use to discard duplicates — the outbox's existing promise
of "once, in effect". ``CASEDESK_OUTBOX_DURABLE_MARKS=1`` keeps every mark durable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)


@contextmanager
def quick_commits() -> Iterator[None]:
    if connection.vendor != "postgresql" or getattr(settings, "OUTBOX_DURABLE_MARKS", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:  # a broken connection is closed by the worker loop anyway
            log.warning("outbox: could not reset synchronous_commit", exc_info=True)
