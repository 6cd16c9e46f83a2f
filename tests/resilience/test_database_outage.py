"""A database outage costs no 500s (issue 15 item 11; security rule 6).

A real WSGI server (waitress, as the demo runs it) in its own process, keeping its database
connections between requests (``CONN_MAX_AGE=60``), spoken to over HTTP:

* PostgreSQL drops the connections it holds (``pg_terminate_backend`` from a second
  connection, as a restart or failover would): the next requests reconnect and succeed.
* The database cannot be reached at all: pages answer a 503 page and the API its JSON
  error, both with ``Retry-After``; never "Server Error (500)".
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from casedesk.accounts.services import api_token_create
from tests.factories import build_world

# waitress with four threads, each keeping its own connection, like `casedesk demo`.
SERVER = """
from waitress import create_server
from casedesk.config.wsgi import application
server = create_server(application, host="127.0.0.1", port=0, threads=4)
print(server.effective_port, flush=True)
server.run()
"""


@contextmanager
def served(tmp_path: Path, database_url: str) -> Iterator[str]:
    """The application in a server process of its own; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env.update(
        CASEDESK_DATA_DIR=str(tmp_path / "data"),
        CASEDESK_DATABASE_URL=database_url,
        CASEDESK_DB_CONN_MAX_AGE="60",
        CASEDESK_SECRET_KEY=settings.SECRET_KEY,  # reads the sessions this process signs
        CASEDESK_LOG_LEVEL="CRITICAL",
    )
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603  our own interpreter and a fixed script
            [sys.executable, "-c", SERVER], env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            port = process.stdout.readline().strip()
            assert port.isdigit(), (tmp_path / "server.log").read_text()
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_database_is_a_503_with_retry_after(tmp_path):
    # R: rule 6 (never a 500), issue 15 item 11. Nothing listens on the port: every
    # request that needs the database finds it unreachable.
    url = f"postgres://casedesk@127.0.0.1:{_closed_port()}/casedesk?connect_timeout=5"
    with served(tmp_path, url) as base:
        page = requests.get(f"{base}/cases/", cookies={"sessionid": "x" * 32}, timeout=60)
        assert page.status_code == 503
        assert int(page.headers["Retry-After"]) > 0
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Temporarily unavailable" in page.text
        api = requests.get(
            f"{base}/api/v1/me", headers={"Authorization": "Bearer cdk_x"}, timeout=60
        )
        assert api.status_code == 503
        assert int(api.headers["Retry-After"]) > 0
        body = api.json()
        assert set(body) == {"detail", "errors"}
        assert "unavailable" in body["detail"]
        token = requests.post(
            f"{base}/api/v1/auth/token",
            json={"email": "alice@acme.example", "password": "x"},
            timeout=60,
        )
        assert token.status_code == 503
        assert set(token.json()) == {"detail", "errors"}
        # What needs no database still works.
        assert requests.get(f"{base}/login/", timeout=60).status_code == 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (pg_terminate_backend): set CASEDESK_DATABASE_URL",
)
def test_connections_killed_by_postgresql_are_replaced(tmp_path, now):
    # R: rule 6, issue 15 item 11 (a restart or failover between two requests)
    world = build_world(now=now)
    token = api_token_create(user=world.alice, name="outage", now=now)
    browser = Client()
    browser.force_login(world.alice)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}
    name = f"casedesk-outage-{os.getpid()}"
    db = connection.settings_dict
    url = (
        f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}?application_name={name}"
    )

    def requests_succeed(times: int) -> None:
        for _ in range(times):
            page = requests.get(
                f"{base}/cases/{world.alice_case.number}/", cookies=cookies, timeout=60
            )
            assert page.status_code == 200, page.text[:300]
            api = requests.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            assert api.status_code == 200, api.text[:300]

    with served(tmp_path, url) as base:
        requests_succeed(8)
        with connection.cursor() as cursor:
            cursor.execute(
                # With a timeout it returns once each backend has exited and written its
                # goodbye: a drop announced before the next request, as a restart's is.
                "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [name],
            )
            killed = cursor.fetchall()
        # The server was holding its connections open; all of them are gone now.
        assert killed and all(ok for (ok,) in killed)
        requests_succeed(6)
