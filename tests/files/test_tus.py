"""The tus 1.0.0 server at /uploads/ (D1, D3; security rules 3, 9).

Protocol behaviour through Django's test client; the live-server tests (real tus clients,
broken connections) are in test_tus_live.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
import time_machine

from casedesk.accounts.services import api_token_create
from casedesk.cases import services as case_services
from casedesk.files.models import Attachment, Source, Upload, UploadState
from casedesk.files.storage import get_storage
from casedesk.files.uploads import UPLOAD_EXPIRE, upload_claim
from casedesk.scheduling.models import Deadline

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def meta(case_number: str, filename: str = "server.log", filetype: str = "text/plain") -> str:
    return f"case {b64(case_number)},filename {b64(filename)},filetype {b64(filetype)}"


def checksum(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


class Tus:
    """A minimal tus client over Django's test client, bearer-authenticated."""

    def __init__(self, client, user, now):
        self.client = client
        self.auth = {
            "HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t', now=now)}"
        }

    def create(self, case_number, length, filename="server.log", **extra):
        headers = {**TUS, **self.auth, "HTTP_UPLOAD_LENGTH": str(length)}
        headers["HTTP_UPLOAD_METADATA"] = meta(case_number, filename)
        headers.update(extra)
        return self.client.generic("POST", "/uploads/", b"", **headers)

    def patch(self, url, offset, data, *, algorithm="sha256", **extra):
        headers = {**TUS, **self.auth, "HTTP_UPLOAD_OFFSET": str(offset)}
        if algorithm:
            headers["HTTP_UPLOAD_CHECKSUM"] = checksum(data, algorithm)
        headers.update(extra)
        return self.client.generic("PATCH", url, data=data, content_type=OFFSET_TYPE, **headers)

    def head(self, url, **extra):
        return self.client.head(url, **{**TUS, **self.auth, **extra})

    def delete(self, url, **extra):
        return self.client.delete(url, **{**TUS, **self.auth, **extra})


def path_of(response) -> str:
    assert response.status_code == 201, response.content
    return "/" + response["Location"].split("/", 3)[3]


def test_options_advertises_version_extensions_and_checksums(client):
    # R: D1 — tus discovery; no Tus-Max-Size because there is no size limit.
    response = client.options("/uploads/")
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
        "concatenation",
    }
    assert set(response["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "sha256"}
    assert "Tus-Max-Size" not in response


def test_upload_in_chunks_becomes_an_attachment_with_its_sha256(client, world):
    # R: D1, D3 — chunked, checksummed, whole-file SHA-256 recorded; bearer → source cli.
    tus = Tus(client, world.alice, world.now)
    data = bytes(range(256)) * 5000  # 1.28 MB
    created = tus.create(world.alice_case.number, len(data), filename="trace ü.pcap")
    url = path_of(created)
    assert created["Tus-Resumable"] == "1.0.0"
    assert created["Upload-Offset"] == "0"
    assert "GMT" in created["Upload-Expires"]
    offset = 0
    for size in (300_000, 700_000, len(data) - 1_000_000):
        response = tus.patch(url, offset, data[offset : offset + size])
        assert response.status_code == 204, response.content
        offset += size
        assert response["Upload-Offset"] == str(offset)
        assert response["Tus-Resumable"] == "1.0.0"
        if offset < len(data):
            assert "GMT" in response["Upload-Expires"]
    att = Attachment.objects.get()
    assert att.case == world.alice_case and att.uploaded_by == world.alice
    assert att.sha256 == hashlib.sha256(data).hexdigest() and att.size == len(data)
    assert att.filename == "trace ü.pcap" and att.source == Source.CLI
    assert response["Upload-Attachment"] == str(att.pk)
    assert get_storage().open_read(att.storage_key).read() == data
    assert not get_storage().exists(Upload.objects.get().partial_key)
    head = tus.head(url)
    assert head.status_code == 200 and head["Upload-Offset"] == str(len(data))


def test_head_reports_offset_length_metadata_and_no_store(client, world):
    # R: D1 — resume point after a broken connection.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 10))
    tus.patch(url, 0, b"abcd")
    head = tus.head(url)
    assert head.status_code == 200
    assert head["Upload-Offset"] == "4" and head["Upload-Length"] == "10"
    assert "no-store" in head["Cache-Control"].split(", ")
    assert b64(world.alice_case.number) in head["Upload-Metadata"]


def test_creation_with_upload_takes_the_first_chunk(client, world):
    # R: D1
    tus = Tus(client, world.alice, world.now)
    response = client.post(
        "/uploads/",
        data=b"hello",
        content_type=OFFSET_TYPE,
        HTTP_UPLOAD_LENGTH="5",
        HTTP_UPLOAD_METADATA=meta(world.alice_case.number, "hello.txt"),
        HTTP_UPLOAD_CHECKSUM=checksum(b"hello", "sha1"),
        **TUS,
        **tus.auth,
    )
    assert response.status_code == 201 and response["Upload-Offset"] == "5"
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"hello").hexdigest()


def test_empty_file_is_attached_at_creation(client, world):
    tus = Tus(client, world.alice, world.now)
    assert path_of(tus.create(world.alice_case.number, 0, filename="empty.txt"))
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"").hexdigest()


