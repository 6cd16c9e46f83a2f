"""Django's PostgreSQL backend, with the per-request health check done without a round trip.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request on a kept connection, so that one the server dropped (restart, failover,
``pg_terminate_backend``) is replaced instead of failing the request. A server that ends a
session writes its last message (the FATAL error, then end of file) to the socket, so a
connection whose socket has nothing to read, with no transaction open, has not been
dropped by the server: the round trip is skipped for it. Anything waiting on the socket
sends the check down Django's own path, ``SELECT 1``, which reads it. On the opening
benchmark this saves ~0.2 ms of CPU per request, ~4% (issue 17 item 4, docs/benchmarks.md).

The check never saw a drop in the time between it and the first query; neither does this.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
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
        try:
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN)
            return not poll.poll(0)
        except (OSError, ValueError, psycopg.OperationalError):  # closed under us
            return False
