"""Attachments served from a separate origin through signed URLs (issue 15 item 9; rule 5).

With ``CASEDESK_FILES_ORIGIN`` set, a download checks access on the app origin, then
redirects to a short-lived signed URL on the files origin, which needs no session cookie
and serves only there; without it, the bytes come as before.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from casedesk.accounts.services import api_token_create

from .test_downloads import attach, body

pytestmark = pytest.mark.django_db

ORIGIN = "https://files.casedesk-usercontent.example"
FILES_HOST = "files.casedesk-usercontent.example"


@pytest.fixture
def files_origin(settings):
    settings.FILES_ORIGIN = ORIGIN
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, FILES_HOST]
    return ORIGIN


def _signed_path(response) -> str:
    assert response.status_code == 302, response.content
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == ORIGIN
    assert target.path.startswith("/files/signed/")
    return target.path


def test_page_download_redirects_to_a_signed_url_served_without_a_session(
    client, world, files_origin
):
    # R: issue 15 item 9 — the bytes never come from the session's origin.
    att = attach(world, world.alice_case, name="diagram.svg")
    client.force_login(world.alice)
    redirect = client.get(f"/files/{att.pk}/download/")
    path = _signed_path(redirect)
    assert redirect["Cache-Control"] == "private, no-store"
    # A browser on the files origin has no cookie for it: a fresh client, no session.
    served = Client().get(path, HTTP_HOST=FILES_HOST, secure=True)
    assert served.status_code == 200
    assert body(served) == b"<svg onload=alert(1)>"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert "Set-Cookie" not in served and not served.cookies
    # The same signed path on the app origin serves nothing.
    assert client.get(path).status_code == 404


def test_access_is_checked_before_signing(client, world, files_origin):
    # R: issue 15 item 9, rule 3 — another organisation's file is 404, no URL is signed.
    att = attach(world, world.gina_case)
    client.force_login(world.alice)
    assert client.get(f"/files/{att.pk}/download/").status_code == 404
    assert Client().get(f"/files/{att.pk}/download/").status_code == 302  # to sign in
    assert "/login" in Client().get(f"/files/{att.pk}/download/")["Location"]


def test_the_api_download_redirects_the_same_way(client, world, files_origin):
    att = attach(world, world.alice_case)
    token = api_token_create(user=world.alice, name="t", now=world.now)
    redirect = client.get(
        f"/api/v1/attachments/{att.pk}/download", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    served = Client().get(_signed_path(redirect), HTTP_HOST=FILES_HOST, secure=True)
    assert body(served) == b"<svg onload=alert(1)>"


def test_signed_urls_expire_and_cannot_be_forged(client, world, files_origin):
    # R: issue 15 item 9 — about five minutes, bound to the attachment id.
    att = attach(world, world.alice_case)
    other = attach(world, world.alice_case, name="other.txt", data=b"other")
    client.force_login(world.alice)
    path = _signed_path(client.get(f"/files/{att.pk}/download/"))
    token = path.split("/")[3]
    files = Client(HTTP_HOST=FILES_HOST)
    assert (
        files.get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code
        == 404
    )
    forged = token.replace(str(att.pk), str(other.pk), 1)
    assert forged == token or files.get(f"/files/signed/{forged}/").status_code == 404
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=6)):
        expired = files.get(path)
    assert expired.status_code == 410 and b"expired" in expired.content


def test_without_a_files_origin_downloads_stay_in_place(client, world):
    # R: issue 15 item 9 — the default: today's headers, and no signed route at all.
    att = attach(world, world.alice_case)
    client.force_login(world.alice)
    served = client.get(f"/files/{att.pk}/download/")
    assert served.status_code == 200 and "sandbox" in served["Content-Security-Policy"]
    assert client.get("/files/signed/anything/").status_code == 404
