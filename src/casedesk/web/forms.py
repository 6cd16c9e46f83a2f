"""What every page form shares: text limits, newline handling, distinct element ids."""

from __future__ import annotations

from typing import Any

TEXT_MAX = 20_000
SUBJECT_MAX = 200


def clean_text(value: str) -> str:
    """Normalise newlines so the 20,000-character limit counts what the person typed."""
    return value.replace("\r\n", "\n")


class IdPrefixMixin:
    """Distinct element ids for several forms on one page, without renaming the inputs."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
