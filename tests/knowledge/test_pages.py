"""The knowledge pages (F3, F4, T12): write → review → publish in the console, read, vote
and comment in the portal, a draft from a case in one step."""

from __future__ import annotations

import pytest
from django.test import Client

from casedesk.knowledge.models import Article, ArticleRevision, SolvedCase
from casedesk.knowledge.services import component_create

from .conftest import publish

pytestmark = pytest.mark.django_db


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def _form(world, **over):
    data = {
        "title": "Calls drop at 30 seconds",
        "body": "## Cause\n\nThe SIP session timer.\n\n<script>alert(1)</script>",
        "kind": "break_fix",
        "visibility": "customers",
        "language": "en",
        "product": world.catalogue["product"].pk,
        "versions": [world.catalogue["version"].pk],
        "tags": "sip, timers",
        "section": "",
        "note": "",
    }
    data.update(over)
    return data


def test_engineer_writes_another_reviews_and_publishes(world):
    author, reviewer = _login(world.engineer), _login(world.manager)
    response = author.post("/console/kb/new/", _form(world))
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.state == "draft" and article.tags_text == "sip timers"
    assert "<script>" not in article.body_html and "&lt;script&gt;" in article.body_html
    edit = _form(world, title="Calls drop after 30 seconds", version=article.version, note="typo")
    assert author.post(f"/console/kb/{article.pk}/edit/", edit).status_code == 302
    assert ArticleRevision.objects.filter(article=article).count() == 2
    article.refresh_from_db()
    act = {"action": "submit", "version": article.version}
    assert author.post(f"/console/kb/{article.pk}/act/", act).status_code == 302
    article.refresh_from_db()
    # Four eyes: the author cannot publish their own article.
    own = author.post(
        f"/console/kb/{article.pk}/act/", {"action": "publish", "version": article.version}
    )
    assert own.status_code == 422 and b"cannot review their own" in own.content
    ok = reviewer.post(
        f"/console/kb/{article.pk}/act/", {"action": "publish", "version": article.version}
    )
    assert ok.status_code == 302
    article.refresh_from_db()
    assert (article.state, article.reviewer, article.last_reviewed_on) == (
        "published",
        world.manager,
        world.now.date(),
    ) or article.last_reviewed_on is not None
    # Published text is frozen until withdrawn.
    frozen = author.post(f"/console/kb/{article.pk}/edit/", _form(world, version=article.version))
    assert frozen.status_code == 422
    page = _login(world.alice).get(f"/kb/{article.pk}/")
    assert page.status_code == 200 and b"Calls drop after 30 seconds" in page.content


def test_stale_edit_is_refused_with_the_text_kept(world):
    client = _login(world.engineer)
    client.post("/console/kb/new/", _form(world))
    article = Article.objects.get()
    response = client.post(
        f"/console/kb/{article.pk}/edit/", _form(world, version=99, title="Kept")
    )
    assert response.status_code == 409 and b"Kept" in response.content


def test_contact_votes_once_and_comments(world):
    article = publish(world, "Pacing", "Body")
    alice = _login(world.alice)
    for answer in ("yes", "yes", "no"):
        assert alice.post(f"/kb/{article.pk}/vote/", {"helpful": answer}).status_code == 302
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    assert alice.post(f"/kb/{article.pk}/vote/", {"helpful": "maybe"}).status_code == 400
    assert alice.post(f"/kb/{article.pk}/comment/", {"body": "<b>Thanks</b>"}).status_code == 302
    page = alice.get(f"/kb/{article.pk}/")
    assert b"&lt;b&gt;Thanks&lt;/b&gt;" in page.content
    assert alice.post(f"/kb/{article.pk}/comment/", {"body": ""}).status_code == 400


def test_a_case_becomes_a_draft_in_one_step_and_each_shows_the_other(world):
    engineer = _login(world.engineer)
    case = world.alice_case
    response = engineer.post(f"/console/cases/{case.number}/article/")
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.title == case.subject and article.visibility == "internal"
    assert SolvedCase.objects.filter(article=article, case=case).exists()
    assert article.title.encode() in engineer.get(f"/console/cases/{case.number}/").content
    assert case.number.encode() in engineer.get(f"/console/kb/{article.pk}/").content


def test_selfhelp_tree_by_component_and_section(world):
    component = component_create(
        actor=world.engineer, product_id=world.catalogue["product"].pk, name="Campaign engine"
    )
    common = {"kind": "self_help", "component_id": component.pk, "visibility": "public"}
    publish(world, "Campaign will not start", "x", section="problem", **common)
    publish(world, "Collect the engine log", "x", section="collect", **common)
    publish(
        world,
        "Internal tracing",
        "x",
        section="troubleshoot",
        **{**common, "visibility": "internal"},
    )
    page = Client().get(f"/self-help/{world.catalogue['product'].pk}/")
    body = page.content.decode()
    assert "Campaign engine" in body and "Common problems" in body and "What to collect" in body
    assert "Campaign will not start" in body and "Internal tracing" not in body
    assert body.index("Common problems") < body.index("What to collect")


def test_search_pages_show_highlighted_results(world):
    publish(world, "Dialer pacing", "The dialer paces calls.")
    page = _login(world.alice).get("/search/", {"q": "dialer"})
    assert page.status_code == 200 and b"<mark>" in page.content
    assert world.alice_case.number.encode() in page.content
    console = _login(world.engineer).get("/console/search/", {"q": "Globex"})
    assert world.gina_case.number.encode() in console.content
    assert (
        _login(world.alice).get("/search/", {"q": "x", "kind": "bogus", "page": "-1"}).status_code
        == 200
    )


def test_the_draft_takes_the_proposed_solution_not_the_last_chatter(world):
    from casedesk.cases import services as case_services
    from casedesk.knowledge.services import article_from_case

    case = world.alice_case
    case_services.case_transition(
        case=case,
        actor=world.engineer,
        action="propose_solution",
        to="replied",
        reason="Raise the pacing ratio to 1.2 in the campaign settings.",
        now=world.now,
    )
    case_services.case_add_update(case=case, actor=world.engineer, body="Any news?", now=world.now)
    article = article_from_case(actor=world.engineer, case=case, now=world.now)
    assert "Raise the pacing ratio" in article.body and "Any news" not in article.body
