"""One search (F6): the same answers on SQLite (FTS5) and PostgreSQL (tsvector), scoped by
the same rules as everything else, with snippets that cannot carry markup."""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from casedesk.cases.models import EventKind
from casedesk.search.query import parse
from casedesk.search.selectors import highlight, search, suggest

from .conftest import publish


def _keys(results, kind):
    return [h.key for h in results.hits if h.kind == kind]


def test_articles_found_by_title_and_body_ranked_title_first(world, kb):
    # R: F6 — ranked; a title match outranks a body-only match.
    results = search(world.alice, "dialer", kinds=["article"])
    keys = _keys(results, "article")
    assert set(keys) == {str(kb["public"].pk), str(kb["customers"].pk)}
    assert keys[0] == str(kb["public"].pk)
    assert results.counts["article"] == 2


def test_stemming_finds_other_forms_of_a_word(world, kb):
    assert _keys(search(world.alice, "stopping", kinds=["article"]), "article") == [
        str(kb["public"].pk)
    ]


def test_internal_articles_never_reach_contacts_not_even_as_a_count(world, kb):
    # R: F6, security rule 3 — not in results, counts or snippets.
    for user in (world.alice, world.gina, AnonymousUser()):
        results = search(user, "licence workaround")
        assert results.counts.get("article") == 0
        assert "licence" not in str([h.snippet for h in results.hits])
    staff = search(world.engineer, "licence workaround", kinds=["article"])
    assert _keys(staff, "article") == [str(kb["internal"].pk)]


def test_anonymous_readers_see_public_articles_only_and_no_cases(world, kb):
    results = search(AnonymousUser(), "dialer")
    assert _keys(results, "article") == [str(kb["public"].pk)]
    assert "case" not in results.counts


def test_spanish_articles_are_found_in_spanish(world, kb):
    results = search(world.alice, "marcador", kinds=["article"])
    assert _keys(results, "article") == [str(kb["spanish"].pk)]


def test_cases_found_by_description_and_by_replies_within_scope(world):
    # R: F6 — subject, description, updates and replies; A3 scope.
    from casedesk.cases import services

    services.case_add_update(
        case=world.carol_case,
        actor=world.carol,
        body="The gateway firmware zebrafish reboots nightly",
        now=world.now,
    )
    assert _keys(search(world.bob, "zebrafish"), "case") == [world.carol_case.number]
    assert search(world.alice, "zebrafish").counts["case"] == 0
    results = search(world.alice, "dialer stops", kinds=["case"])
    assert _keys(results, "case") == [world.alice_case.number]
    # bob sees his colleagues' cases; gina's organisation never shows up for Acme.
    bob = search(world.bob, "garbled", kinds=["case"])
    assert _keys(bob, "case") == [world.carol_case.number]
    assert search(world.alice, "garbled", kinds=["case"]).counts["case"] == 0
    assert search(world.alice, "Globex IVR", kinds=["case"]).counts["case"] == 0
    assert _keys(search(world.engineer, "Globex IVR", kinds=["case"]), "case") == [
        world.gina_case.number
    ]


def test_internal_notes_are_searchable_by_staff_only(world):
    from casedesk.cases.models import CaseEvent

    CaseEvent.objects.create(
        case=world.alice_case,
        at=world.now,
        actor=world.engineer,
        kind=EventKind.NOTE,
        public=False,
        body="Customer's PBX is misconfigured quokka",
    )
    CaseEvent.objects.create(
        case=world.alice_case,
        at=world.now,
        actor=world.engineer,
        kind=EventKind.REPLY,
        public=True,
        body="Please send the wombat trace",
    )
    assert search(world.alice, "quokka", kinds=["case"]).counts["case"] == 0
    assert _keys(search(world.engineer, "quokka"), "case") == [world.alice_case.number]
    hit = search(world.alice, "wombat", kinds=["case"]).hits[0]
    assert hit.key == world.alice_case.number
    assert "<mark>wombat</mark>" in hit.snippet


