"""Downloads and the attachment list: pages and API (D3, D4; security rules 3 and 5)."""

from __future__ import annotations

import hashlib
import io

import pytest

from casedesk.accounts.services import api_token_create
from casedesk.files.models import Source
from casedesk.files.services import attachment_store, attachments_purge

pytestmark = pytest.mark.django_db


def attach(world, case, name="trace.pcap", data=b"<svg onload=alert(1)>"):
    return attachment_store(
        case=case,
        actor=case.contact,
        filename=name,
        stream=io.BytesIO(data),
        source=Source.BROWSER,
        now=world.now,
        content_type="image/svg+xml",
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_is_always_an_opaque_attachment(client, world):
    # R: D3, security rule 5 — an SVG never renders: attachment, octet-stream, nosniff.
    att = attach(world, world.alice_case, name="diagram.svg")
    client.force_login(world.alice)
    response = client.get(f"/files/{att.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"diagram.svg\"; filename*=UTF-8''diagram.svg"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body(response) == b"<svg onload=alert(1)>"


def test_non_ascii_names_use_rfc_6266_filename_star(client, world):
    # R: security rule 5 — RFC 6266 / 5987 encoding, with an ASCII fallback.
    att = attach(world, world.alice_case, name='Protokoll "März" 100%.txt')
    client.force_login(world.alice)
    disposition = client.get(f"/files/{att.pk}/download/")["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Protokoll _M_rz_ 100_.txt"; '
        "filename*=UTF-8''Protokoll%20%22M%C3%A4rz%22%20100%25.txt"
    )


def test_purged_file_answers_410_with_the_reason(client, world):
    # R: D4, C7
    att = attach(world, world.alice_case)
    attachments_purge(case=world.alice_case, now=world.now, reason="30 days after closure")
    client.force_login(world.alice)
    response = client.get(f"/files/{att.pk}/download/")
    assert response.status_code == 410 and b"purged" in response.content
    token = api_token_create(user=world.alice, name="t", now=world.now)
    api = client.get(f"/api/v1/attachments/{att.pk}/download", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 410 and "purged" in api.json()["detail"]


def test_api_lists_and_downloads_attachments(client, world):
    # R: D3 — name, size, SHA-256, uploader and date of every file; download by id.
    data = b"x" * 5000
    att = attach(world, world.alice_case, data=data)
    token = api_token_create(user=world.bob, name="t", now=world.now)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = client.get(f"/api/v1/cases/{world.alice_case.number}/attachments", **auth).json()
    assert listed == [
        {
            "id": att.pk,
            "filename": "trace.pcap",
            "size": 5000,
            "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": "image/svg+xml",
            "source": "browser",
            "uploaded_by": world.alice.full_name,
            "created_at": listed[0]["created_at"],
            "purged_at": None,
            "download_url": f"/api/v1/attachments/{att.pk}/download",
        }
    ]
    response = client.get(listed[0]["download_url"], **auth)
    assert response.status_code == 200 and body(response) == data
    assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("bad", ["0", "99999999999999999999999", "-1"])
def test_absurd_ids_are_404_not_500(client, world, bad):
    client.force_login(world.alice)
    assert client.get(f"/files/{bad}/download/").status_code == 404
    token = api_token_create(user=world.alice, name="t", now=world.now)
    response = client.get(
        f"/api/v1/attachments/{bad}/download", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code in (404, 422)
