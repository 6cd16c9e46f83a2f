"""Split a reply into what is new and the quoted history (B5: folded for display).

Mail clients quote in a handful of shapes: ">"-prefixed lines under an "On … wrote:"
line (most clients), Outlook's "-----Original Message-----" or a "From: … Sent: …"
header block (often after a line of underscores), Gmail's ``gmail_quote`` div,
Apple Mail's ``<blockquote type="cite">``, Thunderbird's ``moz-cite-prefix`` and
Outlook's ``divRplyFwdMsg``. The split is at the earliest marker; ">" lines count only
when nothing but quoted or blank lines follows them (inline answers stay visible).
Both halves are stored: nothing is thrown away, the history is only folded.
"""

from __future__ import annotations

import re

_WROTE_START = re.compile(r"^\s*(On|Am|Le|El|Il|Op)\s.+", re.IGNORECASE)
_WROTE_END = re.compile(
    r"(wrote|a écrit|escribió|ha scritto|schreef)\s*:\s*$|\bschrieb\b.*:\s*$", re.I
)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{2,}", re.I)
_FORWARDED = re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}", re.I)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s", re.I)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Envoyé)\s*:\*?\s", re.I)


def _quoted_tail_starts(lines: list[str], i: int) -> bool:
    return all(not line.strip() or line.lstrip().startswith(">") for line in lines[i:])


def split_quoted_text(text: str) -> tuple[str, str]:
    """``(new, quoted)``: ``quoted`` begins at the first history marker ('' if none)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cut: int | None = None
        if _ORIGINAL.match(line) or (
            _WROTE_START.match(line) and any(_WROTE_END.search(x) for x in lines[i : i + 3])
        ):
            cut = i
        elif _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_SENT.match(x) for x in lines[i + 1 : i + 5]
        ):
            cut = i - 1 if i and _UNDERSCORES.match(lines[i - 1]) else i
        elif line.lstrip().startswith(">") and _quoted_tail_starts(lines, i):
            cut = i
        if cut is not None:
            return "\n".join(lines[:cut]).strip(), "\n".join(lines[cut:]).strip()
    return text.strip(), ""


_HTML_MARKERS = re.compile(
    r"""<div[^>]*\bclass=["']?[^"'>]*\bgmail_quote"""
    r"""|<blockquote[^>]*\btype=["']?cite"""
    r"""|<div[^>]*\bclass=["']?[^"'>]*\bmoz-cite-prefix"""
    r"""|<div[^>]*\bid=["']?(divRplyFwdMsg|appendonsend)"""
    r"""|<hr[^>]*\bid=["']?stopSpelling"""
    r"""|<div[^>]*\bclass=["']?[^"'>]*\byahoo_quoted"""
    r"""|-----\s*Original Message\s*-----""",
    re.IGNORECASE,
)


def split_quoted_html(markup: str) -> tuple[str, str]:
    """``(new, quoted)`` halves of raw HTML; each is sanitised separately afterwards."""
    match = _HTML_MARKERS.search(markup or "")
    if match is None:
        return markup or "", ""
    return markup[: match.start()], markup[match.start() :]
