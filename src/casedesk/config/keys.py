"""The secrets casedesk signs and seals with, and the one check every server runs (rule 12).

``CASEDESK_SECRET_KEY`` signs sessions, survey links and (unless reference keys are set)
reference IDs, and seals drop-box passwords. The development key below is public (it is
in this file), so only ``casedesk demo`` and the tests may run on it: every other
long-running command refuses to start without a real key (``casedesk.cli``).
``CASEDESK_MAIL_REFERENCE_KEYS`` is parsed here strictly: an entry that is not
``VERSION:SECRET`` is an error, never silently dropped (a dropped current key would
quietly fall back to an older one, or to the key derived from the secret key).

Plain Python, no Django: the command line checks before Django starts.
"""

from __future__ import annotations

# Public by design: refused by every command but the demo.
DEVELOPMENT_SECRET_KEY = "casedesk-insecure-development-key-do-not-use-in-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5  # distinct characters, as Django's check --deploy (W009)
MIN_REFERENCE_KEY_LENGTH = 32
NEW_KEY_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


class KeyConfigError(ValueError):
    """A key setting that must stop a server from starting; the message says which and why."""


def secret_key_problem(value: str | None) -> str | None:
    """Why ``value`` must not be a production ``CASEDESK_SECRET_KEY``, or None if it will do."""
    if not value:
        return "CASEDESK_SECRET_KEY is not set"
    if value == DEVELOPMENT_SECRET_KEY:
        return "CASEDESK_SECRET_KEY is the public development key"
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"CASEDESK_SECRET_KEY is too short ({len(value)} characters)"
    if len(set(value)) < MIN_SECRET_KEY_CHARACTERS:
        return f"CASEDESK_SECRET_KEY has fewer than {MIN_SECRET_KEY_CHARACTERS} distinct characters"
    return None


def parse_reference_keys(raw: str) -> dict[int, bytes]:
    """``"2:new-secret,1:old-secret"`` → ``{2: b"new-secret", 1: b"old-secret"}``, current first.

    Raises ``KeyConfigError`` naming the entry by position (never echoing a secret) when an
    entry is not ``VERSION:SECRET`` with VERSION 1-9 (the one digit a reference ID carries),
    a version repeats, or a secret is shorter than ``MIN_REFERENCE_KEY_LENGTH``.
    """
    keys: dict[int, bytes] = {}
    entries = [item.strip() for item in raw.split(",") if item.strip()]
    for position, item in enumerate(entries, start=1):
        where = f"CASEDESK_MAIL_REFERENCE_KEYS entry {position} of {len(entries)}"
        version, colon, secret = item.partition(":")
        version = version.strip()
        if not colon or not (version.isascii() and version.isdigit()):
            raise KeyConfigError(f"{where} is not VERSION:SECRET (e.g. 2:<random secret>)")
        if not 1 <= int(version) <= 9:
            raise KeyConfigError(f"{where} has version {version}; versions are 1 to 9")
        if int(version) in keys:
            raise KeyConfigError(f"{where} repeats version {version}")
        if len(secret) < MIN_REFERENCE_KEY_LENGTH:
            raise KeyConfigError(
                f"{where} (version {version}) has a secret of {len(secret)} characters; "
                f"at least {MIN_REFERENCE_KEY_LENGTH} are needed"
            )
        keys[int(version)] = secret.encode()
    return keys
