"""The knowledge base, self help and the one search in the portal (F3, F4, F6, T12).

Public articles are readable without signing in; customer articles need a contact's
login; internal articles and unpublished work do not exist here (404, like a missing
article). Support staff are sent to the console's copy of the page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from casedesk.catalog.models import Product
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.knowledge import selectors, services
from casedesk.knowledge.models import ArticleKind
from casedesk.portal.knowledge_forms import ArticleFilterForm, CommentForm
from casedesk.search.selectors import suggest
from casedesk.web.downloads import stored_file_response
from casedesk.web.search import search_context

View = Callable[..., HttpResponse]


def reader_view(console: str | None = None) -> Callable[[View], View]:
    """Anyone may read (scoped by ``policy.articles``); staff go to the console's page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: Any = request.user
            if user.is_authenticated and user.is_support and console:
                return redirect(console, *kwargs.values())
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _article_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.access_article(request.user, pk)
    except NotFound:
        raise Http404("No such article.") from None


@require_safe
@reader_view("console-kb")
def kb_home(request: HttpRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET)
    filters = selectors.ArticleFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ArticleFilters(
            kind=data["kind"] or "",
            product_id=data["product"].pk if data["product"] else None,
            tag=data["tag"] or "",
        )
    context = {
        "form": form,
        "articles": selectors.list_articles(request.user, filters),
        "selfhelp": selectors.selfhelp_products(request.user),
        "nav": "kb",
    }
    return render(request, "portal/kb_home.html", context)


@require_safe
@reader_view("console-kb-article")
def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(request, pk)
    user: Any = request.user
    token = str(request.GET.get("s", ""))[:32]
    if token and user.is_authenticated:
        services.suggestion_clicked(contact=user, token=token, article=article, now=clock.now())
    return render(request, "portal/kb_article.html", _article_context(request, article))


@require_safe
def article_file(request: HttpRequest, file_id: int, name: str) -> HttpResponse:
    """An article's image (shown inline) or attachment (a download), for exactly those who
    may read the article (F4; rule 3); the name in the path is only for people."""
    try:
        found = selectors.access_article_file(request.user, file_id)
    except NotFound:
        raise Http404("No such file.") from None
    return stored_file_response(found, inline_type=found.content_type if found.is_image else "")


def _article_context(request: HttpRequest, article: Any, **extra: Any) -> dict[str, Any]:
    context = {
        "article": article,
        "detail": selectors.article_detail(request.user, article),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "nav": "selfhelp" if article.kind == ArticleKind.SELF_HELP else "kb",
    }
    context.update(extra)
    return context


def _contact_only(request: HttpRequest) -> HttpResponse | None:
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_contact:
        raise Http404("Not found.")
    return None


@require_POST
def kb_vote(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _contact_only(request)
    if refused:
        return refused
    article = _article_or_404(request, pk)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return HttpResponse("Say yes or no.", status=400, content_type="text/plain")
    services.article_vote(
        reader=request.user, article=article, helpful=helpful == "yes", now=clock.now()
    )
    messages.success(request, "Thank you for telling us.")
    return redirect("portal-kb-article", pk=article.pk)


@require_POST
def kb_comment(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _contact_only(request)
    if refused:
        return refused
    article = _article_or_404(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.article_comment(
                author=request.user,
                article=article,
                body=form.cleaned_data["body"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error("body", exc.reason)
        else:
            messages.success(request, "Your comment is posted.")
            return redirect("portal-kb-article", pk=article.pk)
    context = _article_context(request, article, comment_form=form)
    return render(request, "portal/kb_article.html", context, status=400)


@require_safe
@reader_view("console-kb")
def selfhelp(request: HttpRequest, product_id: int | None = None) -> HttpResponse:
    products = selectors.selfhelp_products(request.user)
    product = None
    tree: list[Any] = []
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise Http404("No such product.")
        tree = selectors.selfhelp_tree(request.user, product.pk)
    context = {"products": products, "product": product, "tree": tree, "nav": "selfhelp"}
    return render(request, "portal/selfhelp.html", context)


@require_safe
@reader_view("console-search")
def search_page(request: HttpRequest) -> HttpResponse:
    context = search_context(request.user, request.GET)
    context.update(
        nav="search",
        article_url="portal-kb-article",
        case_url="portal-case-detail",
        resource_url="portal-resource-product",
    )
    return render(request, "portal/search.html", context)


@require_POST
def suggest_json(request: HttpRequest) -> HttpResponse:
    """Articles for the subject being typed on the open-case form (T12), recorded as shown."""
    user: Any = request.user
    if not user.is_authenticated or not user.is_contact:
        return JsonResponse({"detail": "Sign in as a contact."}, status=403)
    subject = str(request.POST.get("subject", ""))[:200]
    token = str(request.POST.get("token", ""))[:32]
    try:
        product_id = int(request.POST.get("product") or 0) or None
    except ValueError:
        product_id = None
    hits = suggest(user, subject, product_id=product_id) if len(subject.strip()) >= 3 else []
    services.suggestions_record(
        contact=user, token=token, article_ids=[int(h.key) for h in hits], now=clock.now()
    )
    url = reverse("portal-kb-article", args=[0]).rsplit("0/", 1)[0]
    return JsonResponse(
        {
            "articles": [
                {
                    "id": int(h.key),
                    "title": h.meta["title"],
                    "kind": h.meta["kind_label"],
                    "product": h.product,
                    "url": f"{url}{h.key}/?s={token}",
                }
                for h in hits
            ]
        }
    )


# --- the open-case form (T12, F3) --------------------------------------------------------


def suggestion_context(request: HttpRequest, *, opened: Any = None) -> dict[str, Any]:
    """What the open-case form shows about articles; records what was shown, or the case."""
    user: Any = request.user
    token = str(request.POST.get("suggest_token", ""))[:32] if request.method == "POST" else ""
    if not token.isalnum():
        token = secrets.token_hex(12)
    if opened is not None:
        services.suggestions_case_opened(contact=user, token=token, case=opened)
        return {}
    try:
        product_id = int(request.POST.get("product") or 0) or None
    except ValueError:
        product_id = None
    context: dict[str, Any] = {"suggest_token": token, "selfhelp_product": product_id}
    if request.method == "POST" and request.POST.get("suggest"):
        hits = suggest(user, str(request.POST.get("subject", ""))[:200], product_id=product_id)
        services.suggestions_record(
            contact=user, token=token, article_ids=[int(h.key) for h in hits], now=clock.now()
        )
        context.update(suggestions=hits, suggestions_asked=True)
    return context