def test_checksum_mismatch_answers_460_and_discards_the_chunk(client, world):
    # R: D1 (integrity-checked), security rule 9
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    assert tus.patch(url, 0, b"good").status_code == 204
    bad = tus.patch(url, 4, b"evil", HTTP_UPLOAD_CHECKSUM=checksum(b"nice"))
    assert bad.status_code == 460 and b"checksum" in bad.content
    upload = Upload.objects.get()
    assert upload.offset == 4 and get_storage().size(upload.partial_key) == 4
    assert tus.head(url)["Upload-Offset"] == "4"
    assert tus.patch(url, 4, b"more", algorithm="sha1").status_code == 204
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"goodmore").hexdigest()


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("md5 " + base64.b64encode(b"x" * 16).decode(), b"Unsupported checksum algorithm"),
        ("sha256 not-base64!", b"Upload-Checksum must be '<algorithm> <base64 digest>'."),
        ("sha256 " + b64("short"), b"That is not a sha256 digest."),
    ],
)
def test_unusable_checksum_header_is_a_400(client, world, header, why):
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 4))
    refused = tus.patch(url, 0, b"data", HTTP_UPLOAD_CHECKSUM=header)
    assert refused.status_code == 400 and refused.content.startswith(why)
    assert Upload.objects.get().offset == 0


def test_offset_mismatch_is_409_and_changes_nothing(client, world):
    # R: D1
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    response = tus.patch(url, 2, b"34xx")
    assert response.status_code == 409 and response["Upload-Offset"] == "4"
    assert Upload.objects.get().offset == 4


def test_a_stale_request_cannot_rewind_what_another_one_wrote(client, world):
    # R: security rule 9 — the offset is re-read under the claim, not trusted from the load.
    import io

    from casedesk.files.uploads import OffsetMoved, upload_write

    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    stale = Upload.objects.get()  # loaded by a request that then waited
    assert tus.patch(url, 0, b"1234").status_code == 204
    with pytest.raises(OffsetMoved, match="does not match the upload's offset 4") as refused:
        upload_write(
            upload=stale, offset=0, stream=io.BytesIO(b"abcd"), size=4, checksum=None, now=world.now
        )
    assert refused.value.offset == 4
    fresh = Upload.objects.get()
    assert fresh.offset == 4 and fresh.locked_until is None
    assert get_storage().open_read(fresh.partial_key).read() == b"1234"


def test_chunk_past_the_length_is_refused(client, world):
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 3))
    refused = tus.patch(url, 0, b"1234")
    assert refused.status_code == 413
    assert (
        refused.content
        == b"This chunk runs past the upload's length (3 bytes): 4 bytes at offset 0.\n"
    )
    assert Upload.objects.get().offset == 0


