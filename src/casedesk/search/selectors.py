"""The one search (F6) and the suggestions while opening a case (T12).

``search`` finds published articles and self-help pages the reader may read and the
cases they may see (subject, description, and the timeline's text — internal notes only
for support staff), ranked, with highlighted snippets, filterable by kind and product.
Everything is scoped before the engine counts or cuts a snippet: a contact never learns
from a result, a count or a snippet that another organisation's case or an internal
article exists (security rule 3). Snippets are escaped here and only our own ``<mark>``
is put back, so neither the text nor the search terms can inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from casedesk.cases.models import Case
from casedesk.cases.permissions import can_see_internal, scope_cases
from casedesk.knowledge.models import Article, ArticleKind
from casedesk.knowledge.selectors import published_for, reader_of
from casedesk.policy.articles import Reader
from casedesk.resources.models import Document, Download, Release
from casedesk.resources.selectors import covered_products

from .backends import COUNT_CAP, Backend, RawHit, Scope
from .postgres import PostgresBackend
from .query import parse, prefix_words
from .sqlite import SqliteBackend

KINDS = {
    "article": "Articles",
    "selfhelp": "Self help",
    "resource": "Resource centre",
    "case": "Cases",
}
PAGE_SIZE = 20
_MARKERS = re.compile("([\x02\x03])")


@dataclass
class Hit:
    kind: str  # article, selfhelp, case
    key: str  # article id or case number
    title: SafeString
    snippet: SafeString
    score: float
    product: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Results:
    query: str
    hits: list[Hit]
    counts: dict[str, int]  # per kind, capped at COUNT_CAP + 1 ("200+")
    cap: int = COUNT_CAP

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def count_rows(self) -> list[tuple[str, str, str]]:
        """(kind, label, shown count) — "1000+" past the cap."""
        return [
            (k, KINDS[k], f"{self.cap}+" if n > self.cap else str(n))
            for k, n in self.counts.items()
        ]


def backend() -> Backend:
    """The engine of the database in use: one interface, held to the same answers by tests."""
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()


def highlight(raw: str) -> SafeString:
    """Escape everything, then turn the engines' \\x02/\\x03 markers into <mark>."""
    text = escape(raw or "")
    if "\x02" not in text and "\x03" not in text:
        return mark_safe(text)  # noqa: S308 — escaped above
    opened = False
    out = []
    for part in _MARKERS.split(text):
        if part == "\x02":
            if not opened:
                out.append("<mark>")
                opened = True
        elif part == "\x03":
            if opened:
                out.append("</mark>")
                opened = False
        else:
            out.append(part)
    if opened:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 — escaped above; only <mark> added


def _article_scope(user: Any, kind: str, product_id: int | None) -> Scope:
    qs = published_for(user)
    qs = (
        qs.filter(kind=ArticleKind.SELF_HELP)
        if kind == "selfhelp"
        else qs.exclude(kind=ArticleKind.SELF_HELP)
    )
    if product_id:
        qs = qs.filter(product_id=product_id)
    return Scope.of(qs)


