"""Issue 17, item 2 (E2): `casedesk mail-receiver --processes 2` shares the MTA's sessions
out evenly between its processes, each receives and routes mail, and SIGTERM stops them
all. (Killing one is in test_receiver_sigkill.py.)"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import smtplib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mail.receivers import CASEDESK, migrated_env


def _sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


def _children_of(parent: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


@dataclass
class Receiver:
    proc: subprocess.Popen[str]
    port: int
    children: list[int]


@pytest.fixture
def receiver(tmp_path):  # type: ignore[no-untyped-def]
    """`casedesk mail-receiver --processes 2` on a migrated scratch SQLite database; SIGTERM
    at the end must stop it cleanly (exit status 0)."""
    env = migrated_env(tmp_path)
    proc = subprocess.Popen(  # noqa: S603
        [CASEDESK, "mail-receiver", "--port", "0", "--processes", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split()[0])
        children = [int(p) for p in line.rsplit("processes:", 1)[1].strip(" )\n").split()]
        yield Receiver(proc, port, children)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0


def _four_sessions_send(port: int, pids: list[int], tag: str) -> list[int]:
    """Open four SMTP sessions (each waits for its greeting, so it is accepted before the
    next connects), send one message on each, quit; the sessions each pid took."""
    before = {pid: _sockets(pid) for pid in pids}
    sessions = []
    try:
        for _ in range(4):
            sessions.append(smtplib.SMTP("127.0.0.1", port, timeout=60))
        taken = [_sockets(pid) - before[pid] for pid in pids]
        for n, smtp in enumerate(sessions):
            head = f"From: a@mail.example\r\nSubject: {tag}{n}\r\nMessage-ID: <{tag}{n}@m>"
            raw = head + "\r\n\r\nHi\r\n"
            assert smtp.sendmail("a@mail.example", ["support@x"], raw.encode()) == {}
            smtp.quit()  # 221 once processed
        return taken
    finally:
        for smtp in sessions:
            smtp.close()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_two_processes_take_two_sessions_each_and_both_receive(receiver, tmp_path):
    assert len(receiver.children) == 2
    assert _four_sessions_send(receiver.port, receiver.children, "p") == [2, 2]
    from sqlite3 import connect

    with connect(tmp_path / "data" / "casedesk.sqlite3") as db:
        states = db.execute("SELECT state FROM mail_inboundmessage").fetchall()
    assert sorted(states) == [("needs_care",)] * 4
    receiver.proc.send_signal(signal.SIGTERM)
    assert receiver.proc.wait(60) == 0
    for pid in receiver.children:
        assert not Path(f"/proc/{pid}").exists()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_a_killed_process_is_replaced_by_one_that_serves(receiver):
    """E2: the parent restarts a dead receiver process, and the new one takes its share of
    the sessions and stays up (a restart that died at once would be restarted forever)."""
    parent, (first, second) = receiver.proc.pid, receiver.children
    os.kill(first, signal.SIGKILL)
    replaced: set[int] = set()
    for _ in range(600):  # until the parent has started another (bounded, ~60 s)
        replaced = _children_of(parent) - {first, second}
        if replaced and first not in _children_of(parent):
            break
        time.sleep(0.1)
    assert len(replaced) == 1
    (new,) = replaced
    # The survivor takes one, then waits for the newcomer's turn.
    assert _four_sessions_send(receiver.port, [second, new], "r") == [2, 2]
    assert _children_of(parent) == {second, new}  # still the same, still up


def test_a_session_that_fails_before_it_starts_is_not_counted():
    """A client that resets before its session exists must not leave its process looking
    busier than it is: the others would keep taking its share of the sessions."""
    import concurrent.futures
    import multiprocessing
    import socket

    from casedesk.mail.processes import _Child

    counts = multiprocessing.Array("i", 2, lock=False)
    listener = socket.create_server(("127.0.0.1", 0))
    child = _Child(listener, 0, counts, {"lmtp": False})
    try:
        conn, peer = socket.socketpair()
        ok = concurrent.futures.Future()
        ok.set_result(None)
        child._add(1)
        child._started(ok, conn)  # a session that started: counted until it is lost
        assert counts[:] == [1, 0] and conn.fileno() != -1
        failed = concurrent.futures.Future()
        failed.set_exception(ConnectionResetError())
        child._started(failed, conn)
        assert counts[:] == [0, 0] and conn.fileno() == -1
        peer.close()
    finally:
        child.loop.close()
        child.handler.close()
        listener.close()


class _FlakySocket:
    """A listening socket whose first accept fails as when descriptors run out (EMFILE)."""

    def __init__(self, child_box):
        self.calls = 0
        self.child_box = child_box
        self.closed = False

    def settimeout(self, _):
        pass

    def accept(self):
        self.calls += 1
        if self.calls == 1:
            raise OSError(errno.EMFILE, "Too many open files")
        self.child_box[0].stopping.set()  # the second try: the process is told to stop
        raise TimeoutError

    def close(self):
        self.closed = True


@pytest.mark.django_db
def test_a_failed_accept_for_want_of_resources_does_not_end_the_process(monkeypatch):
    # R: E2, rule 6 — a shortage of descriptors must not crash the child (and loop its
    # restarts); it pauses and accepts again.
    from casedesk.mail import processes

    monkeypatch.setattr(processes, "ACCEPT_PAUSE", 0)
    box = []
    sock = _FlakySocket(box)
    counts = [0]
    child = processes._Child(sock, 0, counts, {"lmtp": False, "ident": "test"})
    box.append(child)
    try:
        child.serve()  # returns instead of raising
    finally:  # had it raised, its loop thread would still run
        if child.thread.is_alive():
            child.loop.call_soon_threadsafe(child.loop.stop)
            child.thread.join(30)
    assert sock.calls == 2 and sock.closed


def test_a_negative_process_count_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env |= {"CASEDESK_DATA_DIR": str(tmp_path), "CASEDESK_SECRET_KEY": secrets.token_urlsafe(50)}
    run = subprocess.run(  # noqa: S603
        [CASEDESK, "mail-receiver", "--processes", "-2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert "--processes -2: give 0 or more" in run.stderr
    assert "Traceback" not in run.stderr