def test_version_mismatch_is_412(client, world):
    # R: D1 — tus version negotiation.
    tus = Tus(client, world.alice, world.now)
    for headers in ({}, {"HTTP_TUS_RESUMABLE": "0.2.2"}):
        response = client.generic(
            "POST",
            "/uploads/",
            b"",
            HTTP_UPLOAD_LENGTH="1",
            HTTP_UPLOAD_METADATA=meta(world.alice_case.number),
            **tus.auth,
            **headers,
        )
        assert response.status_code == 412 and response["Tus-Version"] == "1.0.0"
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_UPLOAD_LENGTH": "-1"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "１２"}, 400),
        ({}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_DEFER_LENGTH": "1"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "case !!!"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": f"filename {b64('a')}"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": f"case {b64('CS-1')}"}, 400),
    ],
)
def test_bad_creation_requests_are_4xx(client, world, headers, status):
    tus = Tus(client, world.alice, world.now)
    response = client.generic("POST", "/uploads/", b"", **TUS, **tus.auth, **headers)
    assert response.status_code == status, response.content
    assert response.content.strip()
    assert not Upload.objects.exists()


def test_upload_is_bound_to_its_creator(client, world):
    # R: A4, security rules 3 and 9 — bob sees alice's case, yet not her upload.
    alice = Tus(client, world.alice, world.now)
    url = path_of(alice.create(world.alice_case.number, 8))
    alice.patch(url, 0, b"1234")
    for other in (world.bob, world.gina, world.engineer, world.carol):
        tus = Tus(client, other, world.now)
        assert tus.head(url).status_code == 404
        assert tus.patch(url, 4, b"5678").status_code == 404
        assert tus.delete(url).status_code == 404
    assert Upload.objects.get().offset == 4
    missing = Tus(client, world.bob, world.now).head("/uploads/" + "x" * 32)
    assert missing.status_code == 404


def test_case_the_user_cannot_see_is_404_like_a_missing_one(client, world):
    # R: A4, security rule 3
    pairs = [(world.alice, world.carol_case), (world.gina, world.alice_case)]
    for user, case in pairs:
        tus = Tus(client, user, world.now)
        hidden = tus.create(case.number, 4)
        missing = tus.create("CS-999999", 4)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
    assert not Upload.objects.exists()


def test_colleague_with_visibility_and_engineer_may_upload(client, world):
    # R: A3, D3 — bob sees carol's case; engineers attach files too.
    assert path_of(Tus(client, world.bob, world.now).create(world.carol_case.number, 1))
    client.force_login(world.engineer)
    token = client.get(f"/console/cases/{world.gina_case.number}/").context["csrf_token"]
    response = client.generic(
        "POST",
        "/uploads/",
        b"",
        HTTP_UPLOAD_LENGTH="2",
        HTTP_UPLOAD_METADATA=meta(world.gina_case.number, "fix.patch"),
        HTTP_X_CSRFTOKEN=str(token),
        **TUS,
    )
    url = path_of(response)
    patched = client.generic(
        "PATCH",
        url,
        data=b"ok",
        content_type=OFFSET_TYPE,
        HTTP_UPLOAD_OFFSET="0",
        HTTP_X_CSRFTOKEN=str(token),
        **TUS,
    )
    assert patched.status_code == 204
    att = Attachment.objects.get(case=world.gina_case)
    assert att.source == Source.ENGINEER and att.uploaded_by == world.engineer


