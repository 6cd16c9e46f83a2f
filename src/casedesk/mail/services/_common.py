"""Limits shared by the mail services: stored text sizes and the control characters
that never reach the database (PostgreSQL refuses NUL in text and JSON)."""

from __future__ import annotations

import re

BODY_MAX = 100_000
EVENT_HTML_MAX = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
