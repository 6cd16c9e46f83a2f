"""No command but the demo runs on the public development key (issue 16 item 4, rule 12).

The secret key signs reference IDs (E1, E2), survey links (F7) and sessions, and seals
drop-box passwords (D2): a worker or receiver started without it would hand out reference
IDs anyone can forge. Every long-running command refuses, before touching anything, with
one line naming the problem; a malformed ``CASEDESK_MAIL_REFERENCE_KEYS`` stops every
command that starts Django.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk import cli
from casedesk.config.keys import DEVELOPMENT_SECRET_KEY, KeyConfigError, parse_reference_keys

CASEDESK = str(Path(sys.executable).with_name("casedesk"))
LONG_RUNNING = ["serve", "worker", "sftp", "mail-receiver", "mail-poll"]
GOOD_KEY = secrets.token_urlsafe(50)
REFERENCE_SECRET = "r" * 20 + secrets.token_hex(16)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment without any CASEDESK_* variable, data in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [CASEDESK, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("command", LONG_RUNNING)
def test_the_console_script_refuses_to_start_without_a_secret_key(command, tmp_path):
    # R: rule 12 — the real `casedesk` script, a clean environment, one line, no traceback.
    done = run([command], clean_env(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        f"casedesk {command}: refusing to start: CASEDESK_SECRET_KEY is not set."
    )
    assert "Only `casedesk demo` runs on the development key" in lines[0]
    assert not (tmp_path / "data").exists()  # refused before Django: nothing created


@pytest.mark.parametrize("command", LONG_RUNNING)
@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "CASEDESK_SECRET_KEY is not set"),
        (DEVELOPMENT_SECRET_KEY, "CASEDESK_SECRET_KEY is the public development key"),
        ("k" * 20 + "ey-" + "0123456789" * 2 + "abcdef", "CASEDESK_SECRET_KEY is too short (49"),
        ("ab" * 40, "CASEDESK_SECRET_KEY has fewer than 5 distinct characters"),
    ],
    ids=["empty", "development", "49-characters", "two-characters"],
)
def test_every_long_running_command_refuses_a_weak_key(
    command, key, problem, tmp_path, monkeypatch, capsys
):
    # R: rule 12 — cli.main as the script calls it, for every command and every weak key.
    for name in [n for n in os.environ if n.startswith("CASEDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CASEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CASEDESK_SECRET_KEY", key)
    assert cli.main([command]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"casedesk {command}: refusing to start: {problem}")
    assert err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def test_a_good_key_passes_and_serve_still_refuses_debug():
    env = {"CASEDESK_SECRET_KEY": GOOD_KEY}
    assert all(cli.start_problems(command, env) == [] for command in LONG_RUNNING)
    assert cli.start_problems("serve", {**env, "CASEDESK_DEBUG": "on"}) == [
        "CASEDESK_DEBUG is on; production never runs with DEBUG."
    ]
    # The demo (and the operator's `manage`, and the `upload` client) need no key.
    assert cli.start_problems("demo", {}) == []
    assert cli.start_problems("manage", {}) == []
    assert cli.start_problems("upload", {}) == []


def test_upload_is_a_client_and_needs_no_secret_key(tmp_path):
    done = run(["upload", "--case", "CS-000001", "missing.bin"], clean_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == "casedesk upload: set CASEDESK_TOKEN or pass --token"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"2{REFERENCE_SECRET}", "entry 1 of 1 is not VERSION:SECRET"),
        (f"x:{REFERENCE_SECRET}", "entry 1 of 1 is not VERSION:SECRET"),
        (f"2:{REFERENCE_SECRET},0:{REFERENCE_SECRET}", "entry 2 of 2 has version 0"),
        (f"10:{REFERENCE_SECRET}", "entry 1 of 1 has version 10"),
        (f"2:{REFERENCE_SECRET}, 2:{REFERENCE_SECRET}", "entry 2 of 2 repeats version 2"),
        ("2:too-short-a-secret", "entry 1 of 1 (version 2) has a secret of 18 characters"),
        ("2:", "entry 1 of 1 (version 2) has a secret of 0 characters"),
    ],
    ids=["no-colon", "letter", "zero", "two-digits", "repeated", "short", "empty"],
)
def test_a_malformed_reference_key_entry_is_an_error_not_dropped(value, message):
    # R: E1, E2 — dropping the current key would quietly sign with an older one.
    with pytest.raises(KeyConfigError, match=re.escape(message)) as refused:
        parse_reference_keys(value)
    assert REFERENCE_SECRET not in str(refused.value)  # never echo a secret
    assert "too-short-a-secret" not in str(refused.value)


def test_reference_keys_parse_current_first():
    new, old = "n" * 32, "o" * 31 + ":"
    keys = parse_reference_keys(f" 2:{new} , 1:{old},")
    assert list(keys.items()) == [(2, new.encode()), (1, old.encode())]
    assert parse_reference_keys("") == {}


@pytest.mark.parametrize("command", [*LONG_RUNNING, "demo", "manage"])
def test_a_malformed_reference_key_stops_every_command_that_starts_django(
    command, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("CASEDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("CASEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CASEDESK_MAIL_REFERENCE_KEYS", f"2:{REFERENCE_SECRET},1-{REFERENCE_SECRET}")
    assert cli.main([command]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"casedesk {command}: refusing to start: CASEDESK_MAIL_REFERENCE_KEYS entry 2 of 2"
        " is not VERSION:SECRET (e.g. 2:<random secret>).\n"
    )
    assert not (tmp_path / "data").exists()


def test_the_demo_script_refuses_a_malformed_reference_key_and_settings_do_too(tmp_path):
    # The console script says it in one line; any other entry point (gunicorn's workers
    # import the settings) stops on ImproperlyConfigured instead of dropping the entry.
    env = clean_env(tmp_path, CASEDESK_MAIL_REFERENCE_KEYS="1:short")
    done = run(["demo"], env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "casedesk demo: refusing to start: CASEDESK_MAIL_REFERENCE_KEYS entry 1 of 1"
        " (version 1) has a secret of 5 characters; at least 32 are needed.\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", "import casedesk.config.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported.returncode == 1
    assert imported.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: CASEDESK_MAIL_REFERENCE_KEYS entry 1 of 1"
        " (version 1) has a secret of 5 characters; at least 32 are needed"
    )
