"""The drop box's real SFTP server in a thread, and OpenSSH's ``sftp`` client to talk to it.

The server runs in-process on an ephemeral port with its own database thread, so tests
using it are transactional (the server must see committed rows). ``sftp -b`` normally
forbids interactive authentication; the password comes from an SSH_ASKPASS script
(SSH_ASKPASS_REQUIRE=force) instead, with stdin from /dev/null.

A test that acts while a client is connected pauses the client at a gate in its batch
(``SftpClient.paused``): the client signals that it got there and waits until the test
opens the gate, so "the session was cut between the two puts" never depends on a sleep.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SFTP = shutil.which("sftp")
# A batch line: run locally by sftp's shell between two SFTP commands.
GATE = "!touch reached && while [ ! -e go ]; do sleep 0.05; done"


@dataclass
class SftpResult:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class SftpClient:
    port: int
    workdir: Path

    def command(self, username: str, password: str, batch: str) -> tuple[list[str], dict]:
        batchfile = self.workdir / "batch"
        batchfile.write_text(batch)
        askpass = self.workdir / "askpass.sh"
        askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$CASEDESK_TEST_SFTP_PASSWORD"\n')
        askpass.chmod(0o700)
        env = {
            **os.environ,
            "SSH_ASKPASS": str(askpass),
            "SSH_ASKPASS_REQUIRE": "force",
            "DISPLAY": ":0",
            "CASEDESK_TEST_SFTP_PASSWORD": password,
        }
        args = [
            SFTP or "sftp",
            # BatchMode would forbid the askpass password; the first value given wins in ssh.
            "-o", "BatchMode=no",
            "-b", str(batchfile),
            "-P", str(self.port),
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=password",
            "-o", "PubkeyAuthentication=no",
            "-o", "NumberOfPasswordPrompts=1",
            "-o", "ConnectTimeout=20",
            "-o", "LogLevel=ERROR",
            f"{username}@127.0.0.1",
        ]  # fmt: skip
        return args, env

    def run(self, username: str, password: str, batch: str, timeout: float = 60) -> SftpResult:
        args, env = self.command(username, password, batch)
        done = subprocess.run(  # noqa: S603 — fixed argv, no shell
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.workdir,
            check=False,
        )
        return SftpResult(done.returncode, done.stdout, done.stderr)

    @contextlib.contextmanager
    def paused(self, username: str, password: str, before: str, after: str) -> Iterator[Paused]:
        """A client that runs ``before``, waits at the gate, then runs ``after``."""
        args, env = self.command(username, password, f"{before}\n{GATE}\n{after}\n")
        proc = subprocess.Popen(  # noqa: S603
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.workdir,
            start_new_session=True,  # the gate's shell goes with it on cleanup
        )
        try:
            yield Paused(proc, self.workdir)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()


@dataclass
class Paused:
    proc: subprocess.Popen
    workdir: Path

    def wait_at_gate(self) -> None:
        """Until the client has done ``before`` and waits; fails if it ended instead."""
        from tests.waiting import wait_for

        wait_for(
            lambda: (self.workdir / "reached").exists() or self.proc.poll() is not None,
            "the sftp client to reach the gate",
        )
        if self.proc.poll() is not None:
            out, err = self.proc.communicate()
            pytest.fail(f"sftp ended before the gate ({self.proc.returncode}): {out}{err}")

    def release(self) -> SftpResult:
        """Open the gate and wait for the client to finish ``after``."""
        (self.workdir / "go").touch()
        out, err = self.proc.communicate(timeout=120)
        return SftpResult(self.proc.returncode, out, err)


@pytest.fixture
def sftp_server(transactional_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    if SFTP is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs OpenSSH's sftp client (.ci/run installs openssh-client)")
        pytest.skip("no OpenSSH sftp client here: `apt-get install openssh-client`")
    from django.core.cache import cache

    from casedesk.dropbox.server import start_in_thread

    cache.clear()  # login failures from 127.0.0.1 in earlier tests must not count here

    runner = start_in_thread("127.0.0.1", 0, host_key_path=tmp_path / "host_key", check_seconds=0.3)
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture
def sftp(sftp_server, tmp_path):  # type: ignore[no-untyped-def]
    workdir = tmp_path / "client"
    workdir.mkdir()
    return SftpClient(sftp_server.service.port, workdir)
