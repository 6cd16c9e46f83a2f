"""The demo's knowledge base (issue 12 item 10): believable, scoped, searchable."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.catalog.models import Product
from casedesk.demo.seed import seed_demo
from casedesk.knowledge.models import Article, Component, SolvedCase, Suggestion
from casedesk.knowledge.selectors import deflection_report, selfhelp_tree
from casedesk.search.selectors import search

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def test_demo_seeds_a_knowledge_base_every_role_can_try(django_user_model):
    assert seed_demo(now=NOW)
    articles = Article.objects.exclude(kind="self_help")
    assert articles.filter(state="published").count() >= 60
    assert articles.filter(visibility="internal").exists()
    assert {"es", "pt"} <= set(articles.values_list("language", flat=True))
    contact = django_user_model.objects.get(email="priya.shah@northwind-partners.example")
    for product in Product.objects.all():
        assert Component.objects.filter(product=product).count() == 2
        assert selfhelp_tree(contact, product.pk), product.name
    assert SolvedCase.objects.exists() and Suggestion.objects.exists()
    assert deflection_report(since=NOW - dt.timedelta(days=90))
    found = search(contact, "certificate", kinds=["article"])
    assert found.counts["article"] >= 10
    assert not Article.objects.filter(
        pk__in=[int(h.key) for h in found.hits], visibility="internal"
    )
    assert search(contact, "marcador OR certificado", kinds=["article"]).hits
    assert seed_demo(now=NOW) is False