def test_session_needs_csrf_and_anonymous_needs_to_sign_in(world):
    # R: A4 — session callers present the CSRF token like a form does.
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    anonymous = client.generic(
        "POST",
        "/uploads/",
        b"",
        HTTP_UPLOAD_LENGTH="1",
        HTTP_UPLOAD_METADATA=meta(world.alice_case.number),
        **TUS,
    )
    assert anonymous.status_code == 401
    client.force_login(world.alice)
    no_csrf = client.generic(
        "POST",
        "/uploads/",
        b"",
        HTTP_UPLOAD_LENGTH="1",
        HTTP_UPLOAD_METADATA=meta(world.alice_case.number),
        **TUS,
    )
    assert no_csrf.status_code == 403 and b"CSRF" in no_csrf.content
    bad_token = client.generic(
        "POST",
        "/uploads/",
        b"",
        HTTP_UPLOAD_LENGTH="1",
        HTTP_UPLOAD_METADATA=meta(world.alice_case.number),
        HTTP_AUTHORIZATION="Bearer nope",
        **TUS,
    )
    assert bad_token.status_code == 401
    assert not Upload.objects.exists()


def _close(world, case, actor):
    case_services.case_transition(
        case=case,
        actor=actor,
        action="close",
        to="resolved",
        close_reason="solution_accepted",
        reason="Solved",
        now=world.now,
    )


def test_closed_case_refuses_creation_and_further_chunks(client, world):
    # R: D1 — files go to any case that is not closed.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    _close(world, world.alice_case, world.alice)
    refused = tus.patch(url, 4, b"5678")
    assert refused.status_code == 403 and b"closed" in refused.content
    assert Upload.objects.get().offset == 4
    again = tus.create(world.alice_case.number, 8)
    assert again.status_code == 403 and b"closed" in again.content
    assert not Attachment.objects.exists()


def test_case_closed_before_the_last_byte_attaches_nothing(client, world, monkeypatch):
    # R: D1 — the check is repeated under the case lock when the attachment is recorded.
    from casedesk.files.uploads import writing

    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 4))
    monkeypatch.setattr(writing, "upload_check_usable", lambda upload, now: None)
    _close(world, world.alice_case, world.alice)
    response = tus.patch(url, 0, b"1234")
    assert response.status_code == 403 and b"closed" in response.content
    assert not Attachment.objects.exists() and not Upload.objects.exists()
    root = get_storage().root
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_termination_removes_the_bytes(client, world):
    # R: D1 — tus termination.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    key = Upload.objects.get().partial_key
    assert tus.delete(url).status_code == 204
    assert not get_storage().exists(key)
    assert tus.head(url).status_code == 404
    assert tus.patch(url, 4, b"5678").status_code == 404


def test_parallel_patch_is_locked_out(client, world):
    # R: security rule 9 — a second PATCH while one holds the claim gets 423.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    upload = Upload.objects.get()
    upload_claim(upload=upload, now=world.now)
    with time_machine.travel(world.now, tick=False):
        busy = tus.patch(url, 0, b"1234")
        assert busy.status_code == 423 and busy["Retry-After"]
        assert tus.delete(url).status_code == 423
    # A claim left by a killed server lapses after its lease.
    with time_machine.travel(world.now + dt.timedelta(seconds=31), tick=False):
        assert tus.patch(url, 0, b"1234").status_code == 204


def test_bytes_a_killed_request_left_behind_are_cut_back(client, world):
    # R: D1 — resumable after a server crash mid-chunk: only accepted bytes count.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    with get_storage().open_append(Upload.objects.get().partial_key) as out:
        out.write(b"half-written junk")
    assert tus.head(url)["Upload-Offset"] == "4"
    assert tus.patch(url, 4, b"5678").status_code == 204
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"12345678").hexdigest()


def test_bytes_lost_in_a_power_failure_move_the_offset_back(client, world):
    # R: D1 — the server answers 409 with the offset it really has; the client resumes.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    get_storage().truncate(Upload.objects.get().partial_key, 2)
    response = tus.patch(url, 4, b"5678")
    assert response.status_code == 409 and response["Upload-Offset"] == "2"
    assert tus.head(url)["Upload-Offset"] == "2"
    assert tus.patch(url, 2, b"345678").status_code == 204
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"12345678").hexdigest()


