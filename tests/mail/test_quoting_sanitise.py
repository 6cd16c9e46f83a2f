"""Quoted-history folding and HTML sanitising, unit level (B5; rule 5)."""

from __future__ import annotations

from casedesk.mail.quoting import split_quoted_html, split_quoted_text
from casedesk.mail.sanitise import html_to_text, sanitise_html


def test_inline_answers_stay_visible():
    # Interleaved ">" quotes with answers below them are not history to fold.
    text = "> Which version?\n9.2.1\n> Which gateway?\nThe second one."
    assert split_quoted_text(text) == (text, "")


def test_trailing_quote_block_is_folded():
    new, quoted = split_quoted_text("Thanks, fixed.\n\n> old\n> older\n")
    assert (new, quoted) == ("Thanks, fixed.", "> old\n> older")


def test_wrote_line_wrapped_over_two_lines_is_found():
    text = (
        "Done.\n\nOn Tue, 24 Nov 2026 at 11:02, Support Team <support@casedesk.invalid>\n"
        "wrote:\n> x"
    )
    new, quoted = split_quoted_text(text)
    assert new == "Done." and quoted.startswith("On Tue")


def test_a_sentence_starting_with_on_is_not_a_quote_marker():
    text = "On Monday the dialer stopped.\nIt restarted by itself."
    assert split_quoted_text(text) == (text, "")


def test_outlook_html_reply_marker():
    new, quoted = split_quoted_html('<p>Yes</p><div id="divRplyFwdMsg"><p>From: S</p></div>')
    assert new == "<p>Yes</p>" and quoted.startswith("<div id=")


def test_sanitiser_keeps_structure_and_drops_active_content():
    dirty = (
        '<p style="color:red" onclick="x()">Hi <a href="https://a.example/" target="_blank">a</a>'
        '<a href="javascript:alert(1)">b</a><img src="https://t.example/p.gif" alt="pic"></p>'
        "<script>alert(1)</script><style>p{}</style><object data=x></object>"
    )
    clean = sanitise_html(dirty)
    assert "<p>Hi " in clean and 'rel="noopener noreferrer nofollow"' in clean
    for bad in ("style", "onclick", "javascript", "t.example", "<script", "<object", "target"):
        assert bad not in clean, bad
    assert '<img alt="pic">' in clean


def test_html_to_text_keeps_line_breaks_and_drops_script():
    assert html_to_text("<p>One</p><p>Two<br>Three</p><script>x()</script>") == "One\nTwo\nThree"
