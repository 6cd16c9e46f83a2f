"""The SFTP drop box server (D2; security rules 3, 10, 12), on asyncssh.

Interface layer: it parses SFTP, authorises through ``dropbox_authenticate`` and writes
through ``dropbox_file_attach``. Design:

- Password logins only, SFTP only (no shell, exec, forwarding, agent, X11, pty, scp).
- Each session is jailed to a virtual "/" listing the files uploaded through its drop box;
  every path goes through ``jail.resolve`` first, and no method touches the real
  filesystem by path (``map_path`` refuses), so symlinks, hard links, renames, mkdir and
  setstat have nothing to work on and are refused.
- Liveness: checked at login, in memory on every operation (expiry and a revoked flag),
  against the database on every open/close/listing, by a timer at ``expires_at`` and by
  a periodic sweep (revocations from the web, closed cases). A dead session is cut.
- Uploads stream to ``<key>.partial`` with a running SHA-256, sequentially; on the
  client's CLOSE the file moves to its key and becomes an attachment with that digest.
  A session that ends with a file still open (disconnect, cut) leaves nothing behind.
- Django ORM work runs on one dedicated thread, so SQLite sees one writer from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import stat
import sys
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.files.models import Attachment
from casedesk.files.services import new_storage_key
from casedesk.files.storage import get_storage

from . import jail
from .models import DropBoxAccount

log = logging.getLogger(__name__)
T = TypeVar("T")

PARTIAL = ".partial"
DEFAULT_CHECK_SECONDS = 2.0
WINDOW = 16 * 1024 * 1024
MAX_OPEN_UPLOADS = 16  # per session: each holds a file descriptor
MAX_PACKET = 256 * 1024


def encryption_algs() -> list[str]:
    """asyncssh's defaults without chacha20-poly1305: clients (OpenSSH prefers ChaCha) then
    negotiate AES (OpenSSH picks aes128-ctr + umac-64-etm; AES-GCM where preferred), which
    runs on AES-NI, where asyncssh's ChaCha path costs ~1.5× the server CPU per MB
    (docs/benchmarks.md). Both remaining families are standard and widely supported."""
    from asyncssh.encryption import get_default_encryption_algs

    return [
        alg.decode() for alg in get_default_encryption_algs() if not alg.startswith(b"chacha20")
    ]


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's Ed25519 host key, generated on first start and kept (mode 0600)."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    return key


def _with_connection(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    from django.db import close_old_connections

    close_old_connections()
    try:
        return func(*args, **kwargs)
    finally:
        close_old_connections()


@dataclass
class Session:
    """One authenticated SSH connection and the drop box it belongs to."""

    conn: asyncssh.SSHServerConnection
    account_id: int
    case_id: int
    username: str
    expires_at: Any
    ended: str = ""
    timer: asyncio.TimerHandle | None = None


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


class DropBoxService:
    """Owns the listener, the sessions, the expiry timers and the database thread."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        host_key_path: Path,
        check_seconds: float = DEFAULT_CHECK_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.host_key_path = Path(host_key_path)
        self.check_seconds = check_seconds
        self.sessions: dict[asyncssh.SSHServerConnection, Session] = {}
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="casedesk-sftp-db")
        self._server: asyncssh.SSHAcceptor | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def db(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._db_thread, partial(_with_connection, func, *args, **kwargs)
        )

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0)."""
        key = load_host_key(self.host_key_path)
        self._server = await asyncssh.create_server(
            lambda: _Connection(self),
            self.host,
            self.port,
            server_host_keys=[key],
            sftp_factory=lambda chan: DropBoxSFTPServer(chan, self),
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_pty=False,
            login_timeout=60,
            keepalive_interval=60,
            # Fewer, larger channel packets and a deeper window: the per-packet Python
            # work, not the cipher, bounds throughput (docs/benchmarks.md, "SFTP drop box").
            window=WINDOW,
            max_pktsize=MAX_PACKET,
            encryption_algs=encryption_algs(),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep())
        return self.port

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
        for session in list(self.sessions.values()):
            self.cut(session, "server stopping")
        if self._server:
            self._server.close()
            await self._server.wait_closed()
        from django.db import connections

        await self.db(connections.close_all)
        self._db_thread.shutdown(wait=True)

    # --- sessions ------------------------------------------------------------------

    def register(self, conn: asyncssh.SSHServerConnection, account: DropBoxAccount) -> None:
        session = Session(conn, account.pk, account.case_id, account.username, account.expires_at)
        delay = max(0.0, (account.expires_at - clock.now()).total_seconds())
        session.timer = asyncio.get_running_loop().call_later(
            delay, self.cut, session, "drop box expired"
        )
        self.sessions[conn] = session

    def forget(self, conn: asyncssh.SSHServerConnection) -> None:
        session = self.sessions.pop(conn, None)
        if session and session.timer:
            session.timer.cancel()

    def cut(self, session: Session, why: str) -> None:
        """End a session whose drop box is no longer usable."""
        if not session.ended:
            session.ended = why
            log.info("sftp session of %s cut: %s", session.username, why)
            session.conn.disconnect(asyncssh.DISC_BY_APPLICATION, f"Drop box closed: {why}")
        self.forget(session.conn)

    async def check(self, sessions: list[Session]) -> None:
        """Cut sessions whose drop box was revoked, expired or whose case closed."""
        from .selectors import account_states

        if not sessions:
            return
        states = await self.db(account_states, [s.account_id for s in sessions], clock.now())
        for session in sessions:
            state = states.get(session.account_id)
            if state is None or not state.live:
                self.cut(session, "drop box revoked or expired")
            elif not state.case_open:
                self.cut(session, "case closed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check(list(self.sessions.values()))
            except Exception:  # a database hiccup must not stop the sweeper
                log.exception("sftp session sweep failed")


class _Connection(asyncssh.SSHServer):
    """Per-connection authentication: passwords through ``dropbox_authenticate`` only."""

    def __init__(self, service: DropBoxService) -> None:
        self.service = service
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("",)
        self.peer = str(peer[0])

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.service.forget(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        from .services import dropbox_authenticate

        account = await self.service.db(
            dropbox_authenticate,
            username=username,
            password=password,
            now=clock.now(),
            peer=self.peer,
        )
        if account is None or self.conn is None:
            return False
        self.service.register(self.conn, account)
        return True


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


# --- running it ----------------------------------------------------------------------


class ServerThread:
    """The SFTP server on its own event loop in a daemon thread (demo, tests)."""

    def __init__(self, service: DropBoxService) -> None:
        self.service = service
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="casedesk-sftp", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.service.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> int:
        self.thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self.service.port

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop)
        with contextlib.suppress(Exception):
            future.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    def call(self, func: Callable[[], T]) -> T:
        """Run ``func`` on the server's loop and wait for it (tests)."""

        async def run() -> T:
            return func()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)


def host_key_path() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / "sftp_host_ed25519_key"


def start_in_thread(host: str, port: int, **options: Any) -> ServerThread:
    runner = ServerThread(
        DropBoxService(
            host=host,
            port=port,
            host_key_path=options.pop("host_key_path", None) or host_key_path(),
            **options,
        )
    )
    runner.start()
    return runner


def serve_forever(host: str, port: int) -> None:
    """``casedesk sftp``: the server in the foreground until interrupted."""

    async def main() -> None:
        service = DropBoxService(host=host, port=port, host_key_path=host_key_path())
        bound = await service.start()
        print(f"casedesk sftp — drop boxes on {host}:{bound}. Press Ctrl+C to stop.", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await service.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
