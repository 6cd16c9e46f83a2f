"""What one tus PATCH decides once its bytes have streamed: a full disk, another write
error, a part of a parallel upload, the whole-file hash taken from the running hash, the
refusal texts (D1, D3; security rule 9; issue 16's unjudged ``upload_write`` mutants).

``upload_write`` is called directly, as in ``test_tus_writing.py``. The only stand-in is
the disk: ``VolumeWithRoom`` lets the partial file take ``room`` more bytes and then
fails the write the way the kernel does (ENOSPC, EDQUOT, EIO), after the bytes that fit
have landed. Every assertion reads the real partial file and the database row.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os

import pytest

from casedesk.files.models import Attachment, Concat, Source, UploadState
from casedesk.files.storage import FileSystemStorage
from casedesk.files.uploads import (
    ChecksumMismatch,
    StorageFull,
    upload_create,
    upload_lifetime,
    upload_write,
)
from casedesk.files.uploads import running as running_hashes

from .test_tus_writing import Body, assert_released_at, new_upload, on_disk, write

pytestmark = pytest.mark.django_db


class VolumeWithRoom:
    """The files volume with ``room`` bytes left: a write lands what fits, then raises
    ``OSError(error)``. ``room=None``: room enough for anything."""

    def __init__(self, monkeypatch, room: int | None, error: int = errno.ENOSPC) -> None:
        self.room, self.error = room, error
        real_open_append = FileSystemStorage.open_append
        volume = self

        class PartialFile:
            def __init__(self, file) -> None:
                self.file = file

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                self.file.close()

            def close(self) -> None:
                self.file.close()

            def write(self, data: bytes) -> int:
                if volume.room is not None and len(data) > volume.room:
                    self.file.write(data[: volume.room])
                    self.file.flush()
                    volume.room = 0
                    raise OSError(volume.error, os.strerror(volume.error))
                if volume.room is not None:
                    volume.room -= len(data)
                return self.file.write(data)

            def flush(self) -> None:
                self.file.flush()

            def fileno(self) -> int:
                return self.file.fileno()

        monkeypatch.setattr(
            FileSystemStorage, "open_append", lambda s, key: PartialFile(real_open_append(s, key))
        )


def write_at(upload, offset, stream, size, *, now):
    """An unchecksummed chunk written at another instant than the world's ``now``."""
    return upload_write(
        upload=upload, offset=offset, stream=stream, size=size, checksum=None, now=now
    )


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
def test_a_full_disk_mid_chunk_keeps_exactly_the_accepted_bytes(world, monkeypatch, error):
    # R: D1 (issue 15 item 13) — the volume fills while a chunk is written: 507 with a
    # message that says what is kept; the chunk's bytes that did land are cut back
    # byte-exact, the offset stays, and with room again the upload resumes from there.
    upload = new_upload(world, 10_000)
    write(world, upload, 0, Body(b"a" * 4000), 4000)
    volume = VolumeWithRoom(monkeypatch, room=1500, error=error)
    message = (
        r"^The server's disk is full; this chunk was not stored\. The bytes sent before it "
        r"\(4000\) are kept: resume later\.$"
    )
    with pytest.raises(StorageFull, match=message):
        write(world, upload, 4000, Body(b"b" * 6000), 6000)
    assert volume.room == 0  # 1500 of the chunk's bytes had landed before the error
    assert on_disk(upload) == b"a" * 4000
    assert_released_at(upload, 4000)
    volume.room = None
    write(world, upload, 4000, Body(b"c" * 6000), 6000)
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"a" * 4000 + b"c" * 6000).hexdigest()


