"""The Files panel on both case pages (D1, D3, D4; security rule 5)."""

from __future__ import annotations

import io

import pytest

from casedesk.cases import services as case_services
from casedesk.files.models import Source
from casedesk.files.services import attachment_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def attached(world):
    return attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="<img src=x onerror=alert(1)>.log",
        stream=io.BytesIO(b"hello"),
        source=Source.BROWSER,
        now=world.now,
    )


@pytest.mark.parametrize(
    ("who", "url"), [("alice", "/cases/{}/"), ("engineer", "/console/cases/{}/")]
)
def test_both_case_pages_list_files_and_offer_the_upload_client(client, world, attached, who, url):
    # R: D1, D3 — SHA-256, size, uploader and date for every file; engineers attach too.
    client.force_login(getattr(world, who))
    response = client.get(url.format(world.alice_case.number))
    html = response.content.decode()
    assert attached.sha256 in html
    assert f"/files/{attached.pk}/download/" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.log" in html and "<img src=x" not in html
    assert world.alice.full_name in html and "5 bytes" in html
    assert 'type="file"' in html and "multiple" in html
    assert 'for="case-files-input"' in html and 'aria-live="polite"' in html
    assert "/static/casedesk/js/uploads.js" in html
    assert 'data-upload-url="/uploads/"' in html and "data-csrf=" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script under the CSP


def test_closed_case_lists_files_but_offers_no_upload(client, world, attached):
    # R: D1
    case_services.case_transition(
        case=world.alice_case,
        actor=world.alice,
        action="close",
        to="resolved",
        close_reason="solution_accepted",
        reason="Solved",
        now=world.now,
    )
    client.force_login(world.alice)
    html = client.get(f"/cases/{world.alice_case.number}/").content.decode()
    assert attached.sha256 in html
    assert 'type="file"' not in html and "cannot take new files" in html


def test_the_upload_script_is_served_from_our_origin(client):
    response = client.get("/static/casedesk/js/uploads.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Upload-Checksum" in body and "crypto.subtle.digest" in body
    assert "http://" not in body and "https://" not in body


def test_many_files_cost_one_query(client, world, django_assert_num_queries):
    # R: D3 — the list is one query whatever the number of files (uploader joined).
    client.force_login(world.alice)
    url = f"/cases/{world.alice_case.number}/"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(15):
        attachment_store(
            case=world.alice_case,
            actor=world.bob if i % 2 else world.alice,
            filename=f"f{i}.log",
            stream=io.BytesIO(b"x"),
            source=Source.BROWSER,
            now=world.now,
        )
    with django_assert_num_queries(len(before.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("data-sha256") == 15
