"""Images and attachments in articles (F4): stored like case files, served only to those who
may read the article they belong to, referred to from bodies by sanitised Markdown
(security rules 3 and 5)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.knowledge import services
from casedesk.knowledge.markdown import render_html
from casedesk.knowledge.models import ArticleFile
from casedesk.knowledge.services import ArticleDraft, article_create, article_file_add

from .conftest import publish

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _add(world, article, name="diagram.png", data=PNG):
    return article_file_add(
        actor=world.engineer,
        article=article,
        filename=name,
        chunks=[data[:4], data[4:]],
        now=world.now,
    )


@pytest.fixture
def files(world):
    public = publish(world, "Public heron", "x", visibility="public")
    customers = publish(world, "Customers heron", "x")
    internal = publish(world, "Internal heron", "x", visibility="internal")
    draft = article_create(
        actor=world.engineer, draft=ArticleDraft(title="Draft heron", body="x"), now=world.now
    )
    return {
        name: _add(world, a)
        for name, a in (
            ("public", public),
            ("customers", customers),
            ("internal", internal),
            ("draft", draft),
        )
    }


READS = {
    "anonymous": {"public"},
    "alice": {"public", "customers"},
    "gina": {"public", "customers"},
    "engineer": {"public", "customers", "internal", "draft"},
}


@pytest.mark.parametrize("who", sorted(READS))
def test_files_follow_their_articles_visibility(world, files, who):
    # R: F4, security rule 3 — the file's own article decides, like a missing file otherwise.
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    missing = client.get("/knowledge/files/999999/diagram.png")
    assert missing.status_code == 404
    for name, row in files.items():
        response = client.get(row.path)
        if name in READS[who]:
            assert response.status_code == 200, (who, name)
            assert b"".join(response.streaming_content) == PNG
            assert response["Content-Type"] == "image/png"
            assert response["Content-Disposition"].startswith("inline;")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response["Content-Security-Policy"]
        else:
            assert response.status_code == 404, (who, name)
            assert response.content == missing.content


def test_stored_like_case_files_with_size_and_digest(world, files):
    import hashlib

    row = files["public"]
    assert row.size == len(PNG) and row.sha256 == hashlib.sha256(PNG).hexdigest()
    assert row.markdown == f"![diagram.png](/knowledge/files/{row.pk}/diagram.png)"


def test_non_images_and_svg_are_downloads_never_inline(world, files):
    article = files["public"].article
    svg = _add(world, article, "evil.svg", b"<svg onload=alert(1)></svg>")
    log = _add(world, article, "trace.log", b"line one")
    client = Client()
    for row in (svg, log):
        response = client.get(row.path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
    assert svg.markdown.startswith("[evil.svg](")  # a link, not an image


def test_only_support_staff_add_files_and_oversize_or_empty_ones_are_refused(
    world, files, monkeypatch
):
    article = files["public"].article
    with pytest.raises(NotPermitted):
        article_file_add(
            actor=world.alice, article=article, filename="x.png", chunks=[PNG], now=world.now
        )
    monkeypatch.setattr(services, "FILE_MAX_BYTES", 10)
    before = ArticleFile.objects.count()
    with pytest.raises(PolicyViolation):
        _add(world, article)
    with pytest.raises(PolicyViolation):
        article_file_add(
            actor=world.engineer, article=article, filename="e.png", chunks=[b""], now=world.now
        )
    assert ArticleFile.objects.count() == before
    # The console's upload route is for staff; contacts meet a 404 and nothing is stored.
    contact = Client()
    contact.force_login(world.alice)
    posted = contact.post(f"/console/kb/{article.pk}/files/", {"file": _upload()})
    assert posted.status_code == 404
    assert ArticleFile.objects.count() == before


def _upload(name="shot.png", data=PNG):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_console_upload_names_the_markdown_to_use(world, files):
    article = files["public"].article
    staff = Client()
    staff.force_login(world.engineer)
    response = staff.post(
        f"/console/kb/{article.pk}/files/", {"file": _upload("../../x.png")}, follow=True
    )
    row = ArticleFile.objects.latest("pk")
    assert row.filename == "x.png"  # no path from the browser survives
    assert row.markdown.encode() in response.content
    assert b"Images and attachments" in staff.get(f"/console/kb/{article.pk}/edit/").content


def test_hostile_image_references_are_dropped(world):
    good = "![d](/knowledge/files/12/d.png)"
    assert 'src="/knowledge/files/12/d.png"' in render_html(good)
    for hostile in [
        "![x](/knowledge/files/1/../../admin/)",
        "![x](/knowledge/files/1/%2e%2e/admin)",
        "![x](/knowledge/files/1/a.png?next=//evil)",
        "![x](https://evil.example/knowledge/files/1/a.png)",
        "![x](//evil.example/knowledge/files/1/a.png)",
        "![x](/knowledge/other/1.png)",
        "![x](javascript:alert(1))",
        '![x](/knowledge/files/1/a.png" onerror="alert(1))',
        '<img src="/knowledge/files/1/a.png" onerror="alert(1)">',
    ]:
        html = render_html(hostile)
        tags = re.findall(r"<[a-z]+[^>]*>", html)
        assert not [t for t in tags if re.search(r"\son[a-z]+=", t)], hostile
        assert not [t for t in tags if t.startswith("<img") and "src=" in t], hostile
        assert not re.search(r'href="(javascript|//)', html), hostile


def test_bodies_show_their_images_to_readers_of_the_article(world, files):
    row = files["public"]
    article = publish(world, "Heron with a picture", f"See:\n\n{row.markdown}", visibility="public")
    page = Client().get(f"/kb/{article.pk}/").content.decode()
    assert f'src="{row.path}"' in page  # anonymous readers of a public article see it
