"""Browser uploads against the production server, killed and restarted mid-upload (D1).

The server is the real thing (``casedesk serve``: gunicorn, a file SQLite database and a
data directory in tmp_path) on a free port, so it can be killed with SIGKILL and started
again on the same port while Chromium is in the middle of sending a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SEED = """
import json, django
django.setup()
from casedesk.core import clock
from tests.factories import build_world
world = build_world(now=clock.now())
print(json.dumps({"email": world.alice.email, "case": world.alice_case.number}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``casedesk serve`` in its own process group, so a kill takes master and workers."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "CASEDESK_DATA_DIR": str(data_dir),
            "CASEDESK_SECRET_KEY": "browser-test-" + "k" * 60,
            "CASEDESK_SECURE_COOKIES": "0",
            "CASEDESK_UPLOAD_LOCK_SECONDS": "3",
            "CASEDESK_LOG_LEVEL": "ERROR",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this checkout
            "DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
        }
        self.env.pop("CASEDESK_DATABASE_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(  # noqa: S603  our own interpreter and CLI
            [sys.executable, *args],
            env=self.env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "casedesk.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                "2",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("casedesk serve did not come up")

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "data", _free_port())
    srv.run("-m", "casedesk.cli", "manage", "migrate", "--noinput")
    srv.seed = json.loads(srv.run("-c", SEED).strip().splitlines()[-1])
    srv.start()
    yield srv
    srv.kill()


def _file(path: Path, size: int) -> str:
    block = os.urandom(1 << 20)
    with open(path, "wb") as out:
        for i in range(size >> 20):
            out.write(i.to_bytes(8, "big") + block[8:])
        out.write(block[: size & ((1 << 20) - 1)])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_survives_a_server_restart_and_several_files_go_at_once(browser, server, tmp_path):
    # R: D1 — several at once, resumable after a broken connection or a page reload,
    # integrity-checked, visible progress; SHA-256 shown for every attachment (D3).
    big = tmp_path / "switch-trace.pcap"
    big_sha = _file(big, 40 * 1024 * 1024 + 321)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/login/")
    page.get_by_label("Email").fill(server.seed["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto(f"{server.url}/cases/{server.seed['case']}/")
    # Slow the link to ~6 MB/s so the kill lands in the middle of the upload.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 6 << 20},
    )

    page.get_by_label("Attach files").set_input_files(str(big))
    row = page.locator(".upload-list li").first
    page.wait_for_function(
        "() => { const li = document.querySelector('.upload-list li');"
        " const p = li && Number(li.dataset.percent || 0); return p > 5 && p < 70; }",
        timeout=60_000,
    )
    server.kill()
    page.wait_for_function(
        "() => document.querySelector('.upload-list li .upload__state')"
        ".textContent.includes('retrying')",
        timeout=30_000,
    )
    percent_at_kill = int(row.get_attribute("data-percent") or 0)
    assert 0 < percent_at_kill < 100
    server.start()
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.wait_for_selector(".upload-list li.upload--done", timeout=120_000)
    assert row.get_attribute("data-sha256") == big_sha
    page.wait_for_selector(f"[data-files-list] code:text('{big_sha}')", timeout=30_000)
    listed = page.locator("[data-files-list]").inner_text()
    assert "switch-trace.pcap" in listed and "Alice" in listed
    # Resumed, not started over: one upload for the file, completed.
    with sqlite3.connect(server.data_dir / "casedesk.sqlite3") as db:
        rows = db.execute(
            "SELECT state, offset, sha256 FROM files_upload WHERE filename = 'switch-trace.pcap'"
        ).fetchall()
    # The client announced the whole file's SHA-256 at creation (issue 15 item 7).
    assert rows == [("completed", big.stat().st_size, big_sha)]
    # Its incremental SHA-256 agrees with WebCrypto's at every length around the blocks.
    mismatches = page.evaluate(
        """async () => {
            const bad = [];
            for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 65536]) {
                const data = crypto.getRandomValues(new Uint8Array(n));
                const ours = new window.casedeskSha256();
                for (let at = 0; at < n; at += 37) ours.update(data.subarray(at, at + 37));
                const want = [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))]
                    .map((b) => b.toString(16).padStart(2, "0")).join("");
                if (ours.hex() !== want) bad.push(n);
            }
            return bad;
        }"""
    )
    assert mismatches == []

    # Several files at once.
    names = [tmp_path / f"log-{i}.txt" for i in range(3)]
    sums = [_file(path, (i + 1) * 700_000) for i, path in enumerate(names)]
    page.get_by_label("Attach files").set_input_files([str(p) for p in names])
    page.wait_for_function(
        "() => document.querySelectorAll('.upload-list li.upload--done').length === 4",
        timeout=60_000,
    )
    for digest in sums:
        page.wait_for_selector(f"[data-files-list] code:text('{digest}')", timeout=30_000)
    assert "uploaded" in page.locator("[data-upload-status]").inner_text()

    # A page reload mid-upload: picking the same file again continues the same upload.
    again = tmp_path / "second-trace.pcap"
    again_sha = _file(again, 30 * 1024 * 1024 + 5)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 6 << 20},
    )
    page.get_by_label("Attach files").set_input_files(str(again))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.upload-list li')].some("
        "li => Number(li.dataset.percent || 0) > 10 && !li.classList.contains('upload--done'))",
        timeout=60_000,
    )
    page.reload()
    page.get_by_label("Attach files").set_input_files(str(again))
    page.wait_for_selector(".upload-list li.upload--done", timeout=120_000)
    assert page.locator(".upload-list li").first.get_attribute("data-sha256") == again_sha
    with sqlite3.connect(server.data_dir / "casedesk.sqlite3") as db:
        rows = db.execute(
            "SELECT state FROM files_upload WHERE filename = 'second-trace.pcap'"
        ).fetchall()
    assert rows == [("completed",)]
    context.close()
