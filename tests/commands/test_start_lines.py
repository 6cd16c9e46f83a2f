"""Commands say at start which data directory and database they use (issue 16 item 5f),
and the demo still starts everything on the development key (item 4).

A worker started in another directory silently used another SQLite file; now its first
line names it. A DATABASE_URL's password never appears.
"""

from __future__ import annotations

import secrets
import signal
import smtplib
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import dj_database_url
import pytest

from casedesk.cli import database_label

from .test_start_guard import CASEDESK, GOOD_KEY, clean_env, run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data directory with a migrated SQLite database, shared by this module's commands."""
    home = tmp_path_factory.mktemp("commands")
    done = run(["manage", "migrate", "-v0"], clean_env(home))
    assert done.returncode == 0, done.stderr
    return home / "data"


def test_database_label_never_shows_the_password():
    parsed = dj_database_url.parse("postgres://casedesk:s3cr3t-pw@db.example:5433/casedesk")
    assert database_label(parsed) == "postgresql casedesk@db.example:5433/casedesk"
    assert database_label({"ENGINE": "django.db.backends.sqlite3", "NAME": "/d/x.sqlite3"}) == (
        "SQLite /d/x.sqlite3"
    )


def test_worker_names_its_data_directory_and_sqlite_file(migrated, tmp_path):
    # Run from another directory: --data-dir decides, and the first line says so.
    env = clean_env(tmp_path, CASEDESK_SECRET_KEY=GOOD_KEY)
    del env["CASEDESK_DATA_DIR"]
    done = subprocess.run(  # noqa: S603
        [CASEDESK, "worker", "--once", "--data-dir", str(migrated)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"casedesk worker: data in {migrated}; database SQLite {migrated / 'casedesk.sqlite3'}"
    )
    assert done.stdout == "processed 0 deadline(s), mail(s) and background job(s)\n"
    assert not (tmp_path / "casedesk-data").exists()


def test_worker_names_its_postgresql_database_without_the_password(tmp_path):
    # Nothing listens on the port: the start line comes first, the password never.
    url = f"postgres://casedesk:pw-{secrets.token_hex(8)}@127.0.0.1:{free_port()}/casedesk"
    done = run(
        ["worker", "--once", "--idle", "0"],
        clean_env(tmp_path, CASEDESK_SECRET_KEY=GOOD_KEY, CASEDESK_DATABASE_URL=url),
    )
    assert done.returncode == 0
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert done.stderr.splitlines()[0] == (
        f"casedesk worker: data in {tmp_path / 'data'};"
        f" database postgresql casedesk@127.0.0.1:{port}/casedesk"
    )
    password = url.split(":")[2].split("@")[0]
    assert password not in done.stderr + done.stdout


def test_mail_poll_names_its_database_before_asking_for_imap(migrated, tmp_path):
    done = run(["mail-poll", "--once"], clean_env(migrated.parent, CASEDESK_SECRET_KEY=GOOD_KEY))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"casedesk mail-poll: data in {migrated}; database SQLite {migrated / 'casedesk.sqlite3'}",
        "casedesk mail-poll: set CASEDESK_IMAP_HOST (and _USER, _PASSWORD).",
    ]


@pytest.mark.parametrize(
    "args",
    [["sftp", "--port", "0"], ["mail-receiver", "--port", "0"], ["serve", "--workers", "1"]],
    ids=["sftp", "mail-receiver", "serve"],
)
def test_servers_name_their_data_directory_and_database_at_start(args, migrated):
    env = clean_env(migrated.parent, CASEDESK_SECRET_KEY=GOOD_KEY)
    if args[0] == "serve":
        args = [*args, "--port", str(free_port())]
    process = subprocess.Popen(  # noqa: S603
        [CASEDESK, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    expected = (
        f"casedesk {args[0]}: data in {migrated}; database SQLite {migrated / 'casedesk.sqlite3'}\n"
    )
    try:
        assert process.stderr is not None
        line = _first_line(process, process.stderr, f"casedesk {args[0]}:")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert line == expected


def _first_line(process: subprocess.Popen, stream, prefix: str, *, seconds: float = 120.0) -> str:
    """The first line of ``stream`` starting with ``prefix``, or "" once the process ended;
    a watchdog kills a process that never writes it, so the read cannot hang."""
    watchdog = threading.Timer(seconds, process.kill)
    watchdog.start()
    try:
        for line in stream:
            if line.startswith(prefix):
                return line
        return ""
    finally:
        watchdog.cancel()


def _poll(what, check, *, seconds: float = 120.0):
    """Wait for ``check()`` to be truthy: a deadline, not a guess at how long it takes."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.2)


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _ssh_banner(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        return sock.recv(64)


def _smtp_greeting(port: int) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return int(client.noop()[0])


def test_the_demo_starts_every_component_on_the_development_key(tmp_path):
    # R: item 4 — no CASEDESK_SECRET_KEY, yet web server, worker, SFTP and SMTP all run.
    web, sftp, smtp = free_port(), free_port(), free_port()
    env = clean_env(tmp_path)
    assert "CASEDESK_SECRET_KEY" not in env
    process = subprocess.Popen(  # noqa: S603
        [CASEDESK, "demo", "--port", str(web), "--sftp-port", str(sftp), "--smtp-port", str(smtp)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    data = tmp_path / "data"
    try:
        assert process.stdout is not None
        banner = []
        watchdog = threading.Timer(180, process.kill)  # a demo that never finishes starting
        watchdog.start()
        try:
            for line in process.stdout:
                banner.append(line)
                if line.startswith("  Mail in:"):  # the banner's last line
                    break
        finally:
            watchdog.cancel()
        text = "".join(banner)
        assert "Press Ctrl+C" in text, text
        assert f"  Database: SQLite {data / 'casedesk.sqlite3'}\n" in text
        assert f"  SFTP:    sftp://127.0.0.1:{sftp}" in text
        assert f"  Mail in: smtp://127.0.0.1:{smtp}" in text
        assert _poll("web server", lambda: _http_status(f"http://127.0.0.1:{web}/login/")) == 200
        assert _poll("SFTP server", lambda: _ssh_banner(sftp)).startswith(b"SSH-2.0-")
        assert _poll("SMTP receiver", lambda: _smtp_greeting(smtp)) == 250
        # The in-process worker sends the seeded cases' mail into files (its outbox step).
        assert _poll("worker", lambda: list((data / "sent-mail").glob("*.log")))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