def test_query_grammar_phrase_or_and_exclusion(world, kb):
    def keys(q):
        return set(_keys(search(world.engineer, q, kinds=["article"]), "article"))

    ids = {k: str(a.pk) for k, a in kb.items()}
    assert keys('"restart the campaign"') == {ids["public"]}
    assert keys('"campaign restart"') == set()
    assert keys("pacing or licence") == {ids["customers"], ids["internal"]}
    assert keys("dialer -pacing") == {ids["public"], ids["internal"]}
    assert keys("-dialer") == set()  # nothing positive to look for


def test_hostile_terms_are_plain_text(world, kb):
    for q in [
        '"',
        '" OR 1=1 --',
        "NEAR(dialer)",
        "dial*",
        "title:dialer",
        "a AND (",
        "\\",
        "<script>",
        "'; DROP TABLE knowledge_article; --",
        "dialer:*",
        "!dialer & x",
    ]:
        results = search(world.engineer, q)
        assert all("<script" not in h.snippet for h in results.hits)
    # Punctuation separates words: "campaign:pacing" is the two words.
    assert _keys(search(world.engineer, "campaign:pacing", kinds=["article"]), "article") == [
        str(kb["customers"].pk)
    ]


def test_snippets_escape_html_and_markdown_in_bodies(world):
    article = publish(
        world,
        "Hostile <img src=x onerror=alert(1)> title",
        "Text <script>alert('x')</script> and [link](javascript:alert(1)) near the "
        "flamingo word <b onmouseover=1>bold</b>.",
        visibility="public",
    )
    hit = search(world.alice, "flamingo", kinds=["article"]).hits[0]
    assert hit.key == str(article.pk)
    assert "<mark>flamingo</mark>" in hit.snippet
    for dangerous in ("<script", "<img", "<b ", "onerror=alert(1)>"):
        assert dangerous not in hit.snippet and dangerous not in hit.title
    # Only our own <mark> is markup (PostgreSQL drops tags from headlines, FTS5 escapes them).
    assert "<" not in re.sub(r"</?mark>", "", hit.snippet + hit.title)


def test_highlight_keeps_only_its_own_markers():
    assert highlight("a \x02b<i>\x03 c") == "a <mark>b&lt;i&gt;</mark> c"
    assert highlight("\x03x\x02y") == "x<mark>y</mark>"
    assert highlight("\x02a\x02b\x03\x03c\x02") == "<mark>ab</mark>c<mark></mark>"
    assert highlight("plain & <b>") == "plain &amp; &lt;b&gt;"


@given(st.text(alphabet=st.sampled_from("ab<&\"'\x02\x03"), max_size=40))
def test_highlight_is_the_escaped_text_with_balanced_marks(raw):
    """F6, security rule 3: whatever the engine returns, the text is escaped and the only
    markup is <mark>, opened and closed in turn."""
    out = str(highlight(raw))
    assert re.sub(r"</?mark>", "", out) == escape(raw.replace("\x02", "").replace("\x03", ""))
    tags = re.findall(r"</?mark>", out)
    assert tags == ["<mark>", "</mark>"] * (len(tags) // 2)
    if "\x02" not in raw:
        assert tags == []


def test_filters_by_kind_and_product(world, kb):
    other = publish(
        world,
        "Voicemail greeting dialer note",
        "Greeting files",
        visibility="public",
        product=world.catalogue["other_product"],
    )
    results = search(world.alice, "dialer", product_id=world.catalogue["other_product"].pk)
    assert _keys(results, "article") == [str(other.pk)]
    assert results.counts["case"] == 0


def test_suggestions_match_prefixes_and_respect_visibility(world, kb):
    keys = [h.key for h in suggest(world.alice, "dial")]
    assert str(kb["public"].pk) in keys and str(kb["internal"].pk) not in keys
    assert next(h.key for h in suggest(world.alice, "camp pac")) == str(kb["customers"].pk)


def test_unpublished_articles_are_not_searchable(world):
    from casedesk.knowledge.services import ArticleDraft, article_create

    article_create(
        actor=world.engineer,
        draft=ArticleDraft(title="Draft about pelicans", body="x"),
        now=world.now,
    )
    assert search(world.engineer, "pelicans").total == 0


def test_parse_produces_only_safe_terms():
    q = parse('err-code "a b" or c -d x:*')
    assert q.websearch() == 'err code "a b" or c -d x'
    assert q.fts5() == '("err" AND "code" AND ("a b" OR "c") AND "x") NOT "d"'
