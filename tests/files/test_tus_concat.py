"""tus concatenation: a file sent as parts at once and joined by a final upload (D1, D3;
security rules 3 and 9; issue 17 item 6). Protocol behaviour through Django's test client;
tus-js-client's ``parallelUploads`` against a live server is in test_tus_js.py."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine

from casedesk.files.models import Attachment, Concat, Upload, UploadState
from casedesk.files.storage import get_storage
from casedesk.files.uploads import concat as concat_module
from casedesk.scheduling.services import worker_tick
from tests.files.test_tus import TUS, Tus, b64, path_of

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes
PIECES = [DATA[:4000], DATA[4000:8000], DATA[8000:]]


def partial(tus: Tus, case_number: str, data: bytes, *, send: bool = True, **extra) -> str:
    created = tus.create(case_number, len(data), HTTP_UPLOAD_CONCAT="partial", **extra)
    url = path_of(created)
    if send and data:
        assert tus.patch(url, 0, data).status_code == 204
    return url


def final(tus: Tus, case_number: str, urls, *, filename="capture.pcap", sha256=None, **extra):
    meta = f"case {b64(case_number)},filename {b64(filename)},filetype {b64('app/pcap')}"
    if sha256:
        meta += f",sha256 {b64(sha256)}"
    headers = {**TUS, **tus.auth, "HTTP_UPLOAD_METADATA": meta}
    headers["HTTP_UPLOAD_CONCAT"] = "final;" + " ".join(urls)
    headers.update(extra)
    return tus.client.generic("POST", "/uploads/", b"", **headers)


def sent_in_parts(tus: Tus, world, pieces=PIECES) -> list[str]:
    return [partial(tus, world.alice_case.number, piece) for piece in pieces]


def test_parts_are_never_attached_and_the_final_is_the_whole_file(client, world):
    # R: D1, D3 — partials are not attachments; the final is one attachment with the
    # whole file's SHA-256, its parts' rows and bytes gone.
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    assert not Attachment.objects.exists()
    head = tus.head(urls[1])
    assert head.status_code == 200 and head["Upload-Concat"] == "partial"
    assert head["Upload-Offset"] == head["Upload-Length"] == str(len(PIECES[1]))
    parts = list(Upload.objects.filter(concat=Concat.PARTIAL))
    # Absolute and relative part URLs are both accepted (tus-js-client sends absolute).
    response = final(tus, world.alice_case.number, ["http://testserver" + urls[0], *urls[1:]])
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.filename == "capture.pcap" and attachment.size == len(DATA)
    assert attachment.sha256 == hashlib.sha256(DATA).hexdigest()
    assert get_storage().open_read(attachment.storage_key).read() == DATA
    assert response["Upload-Attachment"] == str(attachment.pk)
    assert response["Upload-Offset"] == response["Upload-Length"] == str(len(DATA))
    url = path_of(response)
    head = tus.head(url)
    assert head["Upload-Offset"] == str(len(DATA))
    assert head["Upload-Concat"] == "final;" + " ".join(f"http://testserver{u}" for u in urls)
    assert not Upload.objects.filter(concat=Concat.PARTIAL).exists()
    for part in parts:
        assert not get_storage().exists(part.partial_key)
    assert tus.patch(url, len(DATA), b"x").status_code == 403


def test_the_final_is_hashed_once_from_the_join(client, world, monkeypatch):
    # R: D3 — no re-read of the joined file: the SHA-256 comes from the one joining pass.
    from casedesk.files.uploads import finishing

    def no_rehash(*args):
        raise AssertionError("the joined file was hashed twice")

    monkeypatch.setattr(finishing, "_rehash", no_rehash)
    tus = Tus(client, world.alice, world.now)
    response = final(tus, world.alice_case.number, sent_in_parts(tus, world))
    assert response.status_code == 201, response.content
    assert Attachment.objects.get().sha256 == hashlib.sha256(DATA).hexdigest()


def test_order_of_the_final_decides_the_file(client, world):
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    assert final(tus, world.alice_case.number, urls[::-1]).status_code == 201
    joined = b"".join(PIECES[::-1])
    assert Attachment.objects.get().sha256 == hashlib.sha256(joined).hexdigest()


def test_announced_sha256_that_differs_attaches_nothing_and_drops_the_parts(client, world):
    # R: D3, security rule 9 — the whole file is verified against the announced digest.
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    wrong = hashlib.sha256(b"another file").hexdigest()
    response = final(tus, world.alice_case.number, urls, sha256=wrong)
    assert response.status_code == 422
    assert hashlib.sha256(DATA).hexdigest() in response.content.decode()
    assert not Attachment.objects.exists() and not Upload.objects.exists()
    assert not any(get_storage().root.joinpath("partial").iterdir())
    right = hashlib.sha256(DATA).hexdigest()
    urls = sent_in_parts(tus, world)
    assert final(tus, world.alice_case.number, urls, sha256=right).status_code == 201


def test_final_refuses_parts_of_another_user_unknown_ones_and_another_case(client, world):
    # R: A4, security rules 3 and 9 — a part is bound to its creator and its case; bob
    # (who sees alice's case) cannot join her parts, and cannot tell them from missing.
    alice = Tus(client, world.alice, world.now)
    bob = Tus(client, world.bob, world.now)
    urls = sent_in_parts(alice, world)
    stolen = final(bob, world.alice_case.number, urls)
    unknown = final(bob, world.alice_case.number, ["/uploads/" + "x" * 32])
    assert stolen.status_code == unknown.status_code == 400
    first_id = urls[0].split("/")[-1].encode()
    assert stolen.content.replace(first_id, b"ID") == unknown.content.replace(b"x" * 32, b"ID")
    other_case = world.open_case(world.alice, subject="Second case")
    elsewhere = final(alice, other_case.number, urls)
    assert elsewhere.status_code == 400
    assert b"another case" in elsewhere.content
    assert final(alice, world.alice_case.number, urls + urls[:1]).status_code == 400
    whole = path_of(alice.create(world.alice_case.number, 2))
    not_a_part = final(alice, world.alice_case.number, [urls[0], whole])
    assert not_a_part.status_code == 400 and b"not a partial upload" in not_a_part.content
    assert final(alice, world.alice_case.number, ["/somewhere/else"]).status_code == 400
    assert not Attachment.objects.exists()
    assert Upload.objects.filter(concat=Concat.PARTIAL, final__isnull=True).count() == 3
    assert final(alice, world.alice_case.number, urls).status_code == 201


def test_unfinished_part_is_refused_until_it_is_finished(client, world):
    # R: D1 — this server joins finished parts only (no concatenation-unfinished).
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world, PIECES[:2])
    last = partial(tus, world.alice_case.number, PIECES[2], send=False)
    response = final(tus, world.alice_case.number, [*urls, last])
    assert response.status_code == 400 and b"not finished" in response.content
    assert tus.patch(last, 0, PIECES[2]).status_code == 204
    assert final(tus, world.alice_case.number, [*urls, last]).status_code == 201


def test_a_part_joins_one_file_only(client, world):
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    assert final(tus, world.alice_case.number, urls).status_code == 201
    again = final(tus, world.alice_case.number, urls)
    assert again.status_code == 400  # the parts are gone once joined
    assert Attachment.objects.count() == 1


def test_part_taken_by_a_racing_final_is_409(client, world):
    # R: security rule 9 — the claim of the parts is one conditional UPDATE.
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    ids = [url.rsplit("/", 1)[1] for url in urls]
    other = Upload.objects.create(
        id="o" * 20,
        case=world.alice_case,
        user=world.alice,
        source="cli",
        filename="x",
        length=0,
        created_at=world.now,
        expires_at=world.now + dt.timedelta(hours=1),
        concat=Concat.FINAL,
        state=UploadState.COMPLETED,
    )
    Upload.objects.filter(pk=ids[1]).update(final=other)
    response = final(tus, world.alice_case.number, urls)
    assert response.status_code == 409
    assert not Upload.objects.filter(concat=Concat.FINAL).exclude(pk=other.pk).exists()
    assert Upload.objects.filter(pk__in=ids, final__isnull=True).count() == 2


def test_final_takes_no_length_and_no_body_and_parts_name_their_case(client, world):
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    with_length = final(tus, world.alice_case.number, urls, HTTP_UPLOAD_LENGTH="5")
    assert with_length.status_code == 400 and b"Upload-Length" in with_length.content
    bad = tus.create(world.alice_case.number, 5, HTTP_UPLOAD_CONCAT="merge")
    assert bad.status_code == 400
    headers = {**TUS, **tus.auth, "HTTP_UPLOAD_LENGTH": "4", "HTTP_UPLOAD_CONCAT": "partial"}
    headers["HTTP_UPLOAD_METADATA"] = f"filename {b64('a')}"
    no_case = client.generic("POST", "/uploads/", b"", **headers)
    assert no_case.status_code == 400 and b"case" in no_case.content
    assert Upload.objects.filter(concat=Concat.PARTIAL).count() == 3


def test_part_of_a_case_the_user_cannot_see_is_404(client, world):
    # R: A4, security rule 3
    tus = Tus(client, world.gina, world.now)
    hidden = tus.create(world.alice_case.number, 4, HTTP_UPLOAD_CONCAT="partial")
    assert hidden.status_code == 404
    assert not Upload.objects.exists()


def test_termination_of_a_finished_part(client, world):
    # R: D1 — a client that gives up may delete finished parts no final has taken.
    tus = Tus(client, world.alice, world.now)
    url = sent_in_parts(tus, world, PIECES[:1])[0]
    part = Upload.objects.get()
    assert tus.delete(url).status_code == 204
    assert not Upload.objects.exists() and not get_storage().exists(part.partial_key)


def test_orphaned_parts_expire_and_their_bytes_go(client, world):
    # R: D1 — tus expiration covers finished parts no final ever joined.
    tus = Tus(client, world.alice, world.now)
    with time_machine.travel(world.now, tick=False):
        urls = sent_in_parts(tus, world, PIECES[:2])
    parts = list(Upload.objects.all())
    soon = world.now + dt.timedelta(hours=23)
    with time_machine.travel(soon, tick=False):
        worker_tick(worker="test", now=soon)
    assert all(get_storage().exists(p.partial_key) for p in parts)
    later = world.now + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        response = final(tus, world.alice_case.number, urls)
        assert response.status_code == 410
        worker_tick(worker="test", now=later)
    assert set(Upload.objects.values_list("state", flat=True)) == {UploadState.EXPIRED}
    assert not any(get_storage().exists(p.partial_key) for p in parts)
    assert not Attachment.objects.exists()


def test_join_that_died_is_finished_by_the_deadline(client, world, monkeypatch):
    # R: D1, D3 — a server killed while joining: the final stays finishing under a lapsing
    # claim; the expiry deadline joins again from the parts and attaches exactly once.
    tus = Tus(client, world.alice, world.now)
    urls = sent_in_parts(tus, world)
    real_join = concat_module._join

    def die_half_way(final_upload, parts, token):
        with get_storage().open_append(parts[0].partial_key) as out:
            out.write(PIECES[1][:100])  # half-joined bytes left behind
        raise KeyboardInterrupt  # stands in for SIGKILL: nothing below runs

    monkeypatch.setattr(concat_module, "_join", die_half_way)
    with pytest.raises(KeyboardInterrupt):
        final(tus, world.alice_case.number, urls)
    monkeypatch.setattr(concat_module, "_join", real_join)
    final_upload = Upload.objects.get(concat=Concat.FINAL)
    assert final_upload.state == UploadState.FINISHING
    assert tus.head(path_of_final(final_upload))["Upload-Length"] == str(len(DATA))
    assert "Upload-Offset" not in tus.head(path_of_final(final_upload))
    later = final_upload.locked_until + dt.timedelta(seconds=2)
    with time_machine.travel(later, tick=False):
        worker_tick(worker="test", now=later)
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(DATA).hexdigest()
    assert get_storage().open_read(attachment.storage_key).read() == DATA
    final_upload.refresh_from_db()
    assert final_upload.state == UploadState.COMPLETED
    assert not Upload.objects.filter(concat=Concat.PARTIAL).exists()


def path_of_final(upload: Upload) -> str:
    return f"/uploads/{upload.pk}"


def test_whole_uploads_are_unchanged_by_concatenation(client, world):
    # R: D1 — an upload without Upload-Concat still attaches on its last byte, with its
    # running hash, and says nothing about concatenation in HEAD.
    tus = Tus(client, world.alice, world.now)
    url = path_of(tus.create(world.alice_case.number, len(DATA)))
    assert tus.patch(url, 0, DATA).status_code == 204
    assert Attachment.objects.get().sha256 == hashlib.sha256(DATA).hexdigest()
    assert "Upload-Concat" not in tus.head(url)