def test_whole_file_hash_is_recomputed_when_chunks_came_through_another_process(client, world):
    # R: security rule 9 — no running hash here, so the stored bytes are read once.
    from casedesk.files.uploads import running

    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 8))
    tus.patch(url, 0, b"1234")
    running._RUNNING.clear()  # as if the first chunk had gone to another worker
    tus.patch(url, 4, b"5678")
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"12345678").hexdigest()


def test_expired_upload_answers_410_and_the_deadline_removes_its_bytes(client, world):
    # R: D1 — tus expiration; abandoned partial bytes do not stay forever.
    from casedesk.scheduling.services import worker_tick

    tus = Tus(client, world.alice, world.now)
    with time_machine.travel(world.now, tick=False):
        url = path_of(tus.create(world.alice_case.number, 8))
        tus.patch(url, 0, b"1234")
    upload = Upload.objects.get()
    deadline = Deadline.objects.get(kind=UPLOAD_EXPIRE)
    assert deadline.due_at == upload.created_at + dt.timedelta(hours=24)
    later = world.now + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        assert tus.head(url).status_code == 410
        assert tus.patch(url, 4, b"5678").status_code == 410
        worker_tick(worker="test", now=later)
    upload.refresh_from_db()
    assert upload.state == UploadState.EXPIRED
    assert not get_storage().exists(upload.partial_key)
    with time_machine.travel(later, tick=False):
        assert tus.head(url).status_code == 410


def test_expiry_slides_with_activity(client, world):
    # R: D1 — an upload that is still receiving chunks is not removed.
    from casedesk.scheduling.services import worker_tick

    tus = Tus(client, world.alice, world.now)
    with time_machine.travel(world.now, tick=False):
        url = path_of(tus.create(world.alice_case.number, 8))
    busy = world.now + dt.timedelta(hours=20)
    with time_machine.travel(busy, tick=False):
        assert tus.patch(url, 0, b"1234").status_code == 204
    first_due = world.now + dt.timedelta(hours=24, minutes=1)
    with time_machine.travel(first_due, tick=False):
        worker_tick(worker="test", now=first_due)
        assert tus.head(url).status_code == 200
    upload = Upload.objects.get()
    assert upload.state == UploadState.ACTIVE and get_storage().exists(upload.partial_key)
    assert Deadline.objects.filter(kind=UPLOAD_EXPIRE, state="pending").count() == 1


def test_method_override_and_unknown_methods(client, world):
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, 2))
    response = client.post(
        url,
        data=b"ok",
        content_type=OFFSET_TYPE,
        HTTP_X_HTTP_METHOD_OVERRIDE="PATCH",
        HTTP_UPLOAD_OFFSET="0",
        **TUS,
        **tus.auth,
    )
    assert response.status_code == 204
    assert client.get(url, **TUS, **tus.auth).status_code == 405
    assert client.get("/uploads/", **TUS, **tus.auth).status_code == 405
    wrong_type = tus.patch(url, 0, b"", CONTENT_TYPE="text/plain")
    assert wrong_type.status_code in (409, 415)


def test_form_bodies_are_refused_before_anything_parses_them(world):
    # R: D1 — a multipart body is never parsed (the CSRF check would spool it to disk).
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    response = client.post(
        "/uploads/",
        {"file": ("x" * 1000)},
        HTTP_UPLOAD_LENGTH="1",
        HTTP_UPLOAD_METADATA=meta(world.alice_case.number),
        **TUS,
    )
    assert response.status_code == 415
    assert not Upload.objects.exists()


def test_a_chunk_larger_than_djangos_body_limit_streams(client, world, settings):
    # R: D1 — no size limit: the body is never loaded through request.body, whose
    # DATA_UPLOAD_MAX_MEMORY_SIZE would refuse it.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    data = b"z" * (3 * 1024 * 1024 + 1)
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, len(data)))
    assert tus.patch(url, 0, data).status_code == 204
    assert Attachment.objects.get().sha256 == hashlib.sha256(data).hexdigest()