def test_another_write_error_is_not_reported_as_a_full_disk(world, monkeypatch):
    # R: D1 — only ENOSPC/EDQUOT mean "resume later" (507); a failing disk (EIO) is the
    # server's own error and surfaces as such, with the claim given back and the offset
    # where it was, so a retry after the repair still yields the exact file.
    upload = new_upload(world, 10_000)
    write(world, upload, 0, Body(b"a" * 4000), 4000)
    volume = VolumeWithRoom(monkeypatch, room=1500, error=errno.EIO)
    with pytest.raises(OSError) as failed:
        write(world, upload, 4000, Body(b"b" * 6000), 6000)
    assert failed.value.errno == errno.EIO and not isinstance(failed.value, StorageFull)
    assert_released_at(upload, 4000)
    volume.room = None
    write(world, upload, 4000, Body(b"c" * 6000), 6000)
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"a" * 4000 + b"c" * 6000).hexdigest()


def test_a_part_of_a_parallel_upload_is_completed_but_never_attached(world):
    # R: D1 (tus concatenation) — a part's last byte completes the part: its claim is
    # released, its expiry slides, and nothing is attached on its own; a part is hashed
    # only once the parts are joined, so it keeps no running hash in this process.
    part = upload_create(
        user=world.alice,
        case=world.alice_case,
        filename="part.bin",
        content_type="",
        length=4,
        source=Source.CLI,
        now=world.now,
        concat=Concat.PARTIAL,
    )
    write(world, part, 0, Body(b"12"), 2)
    assert part.pk not in running_hashes._RUNNING
    assert_released_at(part, 2)
    later = world.now + dt.timedelta(minutes=5)
    returned = write_at(part, 2, Body(b"34"), 2, now=later)
    assert (returned.state, returned.offset) == (UploadState.COMPLETED, 4)
    part.refresh_from_db()
    assert (part.state, part.offset, part.lock_token, part.locked_until) == (
        UploadState.COMPLETED,
        4,
        "",
        None,
    )
    assert part.expires_at == later + upload_lifetime()
    assert part.pk not in running_hashes._RUNNING
    assert on_disk(part) == b"1234"  # still the part's own file, waiting for its final
    assert not Attachment.objects.exists()


def spy_on_rehash(monkeypatch) -> list[str]:
    from casedesk.files.uploads import finishing

    rehashed: list[str] = []
    real = finishing._rehash

    def rehash(key, upload, token):
        rehashed.append(key)
        return real(key, upload, token)

    monkeypatch.setattr(finishing, "_rehash", rehash)
    return rehashed


def test_chunks_that_all_came_through_this_process_are_never_re_read(world, monkeypatch):
    # R: D1 — every chunk in order through this process: the whole-file SHA-256 is the
    # running hash, the file is not read again (the point of keeping it; the fallback
    # re-read is for chunks that went through another process).
    rehashed = spy_on_rehash(monkeypatch)
    upload = new_upload(world, 8)
    write(world, upload, 0, Body(b"1234"), 4)
    write(world, upload, 4, Body(b"5678"), 4)
    assert rehashed == []
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"12345678").hexdigest()
    assert attachment.created_at == world.now


def test_a_chunk_through_another_process_makes_the_last_one_re_read_the_file(world, monkeypatch):
    # The contrast: without this process's running hash the file is read once, whole.
    rehashed = spy_on_rehash(monkeypatch)
    upload = new_upload(world, 8)
    write(world, upload, 0, Body(b"1234"), 4)
    running_hashes._RUNNING.clear()
    write(world, upload, 4, Body(b"5678"), 4)
    assert rehashed == [upload.partial_key]
    assert Attachment.objects.get().sha256 == hashlib.sha256(b"12345678").hexdigest()


def test_a_checksum_mismatch_says_which_chunk_and_what_to_do(world):
    # R: D3 — 460 with the whole refusal: the offset of the discarded chunk, the
    # algorithm, and that the chunk must be sent again; the bytes before it stay.
    upload = new_upload(world, 8)
    write(world, upload, 0, Body(b"1234"), 4)
    message = (
        r"^The chunk at offset 4 does not match its sha256 checksum; it was discarded\. "
        r"Send it again\.$"
    )
    with pytest.raises(ChecksumMismatch, match=message):
        write(world, upload, 4, Body(b"5678"), 4, data_for_checksum=b"5679")
    assert on_disk(upload) == b"1234"
    assert_released_at(upload, 4)
