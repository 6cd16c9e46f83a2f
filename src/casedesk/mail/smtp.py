"""The SMTP/LMTP receiver (aiosmtpd): our MTA hands mail over to it (E2, E3, rule 6).

Group commit (issue 17, item 2): each DATA is queued to one storing thread, which takes
every message waiting, writes and fsyncs each one's raw bytes, and commits all their rows
in one transaction (``mail_store_batch``); only then is each DATA answered ``250``. If
storing fails the senders get ``451`` and retry, so a message is never acknowledged
before it is safe. Stored messages go on to processing threads, which route them in
batches (``mail_process_batch``) after the ``250``: a message stored but not yet
processed when the receiver is killed is processed by the ``mail.process`` deadline
stored with it, or at the receiver's next start. The queue between the two is bounded:
when processing falls behind, the ``250`` waits for room (back-pressure on the MTA).
One processing thread by default: the work is Python under one GIL; more cores take more
processes (``mail.processes``, ``casedesk mail-receiver --processes N``), whose batches lock
the cases they touch in id order, so they never deadlock on them. Should
processing fail outright, the messages are handed to ``casedesk worker`` at once
(``mail.tasks``). ``wait_processed()`` returns once everything acknowledged is processed.

The size limit is advertised (``SIZE``) and enforced (``552``) by aiosmtpd before
anything is stored. It accepts every recipient and relays nothing; bind it to loopback
behind the MTA (default ``127.0.0.1:2525``).

A message delivered again (the MTA retrying after a lost ``250``) is answered ``250`` and
stored and appended once (found by its ``message_key``). Lines up to ``LINE_LIMIT`` are
accepted: Outlook writes HTML lines far over RFC 5321's 1,000, and a ``500 Line too
long`` is permanent, so the sender's MTA would bounce the mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.db import close_old_connections, connections

from casedesk.core import clock

from .parsing import mail_limits
from .services.batching import Incoming, mail_process_batch, mail_store_batch
from .smtp_data import FastData

log = logging.getLogger(__name__)

LINE_LIMIT = 1024 * 1024  # bytes per line, CRLF included (RFC 5321 says 1,000)
QUIT_WAIT = 60.0  # seconds QUIT waits for the session's messages to be processed


class _Counted(SMTP):
    """Calls ``casedesk_on_lost`` when the session ends (the receiver processes count their
    sessions to share them out, ``mail.processes``)."""

    casedesk_on_lost: Any = None

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        if self.casedesk_on_lost is not None:
            self.casedesk_on_lost()


class _SMTP(FastData, _Counted, SMTP):
    line_length_limit = LINE_LIMIT


class _LMTP(FastData, _Counted, LMTP):
    line_length_limit = LINE_LIMIT


def _hand_to_worker(message_id: int) -> None:
    """Queue a stored message whose processing failed for ``casedesk worker``; should even
    that fail, the receiver's next start processes it (``mail_process_pending``)."""
    from .tasks import mail_process_stored

    try:
        mail_process_stored.enqueue(message_id)
    except Exception:
        log.exception(
            "inbound message %s: not queued either; processed at the next start", message_id
        )


_STOP = object()


