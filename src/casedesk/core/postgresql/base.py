"""Django's PostgreSQL backend, with the per-request health check skipped while a
connection is in steady use.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request on a kept connection, so that one the server dropped (restart, failover,
``pg_terminate_backend``) is replaced instead of failing the request. The round trip is
~4% of a case opening's CPU (issue 17 item 4, docs/benchmarks.md), and under load it buys
little: a drop in the middle of traffic fails the requests in flight whatever is checked.

So the check is skipped only when both hold:

* the connection ran a query less than ``RECENT`` seconds ago (steady use, as PgBouncer's
  ``server_check_delay``), and
* its session is idle and its socket has nothing to read. A server process that ends a
  session writes its FATAL message and closes, so that socket is readable; anything
  waiting there (a notice, a NOTIFY) sends the check down Django's own path.

A connection idle for longer (the next request after a quiet spell, after a failover
that sent nothing, after a host reboot) is checked with ``SELECT 1`` as before. The gap
left: a drop within ``RECENT`` of the last query whose goodbye has not reached the socket
yet fails that request with the 503 of ``DatabaseUnavailableMiddleware``, once per worker.
"""

from __future__ import annotations

import select
import time

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

RECENT = 1.0  # seconds


class DatabaseWrapper(base.DatabaseWrapper):
    _used_at = float("-inf")

    def _cursor(self, name=None):  # type: ignore[no-untyped-def]
        cursor = super()._cursor(name)  # the health check runs in here, before the query
        self._used_at = time.monotonic()
        return cursor

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and time.monotonic() - self._used_at < RECENT
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """The session is idle and the server has sent nothing since its last reply."""
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        if not hasattr(select, "poll"):  # Windows: always the round trip
            return False
        try:
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN)
            return not poll.poll(0)
        except (OSError, ValueError, psycopg.OperationalError):  # closed under us
            return False
