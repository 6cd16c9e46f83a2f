"""Article Markdown → sanitised HTML and plain text (F4; security rule 5).

markdown-it-py in CommonMark mode with raw HTML *disabled* (so ``<script>`` in a body is
text, not markup), tables on; then nh3 with an allowlist like mail's, which is what makes
the output safe — the renderer's own escaping is not trusted alone. Links keep http(s) and
mailto only (``javascript:`` is dropped), images keep ``src`` only for an article file's own
path (``/knowledge/files/<id>/<name>``, ``ArticleFile``), whose reader check is the
article's.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"alt", "src"}, "th": {"align"}, "td": {"align"}}


def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


# An article's own stored file: /knowledge/files/<id>/<name>, nothing that climbs or leaves.
_OWN_FILE = re.compile(r"/knowledge/files/[0-9]+/[^/?#\\\s]*")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # Remote images are trackers; only the knowledge base's own stored files are shown.
    if (
        tag == "img"
        and attr == "src"
        and (not _OWN_FILE.fullmatch(value) or ".." in value or "%2e%2e" in value.lower())
    ):
        return None
    return value


def render_html(markdown: str) -> str:
    """Safe HTML for ``markdown``; may be marked safe in a template."""
    raw = _renderer().render(markdown or "")
    # Headings shift down one level: the article title is the page's only h1.
    raw = re.sub(r"<(/?)h1>", r"<\1h2>", raw)
    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_attribute_filter,
    ).strip()


_BLOCK_END = re.compile(r"</(p|li|h[1-6]|pre|tr|blockquote)>|<br\s*/?>")


def render_text(markdown: str) -> str:
    """Plain text for search and snippets: markup gone, entities decoded, paragraphs kept."""
    spaced = _BLOCK_END.sub("\n", render_html(markdown))
    text = html_lib.unescape(nh3.clean(spaced, tags=set()))
    return re.sub(r"\n{2,}", "\n", text).strip()