class InboundHandler:
    """aiosmtpd handler: queue to the storing thread, answer after the commit; processing
    threads route what was stored."""

    def __init__(
        self,
        *,
        source: str = "smtp",
        threads: int = 1,
        batch: int = 64,
        batch_bytes: int = 32 * 1024 * 1024,
        backlog: int = 512,
    ) -> None:
        self.source = source
        self.batch = batch
        self.batch_bytes = batch_bytes
        self._incoming: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stored: queue.Queue[Any] = queue.Queue(maxsize=backlog)
        self._threads = [threading.Thread(target=self._store_loop, name="casedesk-mail-store")]
        self._threads += [
            threading.Thread(target=self._process_loop, name=f"casedesk-mail-process-{n}")
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    # -- the event loop side

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        done, processed = loop.create_future(), loop.create_future()
        waiting = [f for f in getattr(session, "casedesk_processing", ()) if not f.done()]
        session.casedesk_processing = [*waiting, processed]
        incoming = Incoming(
            raw=raw,
            source=self.source,
            envelope_from=(envelope.mail_from or "").strip().strip("<>"),  # MAIL FROM:<> → ""
            envelope_to=list(envelope.rcpt_tos),
        )
        self._incoming.put((incoming, loop, done, processed))
        if await done:
            status = "250 2.0.0 Message accepted"
        else:
            status = "451 4.3.0 The message could not be stored; please try again later"
        # LMTP answers DATA once per recipient (RFC 2033); the message is stored once.
        count = len(envelope.rcpt_tos) if isinstance(server, LMTP) else 1
        return "\r\n".join([status] * max(count, 1))

    async def handle_QUIT(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        """``221`` once this session's messages are processed (bounded wait): a sender that
        quits sees its mail routed (the demo, the tests); the MTA has its 250s already."""
        waiting = [f for f in getattr(session, "casedesk_processing", ()) if not f.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=QUIT_WAIT)
        return "221 Bye"

    # -- the storing thread

    def _take(self, first: Any) -> tuple[list[Any], bool]:
        """``first`` and whatever else is waiting, up to the batch limits; True at stop."""
        batch, size = [first], len(first[0].raw)
        while len(batch) < self.batch and size < self.batch_bytes:
            try:
                item = self._incoming.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
            size += len(item[0].raw)
        return batch, False

    def _store_loop(self) -> None:
        checked = 0.0
        stopping = False
        while not stopping:
            first = self._incoming.get()
            if first is _STOP:
                break
            batch, stopping = self._take(first)
            if time.monotonic() - checked > 1.0:  # at most once a second, not per message
                close_old_connections()
                checked = time.monotonic()
            try:
                rows = mail_store_batch([entry[0] for entry in batch], now=clock.now())
            except Exception:
                log.exception("could not store %s inbound message(s)", len(batch))
                close_old_connections()
                checked = time.monotonic()
                self._answer(batch, ok=False)
                _settle_all([(loop, processed) for _, loop, _, processed in batch])
                continue
            for (item, loop, _, processed), row in zip(batch, rows, strict=True):
                self._stored.put((row, item.raw, loop, processed))  # waits if processing lags
            self._answer(batch, ok=True)
        for _ in self._threads[1:]:
            self._stored.put(_STOP)
        connections.close_all()  # this thread's connections: the thread ends here

    @staticmethod
    def _answer(batch: list[Any], *, ok: bool) -> None:
        for _, loop, done, _ in batch:
            # the server's loop may be gone: then no answer, and the MTA retries
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, done, ok)

    # -- the processing threads

    def _process_loop(self) -> None:
        checked = 0.0
        while True:
            first = self._stored.get()
            if first is _STOP:
                self._stored.task_done()
                break
            batch = [first]
            stop = False
            while len(batch) < self.batch:
                try:
                    item = self._stored.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            if time.monotonic() - checked > 1.0:
                close_old_connections()
                checked = time.monotonic()
            unique = list({row.pk: (row, raw) for row, raw, _, _ in batch}.values())
            try:
                mail_process_batch(unique, now=clock.now())
            except Exception:  # stored: the worker processes them (mail.tasks)
                log.exception("%s inbound message(s) stored but not processed", len(unique))
                close_old_connections()
                checked = time.monotonic()
                for row, _ in unique:
                    _hand_to_worker(row.pk)
            _settle_all([(loop, processed) for _, _, loop, processed in batch])
            for _ in batch:
                self._stored.task_done()
            if stop:
                self._stored.task_done()
                break
        connections.close_all()  # this thread's connections: the thread ends here

    def wait_processed(self) -> None:
        """Block until every message answered so far is processed (tests, shutdown)."""
        self._stored.join()

    def close(self) -> None:
        """Store and process what was queued, then end the threads."""
        self._incoming.put(_STOP)
        for thread in self._threads:
            thread.join()


def _settle(done: asyncio.Future[bool], ok: bool) -> None:
    if not done.done():
        done.set_result(ok)


def _settle_all(futures: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[bool]]]) -> None:
    for loop, future in futures:
        with contextlib.suppress(RuntimeError):  # the server's loop may be gone
            loop.call_soon_threadsafe(_settle, future, True)


class ReceiverController(Controller):
    """aiosmtpd's threaded controller; port 0 binds a free port (``.port`` tells which)."""

    def __init__(self, handler: InboundHandler, *, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        server_class = _LMTP if self.lmtp else _SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def stop(self, *args: Any, **kwargs: Any) -> None:
        super().stop(*args, **kwargs)
        self.handler.close()

    def wait_processed(self) -> None:
        self.handler.wait_processed()


def start_receiver(
    *, host: str = "127.0.0.1", port: int = 2525, lmtp: bool = False, max_bytes: int | None = None
) -> ReceiverController:
    """Start the receiver in its own thread; ``.stop()`` ends it."""
    limit = max_bytes or mail_limits().max_bytes
    controller = ReceiverController(
        InboundHandler(source="lmtp" if lmtp else "smtp"),
        lmtp=lmtp,
        hostname=host,
        port=port,
        data_size_limit=limit,
        enable_SMTPUTF8=True,
        ident="casedesk mail receiver",
    )
    controller.start()
    return controller
