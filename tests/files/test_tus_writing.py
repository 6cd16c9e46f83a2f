"""One tus PATCH at the service level: a client that goes away mid-chunk, and the
per-process running hash (D1, D3; security rule 9; issue 16's mutation gaps).

``upload_write`` is called directly with a request body that breaks the way Django's
does when the client disconnects (``UnreadablePostError``, an ``OSError``), and the
running-hash cache is given entries another request left behind. Every assertion reads
the real partial file and the database row.
"""

from __future__ import annotations

import hashlib

import pytest
from django.http import UnreadablePostError

from casedesk.files.models import Attachment, Source, Upload, UploadState
from casedesk.files.storage import get_storage
from casedesk.files.uploads import (
    Checksum,
    ChecksumMismatch,
    upload_create,
    upload_write,
)
from casedesk.files.uploads import running as running_hashes

pytestmark = pytest.mark.django_db


class BodyCutAfter:
    """A request body that yields ``data`` in reads of at most ``step`` bytes, then fails
    as Django's body does when the client disconnects mid-request."""

    def __init__(self, data: bytes, step: int = 1000) -> None:
        self.data, self.step, self.position, self.failures = data, step, 0, 0

    def read(self, size: int = -1, /) -> bytes:
        if self.position >= len(self.data):
            self.failures += 1
            raise UnreadablePostError("client disconnected")
        block = self.data[self.position : self.position + min(size, self.step)]
        self.position += len(block)
        return block


class Body:
    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def read(self, size: int = -1, /) -> bytes:
        block = self.data[self.position : self.position + size]
        self.position += len(block)
        return block


def new_upload(world, length: int) -> Upload:
    return upload_create(
        user=world.alice,
        case=world.alice_case,
        filename="trace.bin",
        content_type="",
        length=length,
        source=Source.CLI,
        now=world.now,
    )


def write(world, upload: Upload, offset: int, stream, size: int, data_for_checksum=None):
    checksum = None
    if data_for_checksum is not None:
        checksum = Checksum("sha256", hashlib.sha256(data_for_checksum).digest())
    return upload_write(
        upload=upload, offset=offset, stream=stream, size=size, checksum=checksum, now=world.now
    )


def on_disk(upload: Upload) -> bytes:
    with get_storage().open_read(upload.partial_key) as f:
        return f.read()


def assert_released_at(upload: Upload, offset: int) -> None:
    upload.refresh_from_db()
    assert (upload.offset, upload.state) == (offset, UploadState.ACTIVE)
    assert upload.locked_until is None and not upload.lock_token


def test_disconnect_mid_unchecksummed_chunk_keeps_exactly_what_arrived(world):
    # R: D1 (tus core) — an unchecksummed chunk cut short keeps the bytes that arrived,
    # nothing else: the failed read writes nothing and ends the chunk.
    upload = new_upload(world, 10_000)
    body = BodyCutAfter(b"a" * 2500)
    write(world, upload, 0, body, 6000)
    assert body.failures == 1  # the read failed once, and the chunk ended there
    assert_released_at(upload, 2500)
    assert on_disk(upload) == b"a" * 2500
    # The client resumes at the offset the server reports, and the file is whole.
    write(world, upload, 2500, Body(b"b" * 7500), 7500)
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"a" * 2500 + b"b" * 7500).hexdigest()


def test_disconnect_mid_checksummed_chunk_leaves_offset_and_file_as_they_were(world):
    # R: D3, security rule 9 — a checksummed chunk cut short cannot be verified: its
    # bytes are cut back and the offset stays where it was; nothing is attached.
    upload = new_upload(world, 10_000)
    write(world, upload, 0, Body(b"a" * 4000), 4000, data_for_checksum=b"a" * 4000)
    whole_chunk = b"b" * 6000
    body = BodyCutAfter(whole_chunk[:3000])
    result = write(world, upload, 4000, body, 6000, data_for_checksum=whole_chunk)
    assert result.offset == 4000 and body.failures == 1
    assert_released_at(upload, 4000)
    assert on_disk(upload) == b"a" * 4000
    assert not Attachment.objects.exists()


