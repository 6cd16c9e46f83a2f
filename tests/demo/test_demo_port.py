"""`casedesk demo` on a busy port says which port and how to change it, before the banner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def test_busy_port_is_said_plainly_before_anything_else(tmp_path):
    # R: issue 11 item 8 — no traceback, no banner, the option that fixes it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [CASEDESK, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")]
        done = subprocess.run(  # noqa: S603
            [*command, "--sftp-port", "0", "--smtp-port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Portal:" not in done.stdout  # the banner would promise a server that is not there
    assert not (tmp_path / "data" / "casedesk.sqlite3").exists()  # nothing migrated
