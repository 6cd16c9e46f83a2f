"""One SFTP session inside one drop box: the jail and the upload path (D2; rule 10).

Every path goes through ``jail.resolve`` first, and no method touches the real filesystem
by path (``map_path`` refuses), so symlinks, hard links, renames, mkdir and setstat have
nothing to work on and are refused. Liveness is checked in memory on every operation and
against the database on open, close and listing. Uploads stream to ``<key>.partial``,
sequentially, in 1 MiB blocks hashed (running SHA-256) and written on the service's I/O
thread while the event loop receives the next block; on the client's CLOSE the file is
fsynced, moves to its key and becomes an attachment with the running digest (not read
again); a handle still open when the session ends leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.files.models import Attachment
from casedesk.files.services import new_storage_key
from casedesk.files.storage import get_storage

from . import jail
from .models import DropBoxAccount
from .sessions import SessionHost

PARTIAL = ".partial"
# Bytes gathered before one hash-and-write on the I/O thread: big enough that the thread
# hop is rare (one per ~32 SFTP writes of OpenSSH's default 32 KiB), small in memory.
FLUSH_BYTES = 1024 * 1024
MAX_OPEN_UPLOADS = 16  # per session: each holds a file descriptor


@dataclass
class Upload:
    """One file being received: bytes gather in ``buffer`` and go to disk and the running
    SHA-256 in ``FLUSH_BYTES`` blocks on the service's I/O thread, one block at a time."""

    name: str
    key: str
    out: BinaryIO
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    buffer: bytearray = field(default_factory=bytearray)
    pending: asyncio.Future[None] | None = None

    def sink(self, block: bytearray) -> None:
        """Hash and write one block (I/O thread; hashlib and file writes release the GIL)."""
        self.digest.update(block)
        self.out.write(block)

    def finish(self) -> None:
        """Make the bytes durable before the case records them (I/O thread)."""
        try:
            self.out.flush()
            os.fsync(self.out.fileno())
        finally:
            self.out.close()

    def sync(self) -> None:
        """The client's fsync request (I/O thread)."""
        self.out.flush()
        os.fsync(self.out.fileno())


@dataclass
class Download:
    attachment: Attachment
    stream: BinaryIO


def _denied(reason: str) -> asyncssh.SFTPError:
    return asyncssh.SFTPPermissionDenied(reason)


