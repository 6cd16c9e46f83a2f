"""Issue 17, item 2 (E2): `casedesk mail-receiver --processes 2` shares the MTA's sessions
out evenly between its processes, each receives and routes mail, and SIGTERM stops them
all. (Killing one is in test_receiver_sigkill.py.)"""

from __future__ import annotations

import os
import secrets
import signal
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def _sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_two_processes_take_two_sessions_each_and_both_receive(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env |= {
        "CASEDESK_DATA_DIR": str(tmp_path / "data"),
        "CASEDESK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEDESK_MAIL_TRUST_UNAUTHENTICATED": "true",
        "DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
    }
    subprocess.run([CASEDESK, "manage", "migrate", "-v0"], env=env, check=True, timeout=180)  # noqa: S603
    proc = subprocess.Popen(  # noqa: S603
        [CASEDESK, "mail-receiver", "--port", "0", "--processes", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    sessions = []
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split()[0])
        children = [int(p) for p in line.rsplit("processes:", 1)[1].strip(" )\n").split()]
        assert len(children) == 2
        before = {pid: _sockets(pid) for pid in children}
        for _ in range(4):  # each waits for its greeting: accepted before the next connects
            sessions.append(smtplib.SMTP("127.0.0.1", port, timeout=60))
        assert [_sockets(pid) - before[pid] for pid in children] == [2, 2]
        for n, smtp in enumerate(sessions):
            raw = f"From: a@mail.example\r\nSubject: s{n}\r\nMessage-ID: <p{n}@m>\r\n\r\nHi\r\n"
            assert smtp.sendmail("a@mail.example", ["support@x"], raw.encode()) == {}
            smtp.quit()  # 221 once processed
        from sqlite3 import connect

        with connect(tmp_path / "data" / "casedesk.sqlite3") as db:
            states = db.execute("SELECT state FROM mail_inboundmessage").fetchall()
        assert sorted(states) == [("needs_care",)] * 4
    finally:
        for smtp in sessions:
            smtp.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists()
