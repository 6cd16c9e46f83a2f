"""Resource-centre entries in the one search (F1, F6): releases, documents and downloads,
found by their text, scoped by the products the reader's contracts cover — never a count,
title or snippet of another organisation's products (security rule 3) — with snippets that
carry no markup but our own."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from casedesk.resources.models import Document, DocumentKind
from casedesk.search.selectors import search


def _keys(results):
    return [h.key for h in results.hits if h.kind == "resource"]


@pytest.fixture
def guide(world, res):
    return Document.objects.create(
        product=res.fax,
        kind=DocumentKind.INSTALLATION,
        title="Fax Server installation guide",
        body="Install the <script>alert(1)</script> modem driver, then **restart** the spooler.",
    )


def test_entries_are_found_by_their_text(world, res, guide):
    # R: F1, F6 — release notes, document text, download file names.
    assert _keys(search(world.alice, "pacing", kinds=["resource"])) == [
        f"release-{res.dialer_release.pk}"
    ]
    assert _keys(search(world.alice, "spooler", kinds=["resource"])) == [f"document-{guide.pk}"]
    found = search(world.alice, "fax", kinds=["resource"])
    assert f"download-{res.fax_file.pk}" in _keys(found)
    assert f"document-{guide.pk}" in _keys(found)


def test_other_organisations_products_never_show_not_even_as_a_count(world, res, guide):
    # Globex's contract does not cover the Fax Server: nothing of it, in any form.
    for q in ("fax", "spooler", "modem driver"):
        results = search(world.gina, q)
        assert results.counts["resource"] == 0
        assert "Fax" not in str([(h.title, h.snippet) for h in results.hits])
    # Both organisations are covered for the dialer.
    assert _keys(search(world.gina, "pacing", kinds=["resource"])) == [
        f"release-{res.dialer_release.pk}"
    ]
    # Anonymous readers get no resource centre; staff get all of it.
    assert "resource" not in search(AnonymousUser(), "fax").counts
    staff = search(world.engineer, "fax", kinds=["resource"])
    assert {f"download-{res.fax_file.pk}", f"document-{guide.pk}"} <= set(_keys(staff))


def test_product_filter_narrows_within_the_scope(world, res, guide):
    assert (
        search(world.alice, "fax", product_id=world.catalogue["product"].pk).counts["resource"] == 0
    )
    # Filtering on a product the reader is not covered for finds nothing either.
    assert search(world.gina, "spooler", product_id=res.fax.pk).counts["resource"] == 0
    assert _keys(search(world.alice, "spooler", product_id=res.fax.pk)) == [f"document-{guide.pk}"]


def test_snippets_escape_hostile_text(world, res, guide):
    [hit] = search(world.alice, "modem", kinds=["resource"]).hits
    assert "<mark>modem</mark>" in hit.snippet
    assert "<script" not in hit.snippet and "<script" not in hit.title
    assert "<" not in re.sub(r"</?mark>", "", hit.snippet + hit.title)
    # A hostile query is plain words.
    for q in ['" OR 1=1 --', "fax:*", "<script>", "'; DROP TABLE resources_release; --"]:
        for h in search(world.alice, q).hits:
            assert "<script" not in h.snippet


def test_pages_link_each_hit_to_its_place(world, res, guide):
    portal = Client()
    portal.force_login(world.alice)
    page = portal.get("/search/", {"q": "fax", "kind": "resource"}).content.decode()
    assert f'href="/resources/{res.fax.pk}/#download-{res.fax_file.pk}"' in page
    assert (
        f'id="download-{res.fax_file.pk}"'
        in portal.get(f"/resources/{res.fax.pk}/").content.decode()
    )
    console = Client()
    console.force_login(world.engineer)
    page = console.get("/console/search/", {"q": "spooler"}).content.decode()
    assert f"/admin/resources/document/{guide.pk}/change/" in page
