"""The race between finishing an upload and a retried PATCH (D1, D3; security rule 9).

The last chunk's request re-hashes the whole file when earlier chunks went through
another worker process. A client that gave up waiting retries the last chunk; before the
fix that retry could take the lapsed claim and cut the file back while it was hashed and
moved, leaving a "verified" SHA-256 that did not match the bytes. These tests run the
competing requests inside the re-hash (a wrapped ``finishing._rehash``), so the
interleaving is the same on every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import types

import pytest
import time_machine

from casedesk.core import clock
from casedesk.files import uploads
from casedesk.files.models import Attachment, Upload, UploadState
from casedesk.files.storage import get_storage
from casedesk.files.uploads import finishing, running
from casedesk.scheduling.services import worker_tick
from tests.files.test_tus import Tus, path_of

pytestmark = pytest.mark.django_db

FIRST, LAST = b"A" * 4096, b"B" * 4096
WHOLE = FIRST + LAST


def _upload_up_to_the_last_chunk(tus: Tus, world) -> str:
    url = path_of(tus.create(world.alice_case.number, len(WHOLE)))
    assert tus.patch(url, 0, FIRST).status_code == 204
    running._RUNNING.clear()  # the first chunk went through another worker: re-hash
    return url


def _during_rehash(monkeypatch, action) -> None:
    real = finishing._rehash

    def rehash(key, upload, token):
        action()
        return real(key, upload, token)

    monkeypatch.setattr(finishing, "_rehash", rehash)


def _assert_attached_once(upload: Upload) -> Attachment:
    upload.refresh_from_db()
    assert upload.state == UploadState.COMPLETED
    assert not upload.lock_token and upload.locked_until is None
    attachment = Attachment.objects.get()
    assert upload.attachment_id == attachment.pk
    assert attachment.sha256 == hashlib.sha256(WHOLE).hexdigest()
    assert attachment.size == len(WHOLE)
    assert get_storage().open_read(attachment.storage_key).read() == WHOLE
    assert not get_storage().exists(upload.partial_key)
    return attachment


def test_retried_patch_during_finish_rehash_is_refused(client, world, monkeypatch):
    # R: D1, D3, security rule 9 — the retry comes after the old 30 s lease would have
    # lapsed; it is refused 423 (so is DELETE), HEAD says every byte is in, and exactly
    # one attachment with the true SHA-256 is recorded.
    tus = Tus(client, world.alice, world.now)
    url = _upload_up_to_the_last_chunk(tus, world)
    seen = {}

    def retry_the_last_chunk():
        with time_machine.travel(clock.now() + dt.timedelta(seconds=31), tick=False):
            seen["patch"] = tus.patch(url, len(FIRST), LAST)
            seen["stale_patch"] = tus.patch(url, len(FIRST), b"C" * 4096)
            seen["delete"] = tus.delete(url)
            seen["head"] = tus.head(url)
        assert get_storage().size(Upload.objects.get().partial_key) == len(WHOLE)

    _during_rehash(monkeypatch, retry_the_last_chunk)
    response = tus.patch(url, len(FIRST), LAST)
    assert response.status_code == 204, response.content
    for name in ("patch", "stale_patch", "delete"):
        assert seen[name].status_code == 423, (name, seen[name].content)
        assert seen[name]["Retry-After"]
    assert b"being attached" in seen["patch"].content
    assert seen["head"].status_code == 200
    assert seen["head"]["Upload-Offset"] == str(len(WHOLE))
    assert "Upload-Attachment" not in seen["head"]
    attachment = _assert_attached_once(Upload.objects.get())
    assert response["Upload-Attachment"] == str(attachment.pk)
    # A retry after completion is told so and attaches nothing more.
    assert tus.patch(url, len(FIRST), LAST).status_code == 409
    assert Attachment.objects.count() == 1


def test_finish_rehash_renews_the_claim_as_it_reads(client, world, monkeypatch, settings):
    # R: security rule 9 — a re-hash longer than the lease keeps renewing the claim.
    settings.UPLOAD_LOCK_SECONDS = 3
    tus = Tus(client, world.alice, world.now)
    url = _upload_up_to_the_last_chunk(tus, world)
    ticks = iter(range(0, 10_000, 2))  # every read looks two seconds later than the last
    monkeypatch.setattr(finishing, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
    monkeypatch.setattr(finishing, "BLOCK", 1024)
    renewals = []
    real_renew = finishing._renew
    real_rehash = finishing._rehash
    hashing = {"on": False}

    def renew(upload, token):
        if hashing["on"]:
            renewals.append(token)
        return real_renew(upload, token)

    def rehash(key, upload, token):
        hashing["on"] = True
        try:
            return real_rehash(key, upload, token)
        finally:
            hashing["on"] = False

    monkeypatch.setattr(finishing, "_renew", renew)
    monkeypatch.setattr(finishing, "_rehash", rehash)
    assert tus.patch(url, len(FIRST), LAST).status_code == 204
    assert len(renewals) >= len(WHOLE) // 1024 - 1 and len(set(renewals)) == 1
    _assert_attached_once(Upload.objects.get())


def test_finisher_that_lost_its_claim_moves_and_attaches_nothing(client, world, monkeypatch):
    # R: security rule 9 — the token is checked before the file moves; the deadline that
    # took over finishes the upload once, with the true SHA-256.
    tus = Tus(client, world.alice, world.now)
    url = _upload_up_to_the_last_chunk(tus, world)

    def another_finisher_takes_over():
        Upload.objects.update(
            lock_token="f" * 32, locked_until=clock.now() - dt.timedelta(seconds=1)
        )

    _during_rehash(monkeypatch, another_finisher_takes_over)
    response = tus.patch(url, len(FIRST), LAST)
    assert response.status_code == 423 and response["Retry-After"]
    upload = Upload.objects.get()
    assert upload.state == UploadState.FINISHING and not Attachment.objects.exists()
    assert get_storage().size(upload.partial_key) == len(WHOLE)
    assert not get_storage().exists(upload.storage_key)
    monkeypatch.undo()
    outcome = uploads.upload_expire(upload_id=upload.pk, now=clock.now())
    assert outcome.startswith("finished")
    _assert_attached_once(upload)
    assert uploads.upload_expire(upload_id=upload.pk, now=clock.now()).startswith("skipped")


@pytest.mark.parametrize("moved", [False, True], ids=["before-move", "after-move"])
def test_crash_while_finishing_is_recovered_by_the_deadline(client, world, monkeypatch, moved):
    # R: D1, security rule 9 — a finisher killed mid-way leaves "finishing" with a lapsing
    # claim; PATCH/DELETE stay refused, and the deadline due when the claim lapses
    # finishes from the partial or the already-moved file.
    tus = Tus(client, world.alice, world.now)
    url = _upload_up_to_the_last_chunk(tus, world)

    def killed():
        raise RuntimeError("worker killed")

    _during_rehash(monkeypatch, killed)
    with pytest.raises(RuntimeError):
        tus.patch(url, len(FIRST), LAST)
    monkeypatch.undo()
    upload = Upload.objects.get()
    assert upload.state == UploadState.FINISHING and upload.storage_key
    # A killed process does not release its claim: it lapses after the lease.
    started = clock.now()
    Upload.objects.update(lock_token="d" * 32, locked_until=started + dt.timedelta(seconds=30))
    if moved:
        get_storage().move(upload.partial_key, upload.storage_key)
    busy = tus.patch(url, len(FIRST), LAST)
    assert busy.status_code == 423 and busy["Retry-After"]
    assert tus.delete(url).status_code == 423
    assert tus.head(url)["Upload-Offset"] == str(len(WHOLE))
    worker_tick(worker="test", now=started)  # the claim has not lapsed yet: nothing happens
    assert not Attachment.objects.exists()
    later = started + dt.timedelta(seconds=40)
    with time_machine.travel(later, tick=False):
        worker_tick(worker="test", now=later)
    attachment = _assert_attached_once(upload)
    with time_machine.travel(later, tick=False):
        head = tus.head(url)
    assert head["Upload-Attachment"] == str(attachment.pk)
