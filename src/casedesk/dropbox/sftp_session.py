"""One SFTP session inside one drop box: the jail and the upload path (D2; rule 10).

Every path goes through ``jail.resolve`` first, and no method touches the real filesystem
by path (``map_path`` refuses), so symlinks, hard links, renames, mkdir and setstat have
nothing to work on and are refused. Liveness is checked in memory on every operation and
against the database on open, close and listing. Uploads stream to ``<key>.partial`` with
a running SHA-256, sequentially; on the client's CLOSE the file moves to its key and
becomes an attachment; a handle still open when the session ends leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.files.models import Attachment
from casedesk.files.services import new_storage_key
from casedesk.files.storage import get_storage

from . import jail
from .models import DropBoxAccount

if TYPE_CHECKING:
    from .server import DropBoxService

PARTIAL = ".partial"
MAX_OPEN_UPLOADS = 16  # per session: each holds a file descriptor


@dataclass
class Upload:
    name: str
    key: str
    out: BinaryIO
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0


@dataclass
class Download:
    attachment: Attachment
    stream: BinaryIO


def _denied(reason: str) -> asyncssh.SFTPError:
    return asyncssh.SFTPPermissionDenied(reason)


class DropBoxSFTPServer(asyncssh.SFTPServer):
    """One SFTP session inside one drop box."""

    def __init__(self, chan: asyncssh.SSHServerChannel, service: DropBoxService) -> None:
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
        file_obj.out.write(data)
        file_obj.digest.update(data)
        file_obj.size += len(data)
        return len(data)

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
        file_obj.out.close()
        self.uploads.discard(id(file_obj))
        storage = get_storage()
        if aborted or self.session.ended:
            storage.delete(file_obj.key)
            return
        try:
            await self._alive_db()
        except asyncssh.SFTPError:
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
                now=clock.now(),
            )
        except DomainError as exc:
            raise _denied(exc.reason) from None

    def fstat(self, file_obj: object) -> SFTPAttrs:
        self._alive()
        if isinstance(file_obj, Upload):
            return self._file_attrs(file_obj.size, clock.now().timestamp())
        if isinstance(file_obj, Download):
            a = file_obj.attachment
            return self._file_attrs(a.size, a.created_at.timestamp())
        raise asyncssh.SFTPInvalidHandle("Invalid handle.")

    def fsync(self, file_obj: object) -> None:
        self._alive()
        if isinstance(file_obj, Upload):
            file_obj.out.flush()
            os.fsync(file_obj.out.fileno())

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
