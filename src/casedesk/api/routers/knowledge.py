"""Knowledge articles and the one search over the API (F4, F6; rule 3).

The readers' rule of the pages (``policy.articles`` through ``knowledge.selectors``): a
contact reads published public and customer articles, never an internal one or a draft
(404 like a missing one); staff read everything. Search is the pages' selector, scoped the
same way, so no result, count or snippet names what the caller may not see.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from casedesk.api.routers.common import errors
from casedesk.api.schemas.common import ID_MAX
from casedesk.api.schemas.resources import ArticleOut, ArticleSummaryOut, SearchOut
from casedesk.api.security import caller
from casedesk.knowledge import selectors
from casedesk.knowledge.models import ArticleKind
from casedesk.search.selectors import KINDS, search

router = Router(tags=["knowledge"])

QUERY_MAX = 200


def _summary(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "title": a.title,
        "kind": a.kind,
        "language": a.language,
        "product": a.product.name if a.product_id else None,
        "updated_at": a.updated_at,
    }


@router.get(
    "/articles",
    response={200: list[ArticleSummaryOut], **errors(401, 422, 503)},
    summary="Published articles you may read",
)
def articles(
    request: HttpRequest,
    kind: ArticleKind | None = None,
    product_id: Annotated[int | None, Field(ge=1, le=ID_MAX)] = None,
    language: Annotated[str, Field(max_length=5)] = "",
) -> list[dict[str, Any]]:
    """The newest 100 published articles, filtered by kind, product and language."""
    filters = selectors.ArticleFilters(
        kind=kind.value if kind else "", product_id=product_id, language=language
    )
    return [_summary(a) for a in selectors.list_articles(caller(request), filters)]


@router.get(
    "/articles/{article_id}",
    response={200: ArticleOut, **errors(401, 404, 422, 503)},
    summary="One article",
)
def article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    found = selectors.access_article(caller(request), article_id)
    return {
        **_summary(found),
        "body_markdown": found.body,
        "body_html": found.body_html,
        "tags": [t.name for t in found.tags.all()],
        "last_reviewed_on": found.last_reviewed_on,
        "helpful_yes": found.helpful_yes,
        "helpful_no": found.helpful_no,
    }


@router.get(
    "/search",
    response={200: SearchOut, **errors(401, 422, 503)},
    summary="Search articles, self help, the resource centre and your cases",
)
def search_all(
    request: HttpRequest,
    q: Annotated[str, Field(min_length=1, max_length=QUERY_MAX)],
    kind: Annotated[str, Field(pattern="^(" + "|".join(KINDS) + ")$")] | None = None,
    product_id: Annotated[int | None, Field(ge=1, le=ID_MAX)] = None,
    page: Annotated[int, Field(ge=1, le=1000)] = 1,
) -> dict[str, Any]:
    """Ranked hits per kind with highlighted, escaped snippets; counts per kind."""
    results = search(
        caller(request), q, kinds=[kind] if kind else None, product_id=product_id, page=page
    )
    return {
        "query": results.query,
        "counts": results.counts,
        "hits": [
            {
                "kind": h.kind,
                "key": h.key,
                "title_html": str(h.title),
                "snippet_html": str(h.snippet),
                "product": h.product,
            }
            for h in results.hits
        ],
    }