class DropBoxSFTPServer(asyncssh.SFTPServer):
    """One SFTP session inside one drop box."""

    def __init__(self, chan: asyncssh.SSHServerChannel, service: SessionHost) -> None:
        super().__init__(chan)
        self.service = service
        session = service.sessions.get(chan.get_connection())
        if session is None:  # authenticated but already cut
            raise _denied("This drop box has ended.")
        self.session = session
        self.uploads: set[int] = set()

    # --- checks ----------------------------------------------------------------------

    def _alive(self) -> None:
        """Every operation: in-memory expiry (absolute time, C8) and the cut flag."""
        if self.session.ended or clock.now() >= self.session.expires_at:
            self.service.cut(self.session, self.session.ended or "drop box expired")
            raise _denied("This drop box has ended.")

    async def _alive_db(self) -> None:
        self._alive()
        await self.service.check([self.session])
        self._alive()

    @staticmethod
    def _resolve(path: bytes) -> jail.JailPath:
        try:
            return jail.resolve(path)
        except jail.JailError as exc:
            if exc.kind == "missing":
                raise asyncssh.SFTPNoSuchFile(exc.reason) from None
            raise _denied(exc.reason) from None

    async def _files(self) -> dict[str, Attachment]:
        from .selectors import dropbox_files

        return await self.service.db(dropbox_files, self.session.account_id)

    # --- no real filesystem behind the jail ------------------------------------------

    def map_path(self, path: bytes) -> bytes:
        raise _denied("Not available in the drop box.")

    def reverse_map_path(self, path: bytes) -> bytes:
        raise _denied("Not available in the drop box.")

    # --- names -----------------------------------------------------------------------

    def realpath(self, path: bytes) -> bytes:
        self._alive()
        return self._resolve(path).path

    def _dir_attrs(self) -> SFTPAttrs:
        when = int(clock.now().timestamp())
        return SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_DIRECTORY,
            permissions=stat.S_IFDIR | 0o755,
            size=0,
            uid=0,
            gid=0,
            atime=when,
            mtime=when,
        )

    @staticmethod
    def _file_attrs(size: int, mtime: float) -> SFTPAttrs:
        return SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_REGULAR,
            permissions=stat.S_IFREG | 0o444,
            size=size,
            uid=0,
            gid=0,
            atime=int(mtime),
            mtime=int(mtime),
        )

    async def stat(self, path: bytes) -> SFTPAttrs:
        self._alive()
        target = self._resolve(path)
        if target.is_root:
            return self._dir_attrs()
        attachment = (await self._files()).get(target.name)
        if attachment is None:
            raise asyncssh.SFTPNoSuchFile("No such file in this drop box.")
        return self._file_attrs(attachment.size, attachment.created_at.timestamp())

    async def lstat(self, path: bytes) -> SFTPAttrs:
        return await self.stat(path)

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        await self._alive_db()
        target = self._resolve(path)
        if not target.is_root:
            raise asyncssh.SFTPNoSuchFile("The drop box has no sub-folders.")
        yield SFTPName(b".", attrs=self._dir_attrs())
        yield SFTPName(b"..", attrs=self._dir_attrs())
        for name, attachment in (await self._files()).items():
            yield SFTPName(
                name.encode(),
                attrs=self._file_attrs(attachment.size, attachment.created_at.timestamp()),
            )

    # --- files -----------------------------------------------------------------------

    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> object:
        await self._alive_db()
        target = self._resolve(path)
        if target.is_root:
            raise _denied("That is the drop box folder, not a file.")
        if pflags & asyncssh.FXF_WRITE:
            if pflags & (asyncssh.FXF_READ | asyncssh.FXF_APPEND):
                raise _denied("The drop box takes new files in one pass; no append or update.")
            if len(self.uploads) >= MAX_OPEN_UPLOADS:
                raise asyncssh.SFTPFailure("Too many files open at once; close some first.")
            if pflags & asyncssh.FXF_EXCL and target.name in await self._files():
                raise asyncssh.SFTPFileAlreadyExists("A file of that name was already sent.")
            key = new_storage_key(self.session.case_id) + PARTIAL
            upload = Upload(target.name, key, get_storage().open_append(key))
            self.uploads.add(id(upload))
            return upload
        attachment = (await self._files()).get(target.name)
        if attachment is None:
            raise asyncssh.SFTPNoSuchFile("No such file in this drop box.")
        return Download(attachment, get_storage().open_read(attachment.storage_key))

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        self._alive()
        if not isinstance(file_obj, Download):
            raise _denied("Opened for writing.")
        file_obj.stream.seek(offset)
        return file_obj.stream.read(size)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        self._alive()
        if not isinstance(file_obj, Upload):
            raise _denied("Opened for reading.")
        if offset != file_obj.size:
            raise asyncssh.SFTPFailure(
                "The drop box takes files in one pass from the start; resuming is not supported."
            )
        file_obj.buffer += data
        file_obj.size += len(data)
        if len(file_obj.buffer) < FLUSH_BYTES:
            return len(data)
        return self._flush(file_obj, len(data))

    async def _flush(self, upload: Upload, result: int = 0) -> int:
        """Hand the gathered block to the I/O thread once the previous block is done, so
        hashing and writing overlap with receiving the next block on the event loop.
        Awaiting here also holds back the next request: the order of bytes is kept and
        at most two blocks per upload are in memory."""
        if upload.pending is not None:
            await upload.pending
        block, upload.buffer = upload.buffer, bytearray()  # handed over, not copied
        upload.pending = self.service.io(upload.sink, block) if block else None
        return result

    async def _drain(self, upload: Upload) -> None:
        """Everything received is hashed, written and fsynced; the file is closed."""
        try:
            await self._flush(upload)
            if upload.pending is not None:
                await upload.pending
        finally:
            upload.pending = None
            await self.service.io(upload.finish)

    def close(self, file_obj: object) -> Any:
        # asyncssh also calls close() for every handle still open when the session ends
        # (from its _cleanup); such an upload never got the client's CLOSE, so it is dropped.
        aborted = sys._getframe(1).f_code.co_name == "_cleanup"
        return self._close(file_obj, aborted)

    async def _close(self, file_obj: object, aborted: bool) -> None:
        if isinstance(file_obj, Download):
            file_obj.stream.close()
            return
        if not isinstance(file_obj, Upload):
            return
        self.uploads.discard(id(file_obj))
        storage = get_storage()
        if aborted or self.session.ended:
            if file_obj.pending is not None:  # let the I/O thread finish with the file
                await asyncio.wait([file_obj.pending])
                file_obj.pending.exception()  # retrieved: the bytes are dropped anyway
            file_obj.out.close()
            storage.delete(file_obj.key)
            return
        try:
            await self._drain(file_obj)
            await self._alive_db()
        except (asyncssh.SFTPError, OSError):
            storage.delete(file_obj.key)
            raise
        final = file_obj.key[: -len(PARTIAL)]
        storage.move(file_obj.key, final)
        from .services import dropbox_file_attach

        try:
            await self.service.db(
                dropbox_file_attach,
                account=DropBoxAccount(pk=self.session.account_id),
                filename=file_obj.name,
                storage_key=final,
                sha256=file_obj.digest.hexdigest(),
                sha256_verified=True,  # hashed exactly the bytes written, fsynced above
                now=clock.now(),
            )
        except DomainError as exc:
            raise _denied(exc.reason) from None

    def exit(self) -> None:
        # asyncssh's last call for a session, after close() of every handle left open.
        self.service.session_finished()

    def fstat(self, file_obj: object) -> SFTPAttrs:
        self._alive()
        if isinstance(file_obj, Upload):
            return self._file_attrs(file_obj.size, clock.now().timestamp())
        if isinstance(file_obj, Download):
            a = file_obj.attachment
            return self._file_attrs(a.size, a.created_at.timestamp())
        raise asyncssh.SFTPInvalidHandle("Invalid handle.")

    async def fsync(self, file_obj: object) -> None:
        self._alive()
        if isinstance(file_obj, Upload):
            await self._flush(file_obj)
            if file_obj.pending is not None:
                await file_obj.pending
            await self.service.io(file_obj.sync)

    # --- everything that would change names, links or attributes: refused -------------

    def _refuse(self, *paths: bytes) -> None:
        self._alive()
        for path in paths:
            self._resolve(path)
        raise _denied("The drop box only takes new files; ask support to change or remove one.")

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._refuse(path)

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._refuse(path)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        self._refuse()

    def remove(self, path: bytes) -> None:
        self._refuse(path)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._refuse(path)

    def rmdir(self, path: bytes) -> None:
        self._refuse(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse(oldpath, newpath)

    def readlink(self, path: bytes) -> bytes:
        self._refuse(path)
        raise AssertionError  # unreachable: _refuse always raises

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        self._alive()
        raise _denied("Links are not allowed in the drop box.")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        self._alive()
        raise _denied("Links are not allowed in the drop box.")

    def statvfs(self, path: bytes) -> Any:
        raise asyncssh.SFTPOpUnsupported("statvfs not supported")

    def fstatvfs(self, file_obj: object) -> Any:
        raise asyncssh.SFTPOpUnsupported("fstatvfs not supported")
