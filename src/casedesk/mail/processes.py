"""Several receiver processes on one port (issue 17, item 2; E2, rule 6).

One receiver process runs its Python under one GIL, so it uses one core whatever its
threads. ``serve_processes`` binds the listening socket once and forks ``N`` children
that share it; each child is a whole receiver (its event loop, its group-commit storing
thread, its processing thread, ``mail.smtp``). Sessions are shared out evenly: a child
accepts only while it holds no more sessions than the least busy one (counts in shared
memory), so four MTA connections land two and two on two processes, not by chance.

Safety across processes is the database's: a message key is unique (the same message
in two processes at once is stored once), a batch claims its rows with a locking read on
``state = received`` (one process routes a message), and a batch locks the cases it will
touch in id order before routing (``mail_process_batch``), so two batches never wait on
each other in a cycle. A child that dies (SIGKILL) is started again by the parent, which
first processes what it left stored but unrouted; a killed parent takes its children
with it (``PR_SET_PDEATHSIG``, or the children notice), and the next start processes
what is pending, as with one process. SIGTERM stops the children gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

from .smtp import _LMTP, _SMTP, InboundHandler

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
RESPAWN_PAUSE = 1.0  # seconds between a child's death and its replacement
AWAY = 2**30  # the session count of a child being replaced: never the least busy
ACCEPT_PAUSE = 1.0  # seconds after an accept that failed for want of resources
TRANSIENT_ACCEPT_ERRORS = frozenset(
    {errno.ECONNABORTED, errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EPROTO}
)


def default_processes() -> int:
    """``CASEDESK_MAIL_RECEIVER_PROCESSES``, or one per CPU on PostgreSQL (the work is
    Python, one core per process) and one on SQLite (one writer at a time anyway)."""
    from django.conf import settings

    configured = int(getattr(settings, "MAIL_RECEIVER_PROCESSES", 0) or 0)
    if configured > 0:
        return configured
    if connections["default"].vendor == "sqlite":
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class _Child:
    """One receiver process: the asyncio loop in a thread, accepts in the main thread."""

    def __init__(self, sock: socket.socket, index: int, counts: Any, server_kwargs: dict) -> None:
        self.sock = sock
        self.index = index
        self.counts = counts
        self.lmtp = server_kwargs.pop("lmtp")
        self.server_kwargs = server_kwargs
        self.stopping = threading.Event()
        self.lock = threading.Lock()  # the loop thread and the accepting thread count
        counts[index] = 0  # a dead predecessor's slot was set out of the way (AWAY)
        self.handler = InboundHandler(source="lmtp" if self.lmtp else "smtp")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run_loop, name="casedesk-mail-loop")

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _add(self, delta: int) -> None:
        with self.lock:  # only this process writes its own count: no lock across processes
            self.counts[self.index] = max(0, self.counts[self.index] + delta)

    def _started(self, done: Any, conn: socket.socket) -> None:
        """A session that failed before its protocol existed (the client reset at once)
        never reports itself lost: uncount it here."""
        if done.cancelled() or done.exception() is not None:
            self._add(-1)
            conn.close()

    def _my_turn(self) -> bool:
        return self.counts[self.index] <= min(self.counts[:])

    def _factory(self) -> Any:
        server_class = _LMTP if self.lmtp else _SMTP
        server = server_class(self.handler, loop=self.loop, **self.server_kwargs)
        server.casedesk_on_lost = lambda: self._add(-1)
        return server

    def serve(self) -> None:
        self.thread.start()
        self.sock.settimeout(0.2)  # to notice a stop; other children may win an accept
        while not self.stopping.is_set():
            if not self._my_turn():  # another child holds fewer sessions: let it take this one
                time.sleep(0.02)
                continue
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                if self.stopping.is_set():
                    break
                if exc.errno not in TRANSIENT_ACCEPT_ERRORS:
                    raise
                # Out of descriptors or buffers, or a client gone before its accept: the
                # sessions open here go on; crashing would drop them and, restarted every
                # second into the same shortage, loop (asyncio's own servers pause too).
                log.warning("mail receiver: accept failed (%s); trying again shortly", exc)
                time.sleep(ACCEPT_PAUSE)
                continue
            conn.setblocking(False)
            self._add(1)
            started = asyncio.run_coroutine_threadsafe(
                self.loop.connect_accepted_socket(self._factory, conn), self.loop
            )
            started.add_done_callback(lambda done, conn=conn: self._started(done, conn))
        self.sock.close()
        self.loop.call_soon_threadsafe(_cancel_all, self.loop)
        self.thread.join()
        self.handler.close()  # store and process what was queued


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    loop.stop()
    for task in asyncio.all_tasks(loop):
        task.cancel()


def _die_with_parent(parent: int) -> None:
    """SIGKILL this child when the parent dies (Linux); elsewhere a thread watches."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="casedesk-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # died before the prctl
        os._exit(1)


