"""The drop box's path rule (security rule 10), pure and separately tested.

A session sees one virtual directory, "/", holding the files uploaded through its drop box.
Every path the client sends is decoded, normalised and checked component by component
*before* anything is looked up: "..", NUL, control characters, backslashes, names that
``clean_filename`` would change, and any path deeper than one name are refused. There is no
mapping to a real directory at all, so there is nothing to escape to.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from casedesk.files.services import clean_filename

ROOT = "/"


class JailError(Exception):
    """The path is refused; ``kind`` says how the SFTP server answers."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind  # "denied", "missing" or "invalid"
        self.reason = reason


@dataclass(frozen=True)
class JailPath:
    name: str  # "" for the root directory

    @property
    def is_root(self) -> bool:
        return self.name == ""

    @property
    def path(self) -> bytes:
        return ("/" + self.name).encode()


def resolve(raw: bytes) -> JailPath:
    """The jail path ``raw`` names (relative paths start at "/"), or JailError."""
    if b"\x00" in raw:
        raise JailError("invalid", "NUL in path")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JailError("invalid", "path is not UTF-8") from None
    if "\\" in text:
        raise JailError("invalid", "backslash in path")
    parts = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise JailError("denied", "'..' is not allowed: the drop box has one folder")
        if any(unicodedata.category(ch)[0] == "C" for ch in part):
            raise JailError("invalid", "control character in name")
        parts.append(part)
    if not parts:
        return JailPath("")
    if len(parts) > 1:
        raise JailError("missing", "the drop box has no sub-folders")
    name = unicodedata.normalize("NFC", parts[0])
    if clean_filename(name) != name:
        raise JailError("invalid", "file name not allowed")
    return JailPath(name)
