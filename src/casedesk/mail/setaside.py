"""Long base64 runs set aside around the stdlib MIME parser (issue 17, item 2; rule 6).

Used by ``parsing.parse_message``: ``set_aside`` replaces each long run of base64 lines
(an attachment's body) by a marker line before ``BytesParser`` runs, ``put_back`` puts
the runs back into the parsed parts. The parse is the same, byte for byte
(``tests/mail/test_parse_set_aside.py``); see the comment below for why.
"""

from __future__ import annotations

import re
import secrets
from email.message import Message

# Long runs of base64 lines (an attachment's body) are set aside before the stdlib parser
# runs and put back into the parsed parts (issue 17, item 2): the feed parser spends ~2 µs
# of Python on every line (40 ms for a 1.4 MB attachment), putting back is one
# str.replace. A line of the base64 alphabet is never a boundary ("--"), a header field
# (no ":"), a continuation (no leading blank) or a "From " line, and neither is the marker
# standing in for the run, so the parser sees the same structure; the part's payload is
# then the same text, byte for byte. One pass, linear: a run is matched from a line start
# only, and a failed attempt stops within its first line.
_B64_RUN = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]{40,998}\r?\n)+")
SET_ASIDE_MIN = 16 * 1024


def set_aside(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """``raw`` with each long base64 run replaced by a marker line; marker → the run."""
    if len(raw) < SET_ASIDE_MIN:
        return raw, {}
    salt = secrets.token_hex(12)  # unguessable: a sender cannot plant a marker
    runs: dict[str, str] = {}
    pieces: list[bytes] = []
    at = 0
    for match in _B64_RUN.finditer(raw):
        start, end = match.span()
        if end - start < SET_ASIDE_MIN:
            continue
        run = match.group()
        eol = b"\r\n" if run.endswith(b"\r\n") else b"\n"
        marker = f"CD{salt}{len(runs):08d}"
        runs[marker] = run[: -len(eol)].decode("ascii")
        pieces += [raw[at:start], marker.encode(), eol]
        at = end
    if not runs:
        return raw, {}
    pieces.append(raw[at:])
    return b"".join(pieces), runs


def put_back(msg: Message, runs: dict[str, str]) -> None:
    """Every marker in every part (and pre-/epilogue) replaced by the run it stands for."""

    def restore(text: str) -> str:
        for marker, run in runs.items():
            if marker in text:
                text = text.replace(marker, run)
        return text

    for part in msg.walk():
        payload = part.get_payload()
        if isinstance(payload, str) and "CD" in payload:
            part.set_payload(restore(payload))
        for name in ("preamble", "epilogue"):
            value = getattr(part, name, None)
            if isinstance(value, str) and "CD" in value:
                setattr(part, name, restore(value))
