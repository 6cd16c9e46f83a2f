"""Reference IDs: signed over case and organisation, key-versioned (E2, security rule 1)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casedesk.mail.reference import (
    ReferenceToken,
    find_reference_tokens,
    reference_token,
    reference_valid,
)

ids = st.integers(min_value=1, max_value=10**9)


@given(case_id=ids, org_id=ids)
def test_token_round_trips_through_text(case_id, org_id):
    token = reference_token(case_id, org_id)
    found = find_reference_tokens(f"Re: [CS-1] Dialer down [{token}] thanks")
    assert found == [token]
    assert reference_valid(found[0], org_id)


@given(case_id=ids, org_id=ids, other=ids)
def test_token_edited_to_another_case_or_organisation_fails(case_id, org_id, other):
    token = reference_token(case_id, org_id)
    if other != case_id:
        assert not reference_valid(
            ReferenceToken(other, token.key_version, token.signature), org_id
        )
    if other != org_id:
        assert not reference_valid(token, other)


def test_rotated_keys_keep_old_tokens_until_their_key_is_removed(settings):
    settings.MAIL_REFERENCE_KEYS = {1: b"old"}
    old = reference_token(7, 3)
    settings.MAIL_REFERENCE_KEYS = {2: b"new", 1: b"old"}
    new = reference_token(7, 3)
    assert new.key_version == 2 and reference_valid(old, 3) and reference_valid(new, 3)
    settings.MAIL_REFERENCE_KEYS = {2: b"new"}
    assert not reference_valid(old, 3)


def test_a_case_number_alone_is_not_a_reference():
    # R: E3
    assert find_reference_tokens("Re: CS-000123 still broken, see case 123") == []
