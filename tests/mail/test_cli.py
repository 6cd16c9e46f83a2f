"""`casedesk mail-receiver` as shipped: a process, a real SMTP session, SIGTERM (E2, E3)."""

from __future__ import annotations

import os
import secrets
import signal
import smtplib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.cli import build_parser

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def test_demo_and_mail_commands_parse():
    parser = build_parser()
    assert parser.parse_args(["demo"]).smtp_port == 2525
    assert parser.parse_args(["demo", "--smtp-port", "0"]).smtp_port == 0
    args = parser.parse_args(["mail-receiver", "--lmtp", "--port", "2526"])
    assert (args.lmtp, args.port, args.host) == (True, 2526, "127.0.0.1")
    assert parser.parse_args(["mail-poll", "--once"]).once


@pytest.mark.skipif(
    bool(os.environ.get("CASEDESK_DATABASE_URL")), reason="runs the command on its own SQLite"
)
def test_mail_receiver_command_stores_and_processes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    env["CASEDESK_SECRET_KEY"] = secrets.token_urlsafe(50)  # it refuses the development key
    subprocess.run([CASEDESK, "manage", "migrate", "-v0"], env=env, check=True, timeout=120)  # noqa: S603
    process = subprocess.Popen(  # noqa: S603
        [CASEDESK, "mail-receiver", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        banner = process.stdout.readline()
        assert "SMTP on 127.0.0.1:" in banner
        port = int(banner.split("127.0.0.1:")[1].split()[0])
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail(
                "someone@else.example",
                ["support@casedesk.invalid"],
                b"From: someone@else.example\r\nSubject: Re: CS-000042\r\n\r\nhello\r\n",
            )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    rows = sqlite3.connect(tmp_path / "data" / "casedesk.sqlite3").execute(
        "SELECT state, reason_code FROM mail_inboundmessage"
    )
    assert rows.fetchall() == [("needs_care", "no_reference")]
    assert any((tmp_path / "data" / "files" / "mail" / "raw").rglob("*.eml"))
