"""The per-request health check of a kept PostgreSQL connection (issue 15 item 11, issue 17).

``casedesk.core.postgresql`` skips Django's ``SELECT 1`` for a connection in steady use
(a query less than ``RECENT`` ago) whose socket shows the server has not ended the
session, and falls back to it otherwise. These tests drive the wrapper as a request would
(``close_if_unusable_or_obsolete`` is what ``request_started`` calls), set ``RECENT``
instead of waiting, and count the round trips Django's check makes.
"""

from __future__ import annotations

import select

import psycopg
import pytest
from django.db import connection, connections

from casedesk.core.postgresql import base as backend

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL only: set CASEDESK_DATABASE_URL"
    ),
]


@pytest.fixture
def wrapper(monkeypatch):
    """The default connection's wrapper, with Django's round-trip check counted; every
    connection counts as in steady use unless a test says otherwise."""
    monkeypatch.setattr(backend, "RECENT", 3600.0)
    db = connections["default"]
    db.ensure_connection()
    db.health_check_enabled = True  # as CONN_HEALTH_CHECKS sets it on connect
    real = db.is_usable
    db.pings = []
    monkeypatch.setattr(db, "is_usable", lambda: db.pings.append(1) or real())
    return db


def _backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request(db) -> None:
    db.close_if_unusable_or_obsolete()  # request_started → close_old_connections


def test_a_quiet_kept_connection_is_used_without_a_round_trip(wrapper):
    # R: issue 17 item 4 — no SELECT 1 before each request's first query
    pid = _backend_pid(wrapper)
    for _ in range(3):
        _next_request(wrapper)
        assert _backend_pid(wrapper) == pid
    assert wrapper.pings == []


def _wait_readable(db) -> None:
    """Until something reaches the connection's socket (an event, not a fixed sleep)."""
    poll = select.poll()
    poll.register(db.connection.pgconn.socket, select.POLLIN)
    assert poll.poll(30_000)


def test_a_connection_idle_for_longer_is_checked_with_a_round_trip(wrapper, monkeypatch):
    # R: issue 15 item 11 — a failover that sent nothing is caught after a quiet spell
    monkeypatch.setattr(backend, "RECENT", 0.0)
    pid = _backend_pid(wrapper)
    _next_request(wrapper)
    assert _backend_pid(wrapper) == pid
    assert wrapper.pings == [1]


def test_something_waiting_on_the_socket_sends_the_check_the_old_way(wrapper):
    # A notification is not a drop: the round trip reads it and the connection is kept.
    pid = _backend_pid(wrapper)
    with wrapper.cursor() as cursor:
        cursor.execute("LISTEN casedesk_test_health")
    settings = wrapper.get_connection_params()
    with psycopg.connect(**settings, autocommit=True) as other:
        other.execute("NOTIFY casedesk_test_health")
    _wait_readable(wrapper)
    _next_request(wrapper)
    assert _backend_pid(wrapper) == pid
    assert wrapper.pings == [1]
    with wrapper.cursor() as cursor:
        cursor.execute("UNLISTEN *")


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(wrapper):
    # R: issue 15 item 11 — a restart or failover between two requests fails no request
    pid = _backend_pid(wrapper)
    settings = wrapper.get_connection_params()
    with psycopg.connect(**settings, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 30000)", [pid])  # waits for the exit
    _wait_readable(wrapper)  # the server's goodbye
    _next_request(wrapper)
    assert _backend_pid(wrapper) != pid  # the first query ran on a new connection
    assert wrapper.pings == [1]


def test_an_open_transaction_is_checked_the_old_way(wrapper):
    # A connection left inside a transaction is never taken as quiet.
    _backend_pid(wrapper)
    wrapper.connection.execute("BEGIN")
    try:
        assert not wrapper._quiet()
    finally:
        wrapper.connection.execute("ROLLBACK")
    assert wrapper._quiet()
