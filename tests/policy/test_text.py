"""policy.text: the regular expressions agree with the per-character definitions (B2,
security rule 4: bad input is refused with a clear message, never stored)."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from casedesk.policy.text import first_unsafe_character, has_c0_control, is_surrogate

ALLOWED = "\t\n\r"


def reference_first_unsafe(text: str) -> str | None:
    for char in text:
        if char not in ALLOWED and unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


# Mostly ordinary text, with controls, C1, DEL and lone surrogates mixed in.
texts = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cs", "Cc"]),
        st.sampled_from("\x00\x01\x08\t\n\x0b\x0c\r\x0e\x1f\x7f\x80\x9f\xa0\ud800\udfff\ufeff"),
    ),
    max_size=60,
)


@given(texts)
@example("plain text\twith tabs\r\n")
@example("nul \x00 here")
@example("c1 \x85 next line")
@example("lone \udc80 surrogate")
def test_first_unsafe_character_matches_unicode_categories(text):
    assert first_unsafe_character(text) == reference_first_unsafe(text)


@given(texts)
def test_c0_check_matches_code_points(text):
    assert has_c0_control(text) == any(ord(c) < 32 and c not in ALLOWED for c in text)


@given(st.one_of(st.characters(), st.characters(categories=["Cs", "Cc"])))
def test_surrogates_are_exactly_category_cs(char):
    assert is_surrogate(char) == (unicodedata.category(char) == "Cs")
