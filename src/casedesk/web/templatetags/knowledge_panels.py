"""``{% case_knowledge_panel %}``: the articles a case solved, and drafting one (F4)."""

from __future__ import annotations

from typing import Any

from django import template

from casedesk.knowledge.selectors import articles_for_case

register = template.Library()


@register.inclusion_tag("panels/knowledge.html", takes_context=True)
def case_knowledge_panel(context: template.Context) -> dict[str, Any]:
    case = context["case"]
    user = context["user"]
    support = bool(getattr(user, "is_support", False))
    return {
        "case": case,
        "articles": articles_for_case(user, case.pk),
        "support": support,
        "article_url": "console-kb-article" if support else "portal-kb-article",
        "csrf_token": context.get("csrf_token"),
    }
