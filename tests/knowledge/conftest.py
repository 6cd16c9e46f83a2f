"""Knowledge fixtures: the factories' world plus a few published articles of each visibility."""

from __future__ import annotations

import pytest

from casedesk.knowledge.models import ArticleKind
from casedesk.knowledge.services import ArticleDraft, article_act, article_create
from casedesk.policy.articles import ArticleAction


def publish(
    world,
    title,
    body,
    *,
    visibility="customers",
    kind=ArticleKind.BREAK_FIX,
    language="en",
    product=None,
    author=None,
    **extra,
):
    """An article written by the engineer and published by the manager (four eyes)."""
    author = author or world.engineer
    draft = ArticleDraft(
        title=title,
        body=body,
        kind=kind,
        visibility=visibility,
        language=language,
        product_id=(product or world.catalogue["product"]).pk,
        **extra,
    )
    article = article_create(actor=author, draft=draft, now=world.now)
    article = article_act(
        actor=author,
        article=article,
        action=ArticleAction.SUBMIT,
        version=article.version,
        now=world.now,
    )
    reviewer = world.manager if author != world.manager else world.engineer
    return article_act(
        actor=reviewer,
        article=article,
        action=ArticleAction.PUBLISH,
        version=article.version,
        now=world.now,
    )


@pytest.fixture
def kb(world):
    return {
        "public": publish(
            world,
            "Dialer stops after ten calls",
            "When the **dialer** stops dialling, restart the campaign service.",
            visibility="public",
        ),
        "customers": publish(
            world,
            "Campaign pacing explained",
            "Pacing decides how many calls the dialer places per agent.",
        ),
        "internal": publish(
            world,
            "Secret dialer licence workaround",
            "Internal only: patch the licence server to unblock the dialer.",
            visibility="internal",
        ),
        "spanish": publish(
            world,
            "El marcador no llama",
            "Reinicie el servicio de campañas del marcador.",
            language="es",
            visibility="public",
        ),
    }
