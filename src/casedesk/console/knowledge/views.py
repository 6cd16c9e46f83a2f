"""Writing, reviewing and publishing articles (F3, F4); the console's one search (F6).

The workflow's rules (four eyes, what may be edited when) are ``policy.articles``, applied
by ``knowledge.services``; a refusal re-renders the page with the reason at its 4xx.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.knowledge import selectors, services
from casedesk.policy.articles import ArticleAction, available_article_actions
from casedesk.web.access import get_case_or_404, support_view
from casedesk.web.errors import add_domain_error
from casedesk.web.search import search_context

from .forms import ArticleActionForm, ArticleFilterForm, ArticleForm


def _article(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.access_article(request.user, pk)
    except NotFound:
        raise Http404("No such article.") from None


@support_view
@require_safe
def kb_list(request: HttpRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET)
    filters = selectors.ArticleFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ArticleFilters(
            state=data["state"] or "",
            kind=data["kind"] or "",
            product_id=data["product"].pk if data["product"] else None,
        )
    articles = selectors.list_articles(request.user, filters, published_only=False, limit=200)
    context = {"form": form, "articles": articles, "nav": "kb"}
    return render(request, "console/knowledge/list.html", context)


@support_view
@require_http_methods(["GET", "POST"])
def kb_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.article_create(
                    actor=request.user,
                    draft=form.to_draft(),
                    now=clock.now(),
                    note=form.cleaned_data["note"] or "Created",
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, "Draft saved.")
                return redirect("console-kb-article", pk=article.pk)
        else:
            status = 400
    else:
        form = ArticleForm(initial={"visibility": "customers", "language": "en"})
    return render(
        request, "console/knowledge/edit.html", {"form": form, "nav": "kb"}, status=status
    )


@support_view
@require_http_methods(["GET", "POST"])
def kb_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                services.article_update(
                    actor=request.user,
                    article=article,
                    draft=form.to_draft(),
                    version=form.cleaned_data["version"] or 0,
                    now=clock.now(),
                    note=form.cleaned_data["note"] or "",
                )
            except DomainError as exc:
                status = add_domain_error(form, exc)
            else:
                messages.success(request, "Saved as a new revision.")
                return redirect("console-kb-article", pk=article.pk)
        else:
            status = 400
    else:
        form = ArticleForm(initial=ArticleForm.initial_for(article))
    context = {"form": form, "article": article, "nav": "kb"}
    return render(request, "console/knowledge/edit.html", context, status=status)


@support_view
@require_POST
def kb_file_add(request: HttpRequest, pk: int) -> HttpResponse:
    """F4: an image or attachment for the article; the page shows the Markdown to use."""
    article = _article(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file to upload.")
        return redirect("console-kb-edit", pk=article.pk)
    try:
        row = services.article_file_add(
            actor=request.user,  # type: ignore[arg-type]
            article=article,
            filename=upload.name or "file",
            chunks=upload.chunks(),
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Stored {row.filename}. Put this in the body: {row.markdown}")
    return redirect("console-kb-edit", pk=article.pk)


def _page(request: HttpRequest, article: Any, status: int = 200, error: str = "") -> HttpResponse:
    user: Any = request.user
    actions = available_article_actions(
        state=article.state_enum,
        actor_is_author=article.author_id == user.pk,
        actor_is_staff=True,
    )
    context = {
        "article": article,
        "detail": selectors.article_detail(user, article),
        "actions": actions,
        "error": error,
        "nav": "kb",
    }
    return render(request, "console/knowledge/article.html", context, status=status)


@support_view
@require_safe
def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _article(request, pk))


@support_view
@require_POST
def kb_act(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    form = ArticleActionForm(request.POST)
    if not form.is_valid():
        return _page(request, article, 400, "Choose an action.")
    data = form.cleaned_data
    try:
        article = services.article_act(
            actor=request.user,
            article=article,
            action=ArticleAction(data["action"]),
            version=data["version"],
            now=clock.now(),
            note=data["note"],
        )
    except DomainError as exc:
        return _page(request, _article(request, pk), exc.status_code, exc.reason)
    messages.success(request, f"The article is now {article.state}.")
    return redirect("console-kb-article", pk=article.pk)


@support_view
@require_POST
def case_to_article(request: HttpRequest, number: str) -> HttpResponse:
    """One step from a solved case to a draft article linked to it (F4)."""
    case = get_case_or_404(request.user, number)
    article = services.article_from_case(actor=request.user, case=case, now=clock.now())
    messages.success(request, f"Draft written from {case.number}; edit it, then submit it.")
    return redirect("console-kb-edit", pk=article.pk)


@support_view
@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    context = search_context(request.user, request.GET)
    context.update(nav="search", article_url="console-kb-article", case_url="console-case-detail")
    return render(request, "console/knowledge/search.html", context)
