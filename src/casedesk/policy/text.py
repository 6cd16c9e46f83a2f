"""Which characters typed text may hold before it is stored.

Tab, newline and carriage return are text; other C0 controls are never meant and NUL
breaks PostgreSQL. The API also refuses DEL, the C1 controls (Unicode category Cc) and
lone surrogates (Cs), which cannot be encoded. Regular expressions, not a loop over every
character: a 20,000-character description is checked in microseconds.
"""

from __future__ import annotations

import re

# C0 controls except \t \n \r.
_C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Category Cc (C0 except \t \n \r, DEL, C1) and category Cs (surrogates).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_c0_control(text: str) -> bool:
    """True if ``text`` holds a C0 control other than tab, newline or carriage return."""
    return _C0.search(text) is not None


def first_unsafe_character(text: str) -> str | None:
    """The first control character or lone surrogate in ``text``, or None."""
    found = _UNSAFE.search(text)
    return None if found is None else found.group()


def is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"