def test_disconnect_on_the_last_chunk_attaches_nothing(world):
    # R: D1 — the last chunk cut short, unchecksummed: what arrived is kept, but the
    # upload is not complete and nothing is attached.
    upload = new_upload(world, 5000)
    write(world, upload, 0, Body(b"a" * 1000), 1000)
    write(world, upload, 1000, BodyCutAfter(b"b" * 3999), 4000)
    assert_released_at(upload, 4999)
    assert on_disk(upload) == b"a" * 1000 + b"b" * 3999
    assert not Attachment.objects.exists()


def test_a_stale_running_hash_for_another_offset_is_not_reused(world):
    # R: D3, security rule 9 — the running hash this process kept for offset 4 covers
    # bytes another worker has since replaced (a retry after a 409); the last chunk at
    # offset 8 must re-read the file, not extend that hash.
    upload = new_upload(world, 12)
    write(world, upload, 0, Body(b"1234"), 4)
    assert running_hashes._RUNNING[upload.pk][0] == 4
    write(world, upload, 4, Body(b"5678"), 4)  # "another worker": this entry moves on
    # This process still remembers the hash at offset 4, wrongly advanced by junk.
    junk = hashlib.sha256(b"1234")
    junk.update(b"XXXX")
    running_hashes._RUNNING[upload.pk] = (4, junk)
    write(world, upload, 8, Body(b"9abc"), 4, data_for_checksum=b"9abc")
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"123456789abc").hexdigest()


def test_a_stale_running_hash_is_not_reused_for_a_restart_at_zero(world):
    # An upload whose bytes were lost back to offset 0 starts a fresh hash, whatever this
    # process remembered for a later offset.
    upload = new_upload(world, 4)
    remembered = hashlib.sha256(b"old bytes")
    running_hashes._RUNNING[upload.pk] = (9, remembered)
    write(world, upload, 0, Body(b"abcd"), 4)
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"abcd").hexdigest()


def test_the_running_hash_follows_each_accepted_chunk(world):
    # The cache holds, per upload, the hash of exactly the accepted bytes and their end.
    upload = new_upload(world, 12)
    write(world, upload, 0, Body(b"1234"), 4)
    write(world, upload, 4, Body(b"5678"), 4)
    offset, digest = running_hashes._RUNNING[upload.pk]
    assert offset == 8 and digest.hexdigest() == hashlib.sha256(b"12345678").hexdigest()
    # A discarded chunk (checksum mismatch) drops the entry: its bytes were hashed.
    with pytest.raises(ChecksumMismatch, match="does not match its sha256 checksum"):
        write(world, upload, 8, Body(b"9abc"), 4, data_for_checksum=b"other")
    assert upload.pk not in running_hashes._RUNNING
    assert_released_at(upload, 8)
    write(world, upload, 8, Body(b"9abc"), 4)
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"123456789abc").hexdigest()


def test_the_running_hash_cache_is_bounded_and_drops_the_oldest(monkeypatch):
    # Memory per worker stays bounded: past _RUNNING_MAX uploads the least recent goes.
    monkeypatch.setattr(running_hashes, "_RUNNING", type(running_hashes._RUNNING)())
    monkeypatch.setattr(running_hashes, "_RUNNING_MAX", 3)
    for n in range(5):
        running_hashes._running_put(f"u{n}", n, hashlib.sha256(str(n).encode()))
    assert list(running_hashes._RUNNING) == ["u2", "u3", "u4"]
    assert running_hashes._running_take("u0", 0).hexdigest() == hashlib.sha256().hexdigest()
    assert running_hashes._running_take("u1", 1) is None
    taken = running_hashes._running_take("u3", 3)
    assert taken.hexdigest() == hashlib.sha256(b"3").hexdigest()
    assert "u3" not in running_hashes._RUNNING  # taken out while its chunk streams


def test_checksum_digest_is_compared_whole(world):
    # R: D3 — a digest that differs in its last byte only is a mismatch (460).
    upload = new_upload(world, 4)
    good = hashlib.sha256(b"abcd").digest()
    almost = Checksum("sha256", good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ChecksumMismatch):
        upload_write(
            upload=upload, offset=0, stream=Body(b"abcd"), size=4, checksum=almost, now=world.now
        )
    assert_released_at(upload, 0)
    assert on_disk(upload) == b""
    upload_write(
        upload=upload,
        offset=0,
        stream=Body(b"abcd"),
        size=4,
        checksum=Checksum("sha256", good),
        now=world.now,
    )
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"abcd").hexdigest()


