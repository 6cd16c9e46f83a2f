"""The SFTP drop box server (D2; security rules 3, 10, 12), on asyncssh.

Interface layer: it authorises through ``dropbox_authenticate``; each session's SFTP
requests are served by ``sftp_session.DropBoxSFTPServer`` (the jail, the uploads). Here:

- Password logins only, SFTP only (no shell, exec, forwarding, agent, X11, pty, scp).
- Liveness: checked at login; per session a timer at ``expires_at`` and a periodic sweep
  (revocations from the web process, closed cases) cut sessions whose drop box is no
  longer usable; the session itself re-checks on every operation.
- Django ORM work runs on one dedicated thread, so SQLite sees one writer from here and
  the event loop never waits on the database.
- ``casedesk sftp`` runs it in the foreground; the demo and the tests in a daemon thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from casedesk.core import clock

from .models import DropBoxAccount
from .sessions import Session
from .sftp_session import DropBoxSFTPServer

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_CHECK_SECONDS = 2.0
WINDOW = 16 * 1024 * 1024
MAX_PACKET = 256 * 1024
IO_THREADS = 2


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


class DropBoxService:
    """Owns the listener, the sessions, the expiry timers and the database thread; the
    ``sessions.SessionHost`` every SFTP session calls back into."""

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
        # Hashing and file writes of uploads, off the event loop: hashlib and file writes
        # release the GIL, so they run on the second core while the loop decrypts the next
        # packets. Each upload has at most one block in flight (sftp_session.Upload).
        self._io_threads = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="casedesk-sftp-io")
        self._server: asyncssh.SSHAcceptor | None = None
        self._sweeper: asyncio.Task[None] | None = None
        # SFTP sessions over and cleaned up: what a test waits on before asserting that a
        # cut or abandoned session left nothing behind.
        self.finished = 0
        self._finished = threading.Condition()

    async def db(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._db_thread, partial(_with_connection, func, *args, **kwargs)
        )

    def io(self, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run blocking file work (hash, write, fsync) on the I/O threads."""
        return asyncio.get_running_loop().run_in_executor(self._io_threads, func, *args)

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
        self._io_threads.shutdown(wait=True)

    # --- sessions ------------------------------------------------------------------

    def session_finished(self) -> None:
        with self._finished:
            self.finished += 1
            self._finished.notify_all()

    def wait_finished(self, count: int, timeout: float = 60) -> bool:
        """Block until ``count`` SFTP sessions have ended, their open uploads dropped."""
        with self._finished:
            return self._finished.wait_for(lambda: self.finished >= count, timeout)

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


class _CoalescingTransport:
    """The TCP transport of one SSH connection, sending what one event-loop turn produced
    in one ``send()``.

    asyncssh writes every SSH packet (and an SSH_MSG_IGNORE before each) straight to the
    socket, so every SFTP status reply costs two system calls; on loopback those sends were
    the biggest single cost of an upload (docs/benchmarks.md). Writes are gathered and
    flushed at the end of the loop turn; everything else goes to the real transport, and
    close() flushes first so the disconnect message still goes out.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


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
        transport = getattr(conn, "_transport", None)  # asyncssh 2.x keeps it there
        if isinstance(transport, asyncio.Transport):
            conn._transport = _CoalescingTransport(transport)  # type: ignore[attr-defined]

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
