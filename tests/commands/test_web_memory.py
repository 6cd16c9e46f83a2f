"""What a web process holds in memory (issue 17 item 5): web workers never import the
SFTP server, the SMTP/IMAP receivers or test/benchmark-only modules, and the gunicorn
master does not start Django unless it preloads the application for its workers.

Each check runs in a fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .test_start_guard import GOOD_KEY

NEVER_IN_A_WEB_WORKER = [
    "asyncssh",
    "aiosmtpd",
    "imaplib",
    "casedesk.dropbox.server",
    "casedesk.dropbox.sessions",
    "casedesk.dropbox.sftp_session",
    "casedesk.mail.smtp",
    "casedesk.mail.imap",
    "casedesk.demo.seed",
    "casedesk.files.tus_client",
    "tusclient",
    "pytest",
    "hypothesis",
    "load_cases",
    "http_bench",
]

WEB_WORKER = """
import json, sys
from casedesk.config import gunicorn
from casedesk.config.wsgi import application
gunicorn.when_ready(None)  # what a preloading master loads before it forks
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps(sorted(sys.modules)))
"""

MASTER = """
import json, sys
from casedesk.cli import _announce_settings
_announce_settings(None, "serve")
from django.apps import apps
print(json.dumps({"ready": apps.ready, "models": "casedesk.cases.models" in sys.modules}))
"""


def _python(code: str, tmp_path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env.update(CASEDESK_DATA_DIR=str(tmp_path / "data"), CASEDESK_SECRET_KEY=GOOD_KEY)
    env["DJANGO_SETTINGS_MODULE"] = "casedesk.config.settings"
    done = subprocess.run(  # noqa: S603  this interpreter, our own code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_web_worker_imports_no_protocol_server_or_test_module(tmp_path):
    # R: issue 17 item 5 — the application, its URLconf and every view module loaded.
    loaded = set(json.loads(_python(WEB_WORKER, tmp_path)))
    assert "casedesk.api.transfer.tus" in loaded  # the URLconf really was loaded
    assert not [name for name in NEVER_IN_A_WEB_WORKER if name in loaded]


def test_serve_master_reads_settings_without_starting_django(tmp_path):
    # R: issue 17 item 5 — the master announces data directory and database from the
    # settings alone; only a preloading gunicorn loads the application in it.
    assert json.loads(_python(MASTER, tmp_path)) == {"ready": False, "models": False}