def _child_main(
    sock: socket.socket, index: int, counts: Any, server_kwargs: dict, ready: int,
    parent: int, respawned: bool,
) -> int:  # fmt: skip
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    # Until this child serves, SIGTERM ends it at once (not the parent's inherited
    # handler, which would leave it running and the parent waiting): what it stored is
    # durable and is processed by the next start.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if respawned:  # what the dead child stored but never routed
        from casedesk.core import clock

        from .services import mail_process_pending

        try:
            mail_process_pending(now=clock.now())
        except Exception:  # the database away: the worker's deadlines process them later
            log.exception("stored messages not processed at restart")
    child = _Child(sock, index, counts, dict(server_kwargs))
    signal.signal(signal.SIGTERM, lambda *_: child.stopping.set())
    with contextlib.suppress(BrokenPipeError):  # a restarted child: nobody waits to hear
        os.write(ready, b"%d\n" % os.getpid())
    os.close(ready)
    child.serve()
    connections.close_all()
    return 0


def serve_processes(
    *,
    host: str,
    port: int,
    processes: int,
    lmtp: bool = False,
    max_bytes: int,
    on_ready: Callable[[int, list[int]], None],
    stop: threading.Event,
) -> None:
    """Bind ``host:port``, fork ``processes`` receivers sharing it, and supervise them until
    ``stop`` is set (then SIGTERM them and wait). ``on_ready(port, pids)`` once all listen."""
    sock = socket.create_server((host, port), backlog=512)
    port = sock.getsockname()[1]
    # No lock: a child killed holding it would stop the others; each writes only its own.
    counts = multiprocessing.Array("i", processes, lock=False)
    server_kwargs = {
        "lmtp": lmtp,
        "data_size_limit": max_bytes,
        "enable_SMTPUTF8": True,
        "ident": "casedesk mail receiver",
    }
    connections.close_all()  # never share a database connection with a child
    parent = os.getpid()

    def spawn(index: int, respawned: bool) -> tuple[int, int]:
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (tested through the command)
            code = 1
            try:
                os.close(read)
                code = _child_main(sock, index, counts, server_kwargs, write, parent, respawned)
            except BaseException:
                log.exception("mail receiver process %s failed", index)
            finally:
                os._exit(code)
        os.close(write)
        return pid, read

    children: dict[int, int] = {}
    readers = []
    for index in range(processes):
        pid, read = spawn(index, respawned=False)
        children[pid] = index
        readers.append(read)
    for read in readers:  # each child says when it accepts
        with os.fdopen(read, "rb") as pipe:
            pipe.readline()
    on_ready(port, sorted(children))
    while not stop.is_set():
        stop.wait(0.2)
        with contextlib.suppress(ChildProcessError):
            while True:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                index = children.pop(pid, None)
                if index is None or stop.is_set():
                    continue
                log.error("mail receiver process %s ended (status %s); starting it again",
                          pid, status)  # fmt: skip
                counts[index] = AWAY  # the others accept meanwhile
                time.sleep(RESPAWN_PAUSE)
                new, read = spawn(index, respawned=True)
                os.close(read)
                children[new] = index
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    sock.close()
