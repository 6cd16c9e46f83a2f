"""The search box's grammar, parsed once and rendered for each database (F6).

The grammar is PostgreSQL's ``websearch_to_tsquery``: words are all required, ``"a
phrase"`` matches in order, ``or`` between two terms accepts either, ``-word`` excludes.
Anything else the user types (quotes left open, ``*``, ``:``, ``NEAR``, parentheses, SQL)
is plain text: only runs of letters and digits survive as terms, so no input can become
an operator of either engine. SQLite's FTS5 gets every term double-quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_TERMS = 16
MAX_QUERY = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')

# English stop words PostgreSQL's english configuration drops; FTS5 has none, so they are
# dropped here too (when something else is left) to keep both engines' answers the same.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # more than one: a phrase
    negated: bool = False


@dataclass
class ParsedQuery:
    """AND of groups; each group an OR of terms. Negated terms stand alone as groups."""

    groups: list[list[Term]] = field(default_factory=list)
    # The planner's row estimates of this search, per (table, tsquery text): articles and
    # self help read the same table for the same words, so one EXPLAIN serves both.
    estimates: dict[tuple[str, str], float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def positive(self) -> bool:
        return any(not t.negated for g in self.groups for t in g)

    def websearch(self) -> str:
        """The query as normalised websearch text (safe words only) for PostgreSQL."""
        parts = []
        for group in self.groups:
            rendered = [_websearch_term(t) for t in group]
            parts.append(" or ".join(rendered))
        return " ".join(parts)

    def tsquery(self, weights: str = "") -> str:
        """The query as ``to_tsquery`` text (PostgreSQL): every word quoted, phrases with
        ``<->``, exclusions with ``!``; ``weights`` (e.g. ``"ABC"``) limits each word to
        those parts of a document — a contact's query never matches an internal note (D).
        Empty when nothing positive is left."""
        if not self.positive:
            return ""
        label = f":{weights}" if weights else ""
        parts = []
        for group in self.groups:
            rendered = [_tsquery_term(t, label) for t in group]
            parts.append(rendered[0] if len(rendered) == 1 else "(" + " | ".join(rendered) + ")")
        return " & ".join(parts)

    def group_tsqueries(self, weights: str = "") -> list[str]:
        """Each positive group on its own as ``to_tsquery`` text: the query matches no more
        rows than its rarest group, which is how the PostgreSQL backend decides whether the
        words are rare enough to read straight from the text index."""
        label = f":{weights}" if weights else ""
        out = []
        for group in self.groups:
            if any(t.negated for t in group):
                continue
            rendered = [_tsquery_term(t, label) for t in group]
            out.append(rendered[0] if len(rendered) == 1 else "(" + " | ".join(rendered) + ")")
        return out

    def fts5(self) -> str:
        """The query as an FTS5 MATCH expression; every term quoted, NOT only after a term."""
        positive = []
        negative = []
        for group in self.groups:
            if group[0].negated:
                negative.append(_fts5_term(group[0], stop=False))
                continue
            terms = [_fts5_term(t, stop=len(self.groups) > 1) for t in group]
            terms = [t for t in terms if t]
            if terms:
                positive.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
        if not positive:
            return ""
        expression = " AND ".join(positive)
        for term in negative:
            expression = f"({expression}) NOT {term}"
        return expression


def _websearch_term(term: Term) -> str:
    text = " ".join(term.words)
    text = f'"{text}"' if len(term.words) > 1 else text
    return f"-{text}" if term.negated else text


def _tsquery_term(term: Term, label: str) -> str:
    # Words are \w+ runs: no quote, backslash or operator can reach to_tsquery.
    words = [f"'{w}'{label}" for w in term.words]
    text = words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")"
    return f"!{text}" if term.negated else text


def _fts5_term(term: Term, *, stop: bool) -> str:
    words = term.words
    if stop and len(words) == 1 and words[0].lower() in STOP_WORDS:
        return ""
    return '"' + " ".join(words) + '"'


def parse(text: str) -> ParsedQuery:
    """The user's text as groups of safe terms; an empty query has no groups."""
    parsed = ParsedQuery()
    pending_or = False
    count = 0
    for match in _TOKEN.finditer((text or "")[:MAX_QUERY]):
        negated = match.group(1) == "-"
        if match.group(3) is not None:
            raw = match.group(3)
            if raw.lower() == "or" and parsed.groups and not parsed.groups[-1][0].negated:
                pending_or = True
                continue
            negated = raw.startswith("-") and len(raw) > 1
            words = tuple(w.lower() for w in _WORD.findall(raw))
            # "error-code" is two words, like both engines' tokenizers see it.
            terms = [Term((w,), negated) for w in words] if not negated else [Term(words, True)]
        else:
            words = tuple(w.lower() for w in _WORD.findall(match.group(2)))
            terms = [Term(words, negated)] if words else []
        for term in terms:
            if not term.words or count >= MAX_TERMS:
                continue
            count += 1
            if pending_or and not term.negated:
                parsed.groups[-1].append(term)
                pending_or = False
            else:
                parsed.groups.append([term])
    return parsed


def prefix_words(text: str, *, limit: int = 8) -> list[str]:
    """Words for suggestions while typing: the last one may be unfinished (a prefix)."""
    words = [w.lower() for w in _WORD.findall((text or "")[:MAX_QUERY])]
    words = [w for w in words if w not in STOP_WORDS or len(words) == 1]
    return words[-limit:]
