"""A `casedesk mail-receiver` child process's surroundings, shared by the receiver tests."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def migrated_env(tmp_path: Path, database: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without our settings, a scratch data directory and ``database``
    (a ``CASEDESK_DATABASE_URL``, or none for SQLite), its schema migrated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env |= database or {}
    env |= {
        "CASEDESK_DATA_DIR": str(tmp_path / "data"),
        "CASEDESK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEDESK_MAIL_TRUST_UNAUTHENTICATED": "true",
        "DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
    }
    subprocess.run([CASEDESK, "manage", "migrate", "-v0"], env=env, check=True, timeout=180)  # noqa: S603
    return env
