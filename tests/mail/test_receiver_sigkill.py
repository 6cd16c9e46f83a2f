"""Issue 17, item 2 (E2, rules 6 and 7): the receiver's group commit never loses a message.

`casedesk mail-receiver` runs as its own process; four SMTP sessions deliver at once, so
the storing thread commits several messages per transaction and routes them in batches
after the 250s. The process is killed with SIGKILL mid-stream. Every message answered
250 must be stored (its bytes intact) — and processed by the next start — and the MTA's
retries of everything (answered or not) store and route each message exactly once. (A
kill between a file's fsync and its batch's commit may leave that file unreferenced; never
a row without its bytes.) The same holds with several receiver processes sharing the port
(``--processes 2``, ``mail.processes``), whether one child or the parent is killed; on
SQLite, and on PostgreSQL (a database of its own) when the suite runs there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import signal
import smtplib
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from casedesk.mail.services.storing import message_key
from tests.mail.receivers import CASEDESK, migrated_env

CONNECTIONS = 4
PER_CONNECTION = 150
KILL_AFTER = 40  # 250s seen before the kill


def _message(n: int) -> bytes:
    return (
        f"From: sender{n % 7}@mail.example\r\nTo: support@casedesk.invalid\r\n"
        f"Subject: problem {n}\r\nMessage-ID: <kill-{n}@mail.example>\r\n\r\n"
        f"Body of message {n}.\r\n"
    ).encode()


def _start(env: dict[str, str], processes: int) -> tuple[subprocess.Popen, int, str]:
    proc = subprocess.Popen(  # noqa: S603
        [CASEDESK, "mail-receiver", "--port", "0", "--processes", str(processes)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once listening (after processing what was pending)
    assert "SMTP on 127.0.0.1:" in line, line
    port = int(line.split("127.0.0.1:")[1].split()[0])
    return proc, port, line


ROWS = "SELECT message_key, state, raw_key, sha256 FROM mail_inboundmessage"


def _rows(db: Path | str) -> list[tuple[str, str, str, str]]:
    if isinstance(db, str):  # a PostgreSQL URL
        import psycopg

        with psycopg.connect(db) as conn:
            return conn.execute(ROWS).fetchall()
    with sqlite3.connect(db) as conn:
        return conn.execute(ROWS).fetchall()


@contextlib.contextmanager
def _database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path | str]]:
    """The commands' own database: SQLite in the data directory, or, when the suite runs
    on PostgreSQL, a fresh database on that server (dropped after)."""
    url = os.environ.get("CASEDESK_DATABASE_URL", "")
    if not url:
        yield {}, tmp_path / "data" / "casedesk.sqlite3"
        return
    import psycopg

    server, _, _ = url.rpartition("/")
    name = f"casedesk_sigkill_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield {"CASEDESK_DATABASE_URL": f"{server}/{name}"}, f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _children(line: str) -> list[int]:
    """The receiver processes' ids from the start line (``2 processes: 123 456``)."""
    return [int(pid) for pid in line.rsplit("processes:", 1)[1].strip(" )\n").split()]


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize(
    ("processes", "kill"), [(1, "receiver"), (2, "child"), (2, "parent")], ids=str
)
def test_sigkill_during_group_commit_loses_no_acknowledged_message(tmp_path, processes, kill):
    with _database(tmp_path) as (database, db):
        _sigkill_run(tmp_path, processes, kill, database, db)


def _sigkill_run(
    tmp_path: Path, processes: int, kill: str, database: dict[str, str], db: Path | str
) -> None:
    env = migrated_env(tmp_path, database)
    proc, port, line = _start(env, processes)
    children = _children(line) if processes > 1 else []
    assert len(children) == processes or processes == 1

    acked: set[int] = set()
    lock = threading.Lock()
    enough = threading.Event()

    def deliver(first: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                for n in range(first, first + PER_CONNECTION):
                    smtp.sendmail(f"sender{n % 7}@mail.example", ["support@x"], _message(n))
                    with lock:
                        acked.add(n)
                        if len(acked) >= KILL_AFTER:
                            enough.set()
        except (OSError, smtplib.SMTPException):  # the receiver was killed
            pass
        finally:
            enough.set()

    clients = [
        threading.Thread(target=deliver, args=(c * PER_CONNECTION,)) for c in range(CONNECTIONS)
    ]
    for client in clients:
        client.start()
    assert enough.wait(120)
    if kill == "child":  # its sessions break; the parent starts a new child
        os.kill(children[0], signal.SIGKILL)
    else:
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    for client in clients:
        client.join(120)
    if kill == "child":  # the rest go on; stop it all, as an operator would
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    for pid in children:  # a killed parent takes its children with it
        for _ in range(600):
            if _gone(pid):
                break
            time.sleep(0.1)
        assert _gone(pid), f"receiver process {pid} outlived the {kill}"
    with lock:
        answered = set(acked)
    assert len(answered) >= KILL_AFTER

    # Every 250 is a stored row whose bytes are the message's.
    stored = {key: (state, raw_key, digest) for key, state, raw_key, digest in _rows(db)}
    for n in answered:
        raw = _message(n)
        _, raw_key, digest = stored[message_key(raw, "mta")]
        assert digest == hashlib.sha256(raw).hexdigest()
        assert (tmp_path / "data" / "files" / raw_key).read_bytes() == raw

    # The next start processes what the kill left stored but unrouted.
    proc, port, line = _start(env, processes)
    try:
        assert all(state != "received" for _, state, _, _ in _rows(db)), line
        # The MTA retries every message (the unanswered, and answered ones whose 250 it
        # may have lost): each is stored and routed exactly once.
        total = CONNECTIONS * PER_CONNECTION
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for n in range(total):
                assert smtp.sendmail("x@mail.example", ["support@x"], _message(n)) == {}
        rows = _rows(db)  # QUIT was answered once the session's messages were processed
        assert len(rows) == total
        assert {key for key, _, _, _ in rows} == {
            message_key(_message(n), "mta") for n in range(total)
        }
        assert {state for _, state, _, _ in rows} == {"needs_care"}
        for _, _, raw_key, digest in rows:
            data = (tmp_path / "data" / "files" / raw_key).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
