"""Every character of a reference-ID signature counts (E2, security rule 1; issue 16).

Issue 16 planted "signature compared on 8 of its 16 characters" and the suite stayed
green: a forger then needs 40 bits, not 80. These tests change one character at a time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from casedesk.mail.reference import (
    ReferenceToken,
    find_reference_tokens,
    reference_token,
    reference_valid,
)

KEY = b"reference-test-key"
SIGNATURE_LENGTH = 16  # "16 base32 characters" (reference.py docstring): 80 bits


@pytest.fixture(autouse=True)
def _fixed_key(settings):
    settings.MAIL_REFERENCE_KEYS = {3: KEY}


def _other_char(ch: str) -> str:
    return "A" if ch != "A" else "B"


def test_signature_is_hmac_sha256_over_case_and_organisation_truncated_to_16():
    # Written out by hand so a change of message, hash, encoding or length shows up here.
    mac = hmac.new(KEY, b"case:42:org:7", hashlib.sha256).digest()
    expected = base64.b32encode(mac).decode()[:SIGNATURE_LENGTH]
    token = reference_token(42, 7)
    assert token == ReferenceToken(42, 3, expected)
    assert str(token) == f"CDR42-3{expected}"


@pytest.mark.parametrize("position", range(SIGNATURE_LENGTH))
def test_one_changed_character_anywhere_is_refused(position):
    token = reference_token(42, 7)
    sig = token.signature
    forged = sig[:position] + _other_char(sig[position]) + sig[position + 1 :]
    assert not reference_valid(ReferenceToken(42, 3, forged), 7)
    assert reference_valid(token, 7)


def test_a_signature_half_right_is_refused():
    token = reference_token(42, 7)
    first_half = token.signature[:8] + "".join(_other_char(c) for c in token.signature[8:])
    second_half = "".join(_other_char(c) for c in token.signature[:8]) + token.signature[8:]
    assert not reference_valid(ReferenceToken(42, 3, first_half), 7)
    assert not reference_valid(ReferenceToken(42, 3, second_half), 7)
    assert not reference_valid(ReferenceToken(42, 3, token.signature[:15]), 7)


def test_unknown_key_version_is_refused():
    token = reference_token(42, 7)
    assert not reference_valid(ReferenceToken(42, 4, token.signature), 7)


def test_without_configured_keys_the_key_derives_from_the_secret_key(settings):
    # R: security rule 1 — no separate key configured: one key derived from SECRET_KEY.
    del settings.MAIL_REFERENCE_KEYS
    settings.SECRET_KEY = "s3cret"
    derived = hashlib.sha256(b"casedesk-reference-v1:s3cret").digest()
    mac = hmac.new(derived, b"case:42:org:7", hashlib.sha256).digest()
    assert reference_token(42, 7) == ReferenceToken(42, 1, base64.b32encode(mac).decode()[:16])
    settings.MAIL_REFERENCE_KEYS = {}
    assert reference_token(42, 7).key_version == 1


def test_every_distinct_reference_is_found_once_in_order():
    # R: E2 — a reply quoting two cases yields both; a repeated one only once.
    a, b = reference_token(1, 7), reference_token(2, 7)
    text = f"Re: [{b}] see also {a} and again [{b}] and CDR9-1AAAA (too short)"
    assert find_reference_tokens(text) == [b, a]
    assert find_reference_tokens("") == []
    assert find_reference_tokens(None) == []  # type: ignore[arg-type]
