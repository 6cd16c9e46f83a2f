"""Reference IDs for case mail (E1, E2; security rule 1).

A reference ID routes a reply to its case; it never proves who sent it. It is
``CDR<case id>-<key version><16 base32 characters>``: an HMAC-SHA256 over the case
and its organisation, under a versioned key, so it can be neither guessed nor edited
to point at another case (changing the case id breaks the signature). Rotating keys:
put the new key first in ``CASEDESK_MAIL_REFERENCE_KEYS``; tokens under older listed
versions still verify, tokens under removed versions do not.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings

SIGNATURE_CHARS = 16  # 80 bits
TOKEN_RE = re.compile(r"\bCDR(\d{1,12})-(\d)([A-Z2-7]{16})\b")  # 16 = SIGNATURE_CHARS


@dataclass(frozen=True)
class ReferenceToken:
    case_id: int
    key_version: int
    signature: str

    def __str__(self) -> str:
        return f"CDR{self.case_id}-{self.key_version}{self.signature}"


def reference_keys() -> dict[int, bytes]:
    """Versioned keys, current first: ``CASEDESK_MAIL_REFERENCE_KEYS`` or one derived key."""
    configured: dict[int, bytes] = getattr(settings, "MAIL_REFERENCE_KEYS", None) or {}
    if configured:
        return configured
    derived = hashlib.sha256(b"casedesk-reference-v1:" + settings.SECRET_KEY.encode()).digest()
    return {1: derived}


@functools.lru_cache(maxsize=4096)  # a worker batch signs each case twice (thread, subject)
def _signature(key: bytes, case_id: int, organisation_id: int) -> str:
    mac = hmac.new(key, f"case:{case_id}:org:{organisation_id}".encode(), hashlib.sha256)
    return base64.b32encode(mac.digest()).decode()[:SIGNATURE_CHARS]


def reference_token(case_id: int, organisation_id: int) -> ReferenceToken:
    """The current reference ID of a case."""
    version, key = next(iter(reference_keys().items()))
    return ReferenceToken(case_id, version, _signature(key, case_id, organisation_id))


def find_reference_tokens(text: str) -> list[ReferenceToken]:
    """Every well-formed reference ID in ``text`` (subject or body), in order, unverified."""
    seen: dict[str, ReferenceToken] = {}
    for match in TOKEN_RE.finditer(text or ""):
        token = ReferenceToken(int(match[1]), int(match[2]), match[3])
        seen.setdefault(str(token), token)
    return list(seen.values())


def reference_valid(token: ReferenceToken, organisation_id: int) -> bool:
    """True only if the signature matches this case and organisation under a known key."""
    key = reference_keys().get(token.key_version)
    if key is None:
        return False
    expected = _signature(key, token.case_id, organisation_id)
    return hmac.compare_digest(expected, token.signature)
