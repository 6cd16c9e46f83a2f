"""The SMTP/LMTP receiver (aiosmtpd): our MTA hands mail over to it (E2, E3, rule 6).

Each DATA is stored (bytes fsynced, row committed) in a worker thread — the ORM is
synchronous — and only then answered ``250``; if storing fails the sender gets ``451``
and retries, so a message is never acknowledged before it is safe. Processing runs
right after storing, in the same thread: its failures quarantine the message, they
never turn into an SMTP error; should processing fail outright, the stored message is
handed to ``casedesk worker`` at once (``mail.tasks``), and a message whose receiver was
killed before processing is picked up by the ``mail.process`` deadline stored with it.
The size limit is advertised (``SIZE``) and enforced (``552``) by aiosmtpd before
anything is stored. It accepts every recipient and relays nothing; bind it to loopback
behind the MTA (default ``127.0.0.1:2525``).

A message delivered again (the MTA retrying after a lost ``250``) is answered ``250`` and
stored and appended once (``mail_store`` finds it by Message-ID). Lines up to
``LINE_LIMIT`` are accepted: Outlook writes HTML lines far over RFC 5321's 1,000, and a
``500 Line too long`` is permanent, so the sender's MTA would bounce the mail.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.db import close_old_connections

from casedesk.core import clock

from .parsing import mail_limits
from .services import mail_process, mail_store

log = logging.getLogger(__name__)

LINE_LIMIT = 1024 * 1024  # bytes per line, CRLF included (RFC 5321 says 1,000)


class _SMTP(SMTP):
    line_length_limit = LINE_LIMIT


class _LMTP(LMTP):
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


class InboundHandler:
    """aiosmtpd handler: store, answer, process."""

    def __init__(self, *, source: str = "smtp", threads: int = 4) -> None:
        self.source = source
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="casedesk-mail")

    def _store_and_process(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        close_old_connections()
        try:
            message = mail_store(
                raw=raw,
                source=self.source,
                envelope_from=(mail_from or "").strip().strip("<>"),  # MAIL FROM:<> → ""
                envelope_to=rcpt_tos,
                now=clock.now(),
            )
        finally:
            close_old_connections()
        try:
            mail_process(message_id=message.pk, now=clock.now())
        except Exception:  # stored: the worker processes it (mail.tasks)
            log.exception("inbound message %s stored but not processed", message.pk)
            close_old_connections()
            _hand_to_worker(message.pk)
        finally:
            close_old_connections()

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self.executor,
                self._store_and_process,
                raw,
                envelope.mail_from,
                list(envelope.rcpt_tos),
            )
        except Exception:
            log.exception("could not store an inbound message")
            status = "451 4.3.0 The message could not be stored; please try again later"
        else:
            status = "250 2.0.0 Message accepted"
        # LMTP answers DATA once per recipient (RFC 2033); the message is stored once.
        count = len(envelope.rcpt_tos) if isinstance(server, LMTP) else 1
        return "\r\n".join([status] * max(count, 1))


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
        self.handler.executor.shutdown(wait=True)


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