def search(
    user: Any,
    text: str,
    *,
    kinds: list[str] | None = None,
    product_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Results:
    """Results of every kind asked for, each kind ranked; a page of ``page_size`` per kind."""
    query = parse(text)
    wanted = [k for k in (kinds or list(KINDS)) if k in KINDS]
    reader = reader_of(user)
    if reader is Reader.ANONYMOUS:
        wanted = [k for k in wanted if k not in ("case", "resource")]
    engine = backend()
    offset = max(page - 1, 0) * page_size
    hits: list[Hit] = []
    counts: dict[str, int] = {}
    for kind in wanted:
        if kind == "case":
            scope_qs = scope_cases(user, Case.objects.all())
            if product_id:
                scope_qs = scope_qs.filter(product_id=product_id)
            everything = reader is Reader.STAFF and not product_id
            raw, counts[kind] = engine.cases(
                query,
                Scope.everything() if everything else Scope.of(scope_qs),
                not can_see_internal(user),
                page_size,
                offset,
            )
            hits += _case_hits(raw)
        elif kind == "resource":
            raw, counts[kind] = engine.resources(
                query, _resource_products(user, reader, product_id), page_size, offset
            )
            hits += _resource_hits(raw)
        else:
            raw, counts[kind] = engine.articles(
                query, _article_scope(user, kind, product_id), page_size, offset
            )
            hits += _article_hits(kind, raw)
    return Results(query=text, hits=hits, counts=counts, cap=COUNT_CAP)


def _resource_products(user: Any, reader: Reader, product_id: int | None) -> list[int] | None:
    """F1: the products the reader's contracts cover (staff: all), narrowed by the filter."""
    if reader is Reader.STAFF:
        return [product_id] if product_id else None
    ids = list(covered_products(user).values_list("pk", flat=True))
    return [i for i in ids if i == product_id] if product_id else ids


_RESOURCE_LABELS = {"release": "Release", "document": "Document", "download": "Download"}


def _resource_hits(raw: list[RawHit]) -> list[Hit]:
    rows: dict[tuple[str, int], Any] = {}
    for source, model, related in (
        ("release", Release, "product"),
        ("document", Document, "product"),
        ("download", Download, "release__product"),
    ):
        ids = [h.id for h in raw if h.source == source]
        if ids:
            for pk, row in model.objects.select_related(related).in_bulk(ids).items():
                rows[source, pk] = row
    hits = []
    for r in raw:
        row = rows.get((r.source, r.id))
        if row is None:
            continue
        if r.source == "download":
            product, title, snippet = row.release.product, row.filename, ""
            extra = f"{row.release.name} · {row.size:,} bytes · SHA-256 {row.sha256[:12]}…"
        else:
            product = row.product
            title = r.title or (row.name if r.source == "release" else row.title)
            snippet, extra = r.snippet, ""
        hits.append(
            Hit(
                kind="resource",
                key=f"{r.source}-{r.id}",
                title=highlight(title),
                snippet=highlight(snippet) if snippet else mark_safe(escape(extra)),  # noqa: S308
                score=r.score,
                product=product.name,
                meta={
                    "kind_label": _RESOURCE_LABELS[r.source],
                    "source": r.source,
                    "pk": r.id,
                    "product_id": product.pk,
                    "admin_url": f"admin:resources_{r.source}_change",
                },
            )
        )
    return hits


def _article_hits(kind: str, raw: list[RawHit]) -> list[Hit]:
    articles = (
        Article.objects.select_related("product")
        .only("title", "kind", "language", "updated_at", "product__name")
        .in_bulk([h.id for h in raw])
    )
    hits = []
    for r in raw:
        a = articles.get(r.id)
        if a is None:
            continue
        hits.append(
            Hit(
                kind=kind,
                key=str(a.pk),
                title=highlight(r.title or a.title),
                snippet=highlight(r.snippet),
                score=r.score,
                product=a.product.name if a.product else "",
                meta={
                    "title": a.title,
                    "kind": a.kind,
                    "kind_label": a.get_kind_display(),
                    "language": a.language,
                    "updated_at": a.updated_at,
                },
            )
        )
    return hits


def _case_hits(raw: list[RawHit]) -> list[Hit]:
    cases = (
        Case.objects.select_related("product")
        .only("subject", "status", "updated_at", "product__name")
        .in_bulk([h.id for h in raw])
    )
    hits = []
    for r in raw:
        c = cases.get(r.id)
        if c is None:
            continue
        hits.append(
            Hit(
                kind="case",
                key=c.number,
                title=highlight(r.title or c.subject),
                snippet=highlight(r.snippet),
                score=r.score,
                product=c.product.name if c.product else "",
                meta={
                    "status": c.get_status_display(),
                    "updated_at": c.updated_at,
                    "in_timeline": r.in_timeline,
                },
            )
        )
    return hits


def suggest(user: Any, text: str, *, product_id: int | None = None, limit: int = 5) -> list[Hit]:
    """Articles for what a contact is typing as a case subject (T12): any word, last a prefix."""
    qs = published_for(user)
    if product_id:
        qs = qs.filter(Q(product_id=product_id) | Q(product__isnull=True))
    raw = backend().suggest(prefix_words(text), Scope.of(qs), limit)
    hits = _article_hits("article", raw)
    for hit in hits:
        if hit.meta["kind"] == ArticleKind.SELF_HELP:
            hit.kind = "selfhelp"
    return hits
