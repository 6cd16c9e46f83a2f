"""Uploads verify the whole file and fit the machine (issue 15 items 7 and 8; D1, rule 9)."""

from __future__ import annotations

import hashlib
import http.client
import shutil
from urllib.parse import urlsplit

import pytest

from casedesk.accounts.services import api_token_create
from casedesk.files.models import Attachment, Upload

from .test_tus import TUS, Tus, b64, path_of
from .test_tus_live import make_file

MiB = 1024 * 1024


def _tuspy(live_server, user, now, source, case, **metadata):
    from tusclient import client as tus_client

    token = api_token_create(user=user, name="tuspy", now=now)
    client = tus_client.TusClient(
        live_server.url + "/uploads/", headers={"Authorization": f"Bearer {token}"}
    )
    return client.uploader(
        str(source),
        chunk_size=256 * 1024,
        metadata={"case": case.number, "filename": source.name, **metadata},
        upload_checksum=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_flipped_bit_against_the_announced_sha256_is_refused(live_server, world, tmp_path):
    # R: issue 15 item 7, rule 9 — the client announces the file's SHA-256; the bytes that
    # arrive have one bit flipped (each chunk's own checksum still matches what was sent).
    from tusclient.exceptions import TusCommunicationError

    source = tmp_path / "trace.pcap"
    announced = make_file(source, MiB + 5)
    data = bytearray(source.read_bytes())
    data[700_000] ^= 0x04
    source.write_bytes(bytes(data))
    uploader = _tuspy(
        live_server, world.alice, world.now, source, world.alice_case, sha256=announced
    )
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 422
    body = refused.value.response_content.decode()
    assert announced in body and hashlib.sha256(data).hexdigest() in body
    assert "not attached" in body
    assert not Attachment.objects.exists()
    assert not Upload.objects.exists()
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]  # bytes removed


@pytest.mark.django_db(transaction=True)
def test_the_announced_sha256_of_the_right_bytes_is_attached(live_server, world, tmp_path):
    # R: issue 15 item 7 — the same client with the right digest (any case of hex digits).
    source = tmp_path / "trace.pcap"
    announced = make_file(source, MiB + 5)
    uploader = _tuspy(
        live_server, world.alice, world.now, source, world.alice_case, sha256=announced.upper()
    )
    uploader.upload()
    assert Attachment.objects.get().sha256 == announced


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", "z" * 64, "0" * 63])
def test_a_malformed_announced_sha256_is_a_400(client, world, value):
    tus = Tus(client, world.alice, world.now)
    refused = tus.create(
        world.alice_case.number, 10, HTTP_UPLOAD_METADATA=_meta(world, sha256=value)
    )
    assert refused.status_code == 400 and b"sha256" in refused.content
    assert not Upload.objects.exists()


def _meta(world, **extra: str) -> str:
    pairs = {"case": world.alice_case.number, "filename": "x.bin", **extra}
    return ",".join(f"{k} {b64(v)}" for k, v in pairs.items())


@pytest.mark.django_db(transaction=True)
def test_an_upload_larger_than_the_disk_is_refused_at_creation(live_server, world):
    # R: issue 15 item 8, D1 — before, Upload-Length: 10^18 was accepted.
    token = api_token_create(user=world.alice, name="raw", now=world.now)
    conn = http.client.HTTPConnection(urlsplit(live_server.url).netloc, timeout=30)
    conn.request(
        "POST",
        "/uploads/",
        headers={
            "Tus-Resumable": "1.0.0",
            "Authorization": f"Bearer {token}",
            "Upload-Length": str(10**18),
            "Upload-Metadata": _meta(world),
            "Content-Length": "0",
        },
    )
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 413, body
    assert "no room for this file" in body and response.getheader("Tus-Resumable") == "1.0.0"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_the_reserve_and_unfinished_uploads_count_against_free_space(
    client, world, settings, small_volume
):
    # R: issue 15 item 8 — a real 2 MiB volume: what unfinished uploads will still write
    # and the configured reserve are not free.
    settings.FILES_RESERVE_BYTES = 256 * 1024
    tus = Tus(client, world.alice, world.now)
    assert tus.create(world.alice_case.number, 3 * MiB).status_code == 413
    first = tus.create(world.alice_case.number, MiB)
    assert first.status_code == 201
    refused = tus.create(world.alice_case.number, MiB)
    assert refused.status_code == 413 and b"no room" in refused.content
    assert tus.delete(path_of(first)).status_code == 204  # given up: its room is free again
    assert tus.create(world.alice_case.number, MiB).status_code == 201


@pytest.mark.django_db
def test_an_operator_maximum_is_advertised_and_enforced(client, world, settings):
    # R: issue 15 item 8 — Tus-Max-Size only when an operator sets one (D1: none by default).
    assert "Tus-Max-Size" not in client.options("/uploads/", **TUS)
    settings.UPLOAD_MAX_BYTES = 5000
    assert client.options("/uploads/", **TUS)["Tus-Max-Size"] == "5000"
    tus = Tus(client, world.alice, world.now)
    assert tus.create(world.alice_case.number, 5000).status_code == 201
    refused = tus.create(world.alice_case.number, 5001)
    assert refused.status_code == 413 and b"5000 bytes" in refused.content


@pytest.mark.django_db
def test_a_case_quota_counts_attachments_and_unfinished_uploads(client, world, settings):
    # R: issue 15 item 8 — the optional per-case quota; another case has its own.
    settings.CASE_QUOTA_BYTES = 10_000
    tus = Tus(client, world.alice, world.now)
    done = path_of(tus.create(world.alice_case.number, 4000))
    assert tus.patch(done, 0, b"a" * 4000).status_code == 204
    assert Attachment.objects.filter(case=world.alice_case).count() == 1
    assert tus.create(world.alice_case.number, 5000).status_code == 201  # unfinished
    refused = tus.create(world.alice_case.number, 1001)
    assert refused.status_code == 413 and b"quota" in refused.content
    assert tus.create(world.alice_case.number, 1000).status_code == 201
    bob = Tus(client, world.bob, world.now)
    assert bob.create(world.carol_case.number, 9000).status_code == 201


def test_free_space_is_read_from_the_files_volume(settings, tmp_path):
    from casedesk.files.storage import get_storage

    settings.FILES_ROOT = tmp_path / "not-yet" / "files"
    assert abs(get_storage().free_bytes() - shutil.disk_usage(tmp_path).free) < 64 * MiB


@pytest.mark.django_db(transaction=True)
def test_casedesk_upload_announces_the_files_sha256(live_server, world, tmp_path):
    # R: issue 15 item 7 — `casedesk upload` sends the digest with the creation request.
    import os

    from .test_tus_live import cli

    source = tmp_path / "dump.bin"
    expected = make_file(source, 300_000)
    token = api_token_create(user=world.alice, name="cli", now=world.now)
    env = {**os.environ, "CASEDESK_TOKEN": token, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = cli(["--case", world.alice_case.number, "--url", live_server.url, str(source)], env)
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert Upload.objects.get().sha256 == expected == Attachment.objects.get().sha256
