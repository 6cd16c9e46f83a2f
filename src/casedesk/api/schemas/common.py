"""Field types and base classes every API schema is built from.

Input schemas forbid unknown fields and validate strictly (a string is not an integer,
``"true"`` is not a boolean), so a body that tries to set anything outside a schema's
allowlist is refused with 422 and nothing is written (security rule 4). Text is bounded
and free of NUL, surrogates and other control characters that no database should see.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from casedesk.policy.text import first_unsafe_character, is_surrogate

SUBJECT_MAX = 200
TEXT_MAX = 20_000
# Database keys are 64-bit; anything larger is refused before it reaches a query.
ID_MAX = 2**53


def clean_text(value: str) -> str:
    """Refuse characters that cannot be stored or shown safely (NUL breaks PostgreSQL)."""
    char = first_unsafe_character(value)
    if char is None:
        return value
    if is_surrogate(char):
        raise ValueError("Text must be valid Unicode (no lone surrogates).")
    raise ValueError(f"Text must not contain control character U+{ord(char):04X}.")


Subject = Annotated[str, StringConstraints(max_length=SUBJECT_MAX), AfterValidator(clean_text)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(clean_text)]
# Text a service refuses when it is empty or only whitespace: the schema says so with a
# pattern (at least one non-space character), and the check runs before any service.
NOT_BLANK = r"\S"
RequiredSubject = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SUBJECT_MAX, pattern=NOT_BLANK),
    AfterValidator(clean_text),
]
RequiredText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TEXT_MAX, pattern=NOT_BLANK),
    AfterValidator(clean_text),
]
ShortText = Annotated[str, StringConstraints(max_length=80), AfterValidator(clean_text)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=254),
    AfterValidator(clean_text),
]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class InputSchema(BaseModel):
    """Base of every request body: unknown fields → 422, no type coercion (rule 4).

    A plain pydantic model: bodies arrive as JSON dicts, which pydantic validates in its
    core once; ninja's ``Schema`` would validate twice (``extra="forbid"``) and wrap every
    value in a Python attribute getter first.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


class VersionedInput(InputSchema):
    """A write to an existing case: send the ``version`` you read to have a write based on a
    stale read refused (409) instead of overwriting a change you have not seen (rule 8)."""

    version: Version | None = Field(
        None, description="The case's version you read; a stale one is refused with 409"
    )


class OutputSchema(BaseModel):
    """Base of response bodies built as dicts by ``api.serializers`` (validated in
    pydantic's core, without ninja's per-attribute getter: ~1/3 of a case's serialising)."""


class FieldError(OutputSchema):
    field: str | None
    message: str


class ErrorOut(OutputSchema):
    """The one error shape: a sentence for people, and field-level entries for forms."""

    detail: str
    errors: list[FieldError]


class Choice(OutputSchema):
    value: str
    label: str


class PersonOut(OutputSchema):
    full_name: str
    email: str
