"""Split a reply into what is new and the quoted history (B5: folded for display).

Mail clients quote in a handful of shapes: ">"-prefixed lines under an "On … wrote:"
line (most clients), Outlook's "-----Original Message-----" or a "From: … Sent: …"
header block (often after a line of underscores), Gmail's ``gmail_quote`` div,
Apple Mail's ``<blockquote type="cite">``, Thunderbird's ``moz-cite-prefix`` and
Outlook's ``divRplyFwdMsg``. The split is at the earliest marker; ">" lines count only
when nothing but quoted or blank lines follows them (inline answers stay visible).
Both halves are stored: nothing is thrown away, the history is only folded.

Every step is linear in the input (security fix "quote-splitting DoS"): the quoted-tail
test is one backward pass, marker patterns only look at the first ``LINE_SCAN``
characters of a line, the HTML patterns have bounded repetitions and search only the
first ``HTML_SCAN`` characters, and callers cap what they pass in (``SPLIT_MAX``).
"""

from __future__ import annotations

import re

_WROTE_START = re.compile(r"^\s*(On|Am|Le|El|Il|Op)\s.+", re.IGNORECASE)
_WROTE_WORDS = ("wrote", "a écrit", "escribió", "ha scritto", "schreef")
_SCHRIEB = re.compile(r"\bschrieb\b", re.IGNORECASE)
SPLIT_MAX = 1_000_000  # characters handed to a splitter; the stored body is far smaller
LINE_SCAN = 1_000  # a marker line is short: only its start is matched against patterns
HTML_SCAN = 256 * 1024
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{2,}", re.I)
_FORWARDED = re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}", re.I)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s", re.I)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Envoyé)\s*:\*?\s", re.I)


def _wrote_end(line: str) -> bool:
    """ "… wrote:" at the end of a line, without a backtracking pattern."""
    head = line.rstrip()
    if not head.endswith(":"):
        return False
    head = head[:-1].rstrip().lower()
    return head.endswith(_WROTE_WORDS) or bool(_SCHRIEB.search(head))


def _quoted_tails(lines: list[str]) -> list[bool]:
    """``tails[i]``: lines ``i…`` are all quoted or blank — one backward pass, not n²."""
    tails = [True] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        tails[i] = tails[i + 1] and (not line.strip() or line.lstrip().startswith(">"))
    return tails


def split_quoted_text(text: str) -> tuple[str, str]:
    """``(new, quoted)``: ``quoted`` begins at the first history marker ('' if none)."""
    lines = text.splitlines()
    heads = [line[:LINE_SCAN] for line in lines]
    tails = _quoted_tails(lines)
    for i, line in enumerate(heads):
        cut: int | None = None
        if _ORIGINAL.match(line) or (
            _WROTE_START.match(line) and any(_wrote_end(x) for x in heads[i : i + 3])
        ):
            cut = i
        elif _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_SENT.match(x) for x in heads[i + 1 : i + 5]
        ):
            cut = i - 1 if i and _UNDERSCORES.match(heads[i - 1]) else i
        elif line.lstrip().startswith(">") and tails[i]:
            cut = i
        if cut is not None:
            return "\n".join(lines[:cut]).strip(), "\n".join(lines[cut:]).strip()
    return text.strip(), ""


_HTML_TAG = re.compile(r"<(div|blockquote|hr)\b([^<>]{0,1000})", re.IGNORECASE)
_HTML_ATTR = re.compile(r"""\b(class|id|type)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
_QUOTE_CLASS = re.compile(r"\b(gmail_quote|moz-cite-prefix|yahoo_quoted)")
_HTML_ORIGINAL = re.compile(r"-----\s*Original Message\s*-----", re.IGNORECASE)


def _quote_tag(tag: str, attrs: str) -> bool:
    """Gmail/Thunderbird/Yahoo class, Outlook id, Apple ``type="cite"``: a history start."""
    values: dict[str, str] = {}
    for name, value in _HTML_ATTR.findall(attrs):
        values.setdefault(name.lower(), value.strip("\"'").lower())
    tag = tag.lower()
    if tag == "div":
        return bool(_QUOTE_CLASS.search(values.get("class", ""))) or values.get(
            "id", ""
        ).startswith(("divrplyfwdmsg", "appendonsend"))
    if tag == "blockquote":
        return values.get("type", "").startswith("cite")
    return values.get("id", "").startswith("stopspelling")


def split_quoted_html(markup: str) -> tuple[str, str]:
    """``(new, quoted)`` halves of raw HTML; each is sanitised separately afterwards."""
    head = (markup or "")[:HTML_SCAN]
    starts = [m.start() for m in _HTML_TAG.finditer(head) if _quote_tag(m[1], m[2])][:1]
    original = _HTML_ORIGINAL.search(head)
    if original is not None:
        starts.append(original.start())
    if not starts:
        return markup or "", ""
    cut = min(starts)
    return markup[:cut], markup[cut:]