class Stopwatch:
    """A stand-in for ``time.monotonic`` in one module: it moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class BodyOnAClock(Body):
    """A body whose every read takes ``seconds`` on the stopwatch, ``step`` bytes at a time."""

    def __init__(self, data: bytes, stopwatch: Stopwatch, seconds: float, step: int) -> None:
        super().__init__(data)
        self.stopwatch, self.seconds, self.step, self.reads = stopwatch, seconds, step, 0

    def read(self, size: int = -1, /) -> bytes:
        self.stopwatch.now += self.seconds
        self.reads += 1
        return super().read(min(size, self.step))


def spy_on_renewals(monkeypatch, module, body, *, lose_at: int | None = None) -> list[int]:
    """Record after which read each renewal came; at read ``lose_at`` another request has
    taken the claim first, so that renewal fails."""
    seen: list[int] = []
    real = module._renew

    def renew(upload, token):
        seen.append(body.reads)
        if body.reads == lose_at:
            Upload.objects.filter(pk=upload.pk).update(lock_token="f" * 32)
        return real(upload, token)

    monkeypatch.setattr(module, "_renew", renew)
    return seen


def test_a_streaming_chunk_renews_its_claim_every_third_of_the_lease(world, monkeypatch, settings):
    # R: security rule 9 — the claim is renewed once more than a third of the 30 s lease
    # has passed since the last renewal, before the next block is written: with reads ten
    # seconds apart, after the 2nd and the 4th read.
    from casedesk.files.uploads import writing

    settings.UPLOAD_LOCK_SECONDS = 30
    stopwatch = Stopwatch()
    monkeypatch.setattr(writing, "time", stopwatch)
    upload = new_upload(world, 8000)
    body = BodyOnAClock(b"x" * 4000, stopwatch, seconds=10, step=1000)
    renewals = spy_on_renewals(monkeypatch, writing, body)
    write(world, upload, 0, body, 4000)
    assert renewals == [2, 4]
    assert_released_at(upload, 4000)


def test_a_chunk_whose_claim_was_taken_over_writes_no_further_block(world, monkeypatch, settings):
    # R: security rule 9 — a request that stalled past its lease and was overtaken stops
    # before writing another byte; the offset stays, and the next request cuts back.
    from casedesk.files.uploads import UploadBusy, writing

    settings.UPLOAD_LOCK_SECONDS = 30
    stopwatch = Stopwatch()
    monkeypatch.setattr(writing, "time", stopwatch)
    upload = new_upload(world, 8000)
    body = BodyOnAClock(b"1" * 1000 + b"2" * 3000, stopwatch, seconds=10, step=1000)
    renewals = spy_on_renewals(monkeypatch, writing, body, lose_at=2)
    with pytest.raises(UploadBusy, match=r"^This upload was taken over by another request\.$"):
        write(world, upload, 0, body, 4000)
    assert renewals == [2] and body.reads == 2
    assert on_disk(upload) == b"1" * 1000  # the 2nd block was read but never written
    upload.refresh_from_db()
    assert upload.offset == 0 and upload.lock_token == "f" * 32


def _last_chunk_with_a_rehash(world, monkeypatch, settings):
    from casedesk.files.uploads import finishing

    settings.UPLOAD_LOCK_SECONDS = 30
    stopwatch = Stopwatch()
    monkeypatch.setattr(finishing, "time", stopwatch)
    monkeypatch.setattr(finishing, "BLOCK", 1000)
    upload = new_upload(world, 4000)
    write(world, upload, 0, Body(b"a" * 3000), 3000)
    running_hashes._RUNNING.clear()  # the first chunk went through another worker process

    class Reads:
        reads = 0

    real_open_read = get_storage().open_read

    class CountingFile:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def read(self, size):
            stopwatch.now += 10
            Reads.reads += 1
            return self.f.read(size)

    storage = get_storage()
    monkeypatch.setattr(
        type(storage), "open_read", lambda self, key: CountingFile(real_open_read(key))
    )
    return upload, Reads, finishing


def test_the_finishing_rehash_renews_its_claim_every_third_of_the_lease(
    world, monkeypatch, settings
):
    # R: security rule 9 — re-reading the file for its SHA-256, ten seconds per block:
    # renewed after the 2nd and the 4th block read, as the chunk's own stream is.
    # (``_complete`` renews once more before it moves the file.)
    upload, reads, finishing = _last_chunk_with_a_rehash(world, monkeypatch, settings)
    renewals = spy_on_renewals(monkeypatch, finishing, reads)
    write(world, upload, 3000, Body(b"b" * 1000), 1000)
    assert renewals == [2, 4, 5]  # and once more after the last (empty) read, before the move
    digest = hashlib.sha256(b"a" * 3000 + b"b" * 1000).hexdigest()
    assert Attachment.objects.get().sha256 == digest


def test_a_rehash_whose_claim_was_taken_over_attaches_nothing(world, monkeypatch, settings):
    # R: security rule 9 — the finisher that lost its claim mid-hash stops with a clear
    # refusal; nothing is attached and the file is not moved.
    from casedesk.files.uploads import UploadBusy

    upload, reads, finishing = _last_chunk_with_a_rehash(world, monkeypatch, settings)
    spy_on_renewals(monkeypatch, finishing, reads, lose_at=2)
    with pytest.raises(
        UploadBusy, match=r"^This upload was taken over while it was being hashed\.$"
    ):
        write(world, upload, 3000, Body(b"b" * 1000), 1000)
    assert not Attachment.objects.exists()
    assert get_storage().size(upload.partial_key) == 4000


def test_a_chunk_never_reads_past_its_size(world):
    # R: D1 — a chunk is exactly its declared size, however the body is delivered.
    upload = new_upload(world, 10)
    body = BodyCutAfter(b"abcdefghij", step=3)  # short reads, more bytes than declared
    write(world, upload, 0, body, 4)
    assert body.position == 4
    assert_released_at(upload, 4)
    assert on_disk(upload) == b"abcd"


def test_the_last_chunk_is_made_durable_before_it_is_recorded(world, monkeypatch):
    # R: D1 — the partial file is fsynced once its last byte is written, before the case
    # records the attachment; earlier chunks and a last chunk cut short are not.
    import os

    from casedesk.files.uploads import writing

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(writing.os, "fsync", fsync)
    upload = new_upload(world, 8)
    partial = str(get_storage()._path(upload.partial_key))
    write(world, upload, 0, Body(b"1234"), 4)
    write(world, upload, 4, BodyCutAfter(b"56"), 4)  # would be the last, but cut short
    assert [p for p in synced if p == partial] == []
    write(world, upload, 6, Body(b"78"), 2)
    assert [p for p in synced if p == partial] == [partial]
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"12345678").hexdigest()


def test_bytes_a_killed_request_left_are_cut_back_before_the_chunk(world):
    # R: D1 — only accepted bytes count: junk behind the offset is cut off, byte-exact.
    upload = new_upload(world, 12)
    write(world, upload, 0, Body(b"1234"), 4)
    with get_storage().open_append(upload.partial_key) as out:
        out.write(b"junk a killed request wrote")
    write(world, upload, 4, Body(b"5678"), 4)
    assert on_disk(upload) == b"12345678"
    assert_released_at(upload, 8)


def test_lost_bytes_move_the_offset_back_even_without_a_running_hash(world):
    # R: D1 — after a power loss the server reports the bytes it really has (409), also
    # when this process keeps no running hash for the upload.
    from casedesk.files.uploads import OffsetMoved

    upload = new_upload(world, 12)
    write(world, upload, 0, Body(b"12345678"), 8)
    running_hashes._RUNNING.clear()
    get_storage().truncate(upload.partial_key, 3)
    message = r"^Only 3 bytes of this upload survived a server restart; continue from there\.$"
    with pytest.raises(OffsetMoved, match=message) as moved:
        write(world, upload, 8, Body(b"9abc"), 4)
    assert moved.value.offset == 3
    assert_released_at(upload, 3)


def test_an_upload_whose_bytes_are_gone_expires(world):
    # R: D1 — the partial file vanished (disk replaced): 410, and the upload is expired.
    from casedesk.files.uploads import UploadGone

    upload = new_upload(world, 12)
    write(world, upload, 0, Body(b"1234"), 4)
    assert upload.pk in running_hashes._RUNNING
    get_storage().delete(upload.partial_key)
    with pytest.raises(
        UploadGone, match=r"^This upload's bytes are gone; start the upload again\.$"
    ):
        write(world, upload, 4, Body(b"5678"), 4)
    upload.refresh_from_db()
    assert upload.state == UploadState.EXPIRED and upload.offset == 4
    assert upload.locked_until is None and not upload.lock_token
    assert upload.pk not in running_hashes._RUNNING  # no hash kept for a dead upload
