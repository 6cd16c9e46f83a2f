"""Every read of the knowledge base, scoped by ``policy.articles`` (security rule 3).

A reader who may not read an article gets ``NotFound`` — the same as a missing one — and
lists, counts and the self-help tree never include it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from casedesk.cases.permissions import scope_cases
from casedesk.core.errors import NotFound
from casedesk.policy.articles import ArticleState, Reader, readable_visibilities

from .models import (
    Article,
    ArticleFile,
    ArticleKind,
    Component,
    Section,
    SolvedCase,
    Suggestion,
)


def reader_of(user: Any) -> Reader:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Reader.ANONYMOUS
    return Reader.STAFF if user.is_support else Reader.CONTACT


def readable_articles(user: Any) -> QuerySet[Article]:
    """Articles ``user`` may read: staff all of them, others published ones they may see."""
    reader = reader_of(user)
    qs = Article.objects.select_related("product", "author", "reviewer", "component")
    if reader is Reader.STAFF:
        return qs
    visible = [v.value for v in readable_visibilities(reader)]
    return qs.filter(state=ArticleState.PUBLISHED, visibility__in=visible)


def published_for(user: Any) -> QuerySet[Article]:
    """What a reader browses: published articles (staff see drafts in the console only)."""
    return readable_articles(user).filter(state=ArticleState.PUBLISHED)


def access_article(user: Any, pk: int) -> Article:
    article = readable_articles(user).filter(pk=pk).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def access_article_file(user: Any, file_id: int) -> ArticleFile:
    """An article's image or attachment, for exactly those who may read that article (F4;
    rule 3): anything else is NotFound, like a missing file."""
    found = (
        ArticleFile.objects.filter(pk=file_id, article__in=readable_articles(user).values("pk"))
        .select_related("article")
        .first()
    )
    if found is None:
        raise NotFound("No such file.")
    return found


@dataclass
class ArticleFilters:
    kind: str = ""
    product_id: int | None = None
    tag: str = ""
    state: str = ""
    language: str = ""


def list_articles(
    user: Any, filters: ArticleFilters, *, published_only: bool = True, limit: int = 100
) -> list[Article]:
    qs = published_for(user) if published_only else readable_articles(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    else:
        qs = qs.exclude(kind=ArticleKind.SELF_HELP) if published_only else qs
    if filters.product_id:
        qs = qs.filter(Q(product_id=filters.product_id) | Q(product__isnull=True))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag.lower())
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.language:
        qs = qs.filter(language=filters.language)
    return list(qs.prefetch_related("tags").order_by("-updated_at", "-id")[:limit])


def article_detail(user: Any, article: Article) -> dict[str, Any]:
    """What the article page shows beside the text, each part scoped to the reader."""
    reader = reader_of(user)
    solved = SolvedCase.objects.filter(article=article).values_list("case_id", flat=True)
    from casedesk.cases.models import Case

    cases = (
        list(scope_cases(user, Case.objects.filter(pk__in=list(solved))).only("id", "subject"))
        if reader is not Reader.ANONYMOUS
        else []
    )
    return {
        "versions": list(article.versions.all()),
        "tags": list(article.tags.all()),
        "comments": list(article.comments.select_related("author")),
        "cases": cases,
        "revisions": list(article.revisions.select_related("edited_by")[:20])
        if reader is Reader.STAFF
        else [],
        "events": list(article.events.select_related("actor")) if reader is Reader.STAFF else [],
    }


def articles_for_case(user: Any, case_id: int) -> list[Article]:
    """Articles written from or linked to a case, as ``user`` may read them."""
    ids = SolvedCase.objects.filter(case_id=case_id).values_list("article_id", flat=True)
    return list(readable_articles(user).filter(pk__in=list(ids)))


# --- self help (F3) ---------------------------------------------------------------------


@dataclass
class ComponentNode:
    component: Component
    sections: list[tuple[str, list[Article]]]


def selfhelp_tree(user: Any, product_id: int) -> list[ComponentNode]:
    """Component → section → pages, for one product; empty branches are left out."""
    pages = list(
        published_for(user)
        .filter(kind=ArticleKind.SELF_HELP, component__product_id=product_id)
        .order_by("component__position", "component__name", "position", "title")
    )
    components = {c.pk: c for c in Component.objects.filter(product_id=product_id)}
    nodes: list[ComponentNode] = []
    for component in sorted(components.values(), key=lambda c: (c.position, c.name)):
        mine = [p for p in pages if p.component_id == component.pk]
        sections = [
            (label, [p for p in mine if p.section == value])
            for value, label in Section.choices
            if any(p.section == value for p in mine)
        ]
        if sections:
            nodes.append(ComponentNode(component, sections))
    return nodes


def selfhelp_products(user: Any) -> list[tuple[int, str, int]]:
    """(product id, name, pages) for every product with self help the reader may see."""
    rows = (
        published_for(user)
        .filter(kind=ArticleKind.SELF_HELP)
        .values("component__product_id", "component__product__name")
        .annotate(n=Count("id"))
        .order_by("component__product__name")
    )
    return [(r["component__product_id"], r["component__product__name"], r["n"]) for r in rows]


# --- deflection (T12) -------------------------------------------------------------------


@dataclass
class DeflectionRow:
    article_id: int
    title: str
    shown: int
    clicked: int
    opened_anyway: int

    @property
    def deflected(self) -> int:
        return self.shown - self.opened_anyway

    @property
    def rate(self) -> float:
        return self.deflected / self.shown if self.shown else 0.0


def deflection_report(*, since: Any = None, limit: int = 100) -> list[DeflectionRow]:
    """Per article: times suggested, opened, and followed by a case anyway (managers)."""
    qs = Suggestion.objects.all()
    if since is not None:
        qs = qs.filter(shown_at__gte=since)
    rows = (
        qs.values("article_id", "article__title")
        .annotate(
            shown=Count("id"),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            opened=Count("id", filter=Q(case__isnull=False)),
        )
        .order_by("-shown", "article_id")[:limit]
    )
    result = [
        DeflectionRow(r["article_id"], r["article__title"], r["shown"], r["clicked"], r["opened"])
        for r in rows
    ]
    return sorted(result, key=lambda r: (-r.deflected, -r.shown, r.article_id))
