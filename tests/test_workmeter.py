"""The work meter's controls: it must call the pre-fix mail code quadratic (rule 6).

The functions below are the code the inbound-mail security review replaced (commits
7e6c548 and cecbd9d), kept here only as the meter's control group: if the meter stopped
seeing them, the linearity checks in tests/mail/test_security_regressions.py would prove
nothing. Each is caught by the counter that sees its kind of waste.
"""

from __future__ import annotations

import functools
import re
import sys

import pytest

from tests.workmeter import Nfa, assert_linear

HERE = [sys.modules[__name__]]

# --- pre-fix code, verbatim where it mattered -----------------------------------------------


def _quoted_tail_starts(lines: list[str], i: int) -> bool:
    return all(not line.strip() or line.lstrip().startswith(">") for line in lines[i:])


def pre_fix_split_quoted_text(text: str) -> tuple[str, str]:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">") and _quoted_tail_starts(lines, i):
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:]).strip()
    return text.strip(), ""


_HTML_MARKERS = re.compile(
    r"""<div[^>]*\bclass=["']?[^"'>]*\bgmail_quote"""
    r"""|<blockquote[^>]*\btype=["']?cite"""
    r"""|<div[^>]*\bid=["']?(divRplyFwdMsg|appendonsend)"""
    r"""|-----\s*Original Message\s*-----""",
    re.IGNORECASE,
)
_BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|hr)\b[^>]*>")
_COMMENT = re.compile(r"\([^()]*\)")


def pre_fix_split_quoted_html(markup: str) -> int:
    match = _HTML_MARKERS.search(markup)
    return match.start() if match else -1


def pre_fix_block_ends(markup: str) -> str:
    return _BLOCK_END.sub("\n", markup)


def pre_fix_strip_comments(text: str) -> str:
    while _COMMENT.search(text):
        text = _COMMENT.sub(" ", text)
    return text


def python_pairs(items: list[int]) -> int:
    """A plain n² loop in Python, no copying and no regex."""
    return sum(1 for a in items for b in items if a < b)


# --- the controls -----------------------------------------------------------------------------


def _fails(workload, n: int, counter: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError, match=f"^{counter} grows faster than the input"):
        assert_linear(workload, n, HERE)


def test_a_copy_of_the_rest_per_line_is_seen_in_the_bytes_allocated():
    _fails(lambda n: functools.partial(pre_fix_split_quoted_text, ">\nb\n" * n), 300, "allocated")


@pytest.mark.parametrize(
    ("run", "attack"),
    [(pre_fix_split_quoted_html, "<div "), (pre_fix_block_ends, "<br")],
)
def test_backtracking_to_the_end_from_every_tag_is_seen_in_the_regex_reach(run, attack):
    _fails(lambda n: functools.partial(run, attack * n), 40, "regex")


def test_one_regex_pass_per_nesting_level_is_seen_in_the_regex_reach():
    _fails(lambda n: functools.partial(pre_fix_strip_comments, "(" * n + ")" * n), 30, "regex")


def test_a_python_loop_over_all_pairs_is_seen_in_the_lines_run():
    _fails(lambda n: functools.partial(python_pairs, list(range(n))), 40, "lines")


def test_linear_work_passes():
    counts = assert_linear(lambda n: functools.partial(pre_fix_block_ends, "<br>x" * n), 200, HERE)
    assert counts["regex"][2] - counts["regex"][1] == 2 * (counts["regex"][1] - counts["regex"][0])


def test_reach_is_how_far_a_start_can_still_lead_to_a_match():
    tags, words = "<div " * 10, "<div abcdefgh"
    assert Nfa(re.compile(r"<div[^>]*\bclass=")).reach(tags, 0, len(tags)) == len(tags)
    assert Nfa(re.compile(r"<(div)\b([^<>]{0,1000})")).reach(tags, 0, len(tags)) == 6
    assert Nfa(re.compile(r"<(div)\b([^<>]{0,1000})")).reach(words, 0, len(words)) == 13
    assert Nfa(re.compile(r"<(div)\b([^<>]{0,3})")).reach(words, 0, len(words)) == 7
    assert Nfa(re.compile(r"x|<DIV", re.I)).reach(tags, 0, len(tags)) == 4
    assert Nfa(re.compile(r"^b")).reach("ab", 1, 2) == 0  # "^" rules out a start after 0
