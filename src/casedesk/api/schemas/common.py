"""Field types and base classes every API schema is built from.

Input schemas forbid unknown fields and validate strictly (a string is not an integer,
``"true"`` is not a boolean), so a body that tries to set anything outside a schema's
allowlist is refused with 422 and nothing is written (security rule 4). Text is bounded
and free of NUL, surrogates and other control characters that no database should see.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

SUBJECT_MAX = 200
TEXT_MAX = 20_000
# Database keys are 64-bit; anything larger is refused before it reaches a query.
ID_MAX = 2**53


_ALLOWED_CONTROLS = frozenset("\t\n\r")


def clean_text(value: str) -> str:
    """Refuse characters that cannot be stored or shown safely (NUL breaks PostgreSQL)."""
    for char in value:
        if char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("Text must be valid Unicode (no lone surrogates).")
        if category == "Cc":
            raise ValueError(f"Text must not contain control character U+{ord(char):04X}.")
    return value


Subject = Annotated[str, StringConstraints(max_length=SUBJECT_MAX), AfterValidator(clean_text)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(clean_text)]
ShortText = Annotated[str, StringConstraints(max_length=80), AfterValidator(clean_text)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=254),
    AfterValidator(clean_text),
]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class InputSchema(Schema):
    """Base of every request body: unknown fields → 422, no type coercion (rule 4)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    """The one error shape: a sentence for people, and field-level entries for forms."""

    detail: str
    errors: list[FieldError]


class Choice(Schema):
    value: str
    label: str


class PersonOut(Schema):
    full_name: str
    email: str
