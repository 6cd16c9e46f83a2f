"""E-mail HTML made inert (security rule 5; B5 "rich text, kept, sanitised").

An allowlist through nh3 (ammonia): structure and emphasis survive; script, style,
event handlers, forms, frames and every ``style``/``class`` attribute do not. Images
lose their ``src`` (remote images are trackers and the CSP blocks them anyway), so
only their alt text shows. Links keep ``href`` for http(s)/mailto only and get
``rel="noopener noreferrer nofollow"``. What is stored is already clean; the template
filter cleans again on output so a row edited in the database cannot carry markup.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(markup: str) -> str:
    """The allowlisted subset of ``markup``; safe to mark safe in a template."""
    if not markup:
        return ""
    return nh3.clean(
        markup,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        clean_content_tags={"script", "style", "title", "head", "template", "noscript"},
    ).strip()


# Bounded, and stops at the next "<": an unclosed "<br<br<br…" is linear, not n² (rule 6).
_BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|hr)\b[^<>]{0,1000}>")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body, for mails that carry no text/plain alternative."""
    spaced = _BLOCK_END.sub("\n", markup or "")
    text = nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style", "title", "head"})
    text = html_lib.unescape(text)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
