"""Who reads which article, on every knowledge route (F3, F4, F6; security rule 3).

Anonymous readers see public articles; contacts public and customer ones; support staff
everything. What a reader may not read answers exactly like a missing article (404 with
the same body) on every portal and console route and changes nothing; its title never
shows in a list, a search or a suggestion.
"""

from __future__ import annotations

import pytest
from django.test import Client

from casedesk.knowledge.models import Article, ArticleComment, ArticleVote
from tests.knowledge.conftest import publish

pytestmark = pytest.mark.django_db

PORTAL = ["/kb/{pk}/", "/kb/{pk}/vote/", "/kb/{pk}/comment/"]
CONSOLE = ["/console/kb/{pk}/", "/console/kb/{pk}/edit/", "/console/kb/{pk}/act/"]


@pytest.fixture
def articles(world):
    from casedesk.knowledge.services import ArticleDraft, article_create

    return {
        "public": publish(world, "Alpha public osprey", "Body osprey", visibility="public"),
        "customers": publish(world, "Beta customers osprey", "Body osprey"),
        "internal": publish(world, "Gamma internal osprey", "Body osprey", visibility="internal"),
        "draft": article_create(
            actor=world.engineer,
            draft=ArticleDraft(title="Delta draft osprey", body="x"),
            now=world.now,
        ),
    }


READS = {
    "anonymous": {"public"},
    "alice": {"public", "customers"},
    "gina": {"public", "customers"},
}


def _client(world, who):
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


@pytest.mark.parametrize("who", sorted(READS))
def test_portal_article_routes_follow_visibility(world, articles, who):
    client = _client(world, who)
    missing = max(a.pk for a in articles.values()) + 100
    for name, article in articles.items():
        for route in PORTAL:
            for method in ("get", "post"):
                call = getattr(client, method)
                data = {"helpful": "yes", "body": "probe"} if method == "post" else None
                response = call(route.format(pk=article.pk), data)
                where = f"{method} {route} {name} as {who}"
                assert response.status_code < 500, where
                if name in READS[who]:
                    continue
                gone = call(route.format(pk=missing), data)
                assert response.status_code == gone.status_code, where
                if who != "anonymous" or method == "get":
                    assert response.status_code in (404, 405), where
                assert article.title.encode() not in response.content, where
    assert not ArticleVote.objects.exclude(article__in=[articles["public"], articles["customers"]])
    assert not ArticleComment.objects.exclude(
        article__in=[articles["public"], articles["customers"]]
    )


@pytest.mark.parametrize("who", sorted(READS))
def test_lists_searches_and_suggestions_never_name_unreadable_articles(world, articles, who):
    client = _client(world, who)
    hidden = [a.title for n, a in articles.items() if n not in READS[who]]
    pages = [
        client.get("/kb/"),
        client.get("/search/", {"q": "osprey"}),
        client.get("/search/", {"q": "gamma internal"}),
        client.get("/self-help/"),
    ]
    if who != "anonymous":
        pages.append(client.post("/kb/suggest/", {"subject": "osprey gamma delta"}))
    for page in pages:
        assert page.status_code == 200
        for title in hidden:
            assert title.encode() not in page.content, (who, title)
    # The count says how many the reader may see, not how many exist.
    results = client.get("/search/", {"q": "osprey", "kind": "article"}).content.decode()
    assert f"Articles <strong>{len(READS[who])}</strong>" in results


def test_console_article_routes_are_for_staff_only(world, articles):
    for who in ("alice", "gina"):
        client = _client(world, who)
        for route in CONSOLE:
            for name, article in articles.items():
                assert client.get(route.format(pk=article.pk)).status_code == 404, (who, route)
                before = Article.objects.get(pk=article.pk).version
                assert client.post(route.format(pk=article.pk), {}).status_code == 404
                assert Article.objects.get(pk=article.pk).version == before, name
    staff = _client(world, "engineer")
    for article in articles.values():
        assert staff.get(f"/console/kb/{article.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["alice", "gina", "anonymous"])
def test_api_articles_and_search_follow_visibility(world, articles, who):
    from casedesk.accounts.services import api_token_create

    client = Client()
    headers = {}
    if who != "anonymous":
        token = api_token_create(user=getattr(world, who), name="m", now=world.now)
        headers["Authorization"] = f"Bearer {token}"
    missing = max(a.pk for a in articles.values()) + 100
    gone = client.get(f"/api/v1/articles/{missing}", headers=headers)
    for name, article in articles.items():
        response = client.get(f"/api/v1/articles/{article.pk}", headers=headers)
        if who == "anonymous":
            assert response.status_code == 401
        elif name in READS[who]:
            assert response.status_code == 200
        else:
            assert (response.status_code, response.content) == (404, gone.content), name
    hidden = [a.title for n, a in articles.items() if n not in READS[who]]
    for url in ("/api/v1/articles", "/api/v1/search?q=osprey", "/api/v1/search?q=gamma+internal"):
        response = client.get(url, headers=headers)
        assert response.status_code == (401 if who == "anonymous" else 200)
        for title in hidden:
            assert title.encode() not in response.content, (who, url, title)
    if who != "anonymous":
        found = client.get("/api/v1/search?q=osprey&kind=article", headers=headers).json()
        assert found["counts"]["article"] == len(READS[who])
