"""Credentials of a drop box: random names and passwords, and the sealed copy shown on the case.

The password has 144 random bits (``token_urlsafe(18)``), more than rule 12's 128. The
sealing key is derived from SECRET_KEY with HKDF, so rotating SECRET_KEY makes existing
sealed copies unreadable (the panel then says so) without affecting logins, which use
the hash.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

USERNAME_PREFIX = "cd-"
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def new_username() -> str:
    return USERNAME_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(10))


def new_password() -> str:
    return secrets.token_urlsafe(18)


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"casedesk dropbox password v1"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def unseal(token: str) -> str | None:
    """The password, or None when there is none or it was sealed under another SECRET_KEY."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
