"""One SMTP session kept open across messages and pump ticks, pipelined (RFC 2920; E1).

``smtplib`` waits for the answer to every command: MAIL, RCPT, DATA and the message each
cost a round trip, four per message. With the server's ``PIPELINING`` extension this
session writes a message's content, its end-of-data dot and the next message's MAIL, RCPT
and DATA in one go and then reads the answers, so each message costs one round trip and a
couple of system calls. Without the extension it talks command by command, as smtplib
does.

The point of no return is the content: it is written only after the server said 354 to
DATA *and* ``may_send(item)`` said yes (the outbox's claim re-check, right before the
bytes go out). A "no" there closes the connection, the only way to abandon a DATA the
server has already accepted, so nothing is delivered for that item.

A message counts as delivered only when the server's 250 to its content has been read —
to the recipients the server took: a message with several RCPT TO that the server
refused for some and accepted for others goes to those others, and the refusals are
handed back on the item (``Outgoing.refused``) for the caller to record.
A connection that breaks raises out of ``deliver``: the item whose content was written
but whose answer never came is *not* delivered as far as the caller knows (it may go out
again, with the same Message-ID), and nothing after it was sent.

Sessions are set up by Django's own SMTP backend (``EMAIL_HOST``, ``EMAIL_USE_TLS`` /
``EMAIL_USE_SSL``, login, timeout): only the transactions differ. ``session_for`` keeps
one per thread and settings, checks it with a NOOP before reusing it, and drops it after
``IDLE_SECONDS`` without use.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

IDLE_SECONDS = 30.0


@dataclass
class Outgoing:
    """One message on the wire: envelope and the finished, dot-stuffed DATA bytes."""

    key: Any
    sender: str
    recipients: list[str]
    data: bytes  # CRLF line endings, dot-stuffed, ending in CRLF (without the final dot)
    # Filled by the session: recipients the server refused while it took the others.
    refused: dict[str, tuple[int, bytes]] = field(default_factory=dict)


class ClaimLostError(Exception):
    """``may_send`` refused an item at the point of no return; nothing of it was sent."""


class SmtpSession:
    """An open, greeted (EHLO, STARTTLS, login as configured) SMTP connection."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self.smtp: smtplib.SMTP = backend.connection  # type: ignore[assignment]
        self.smtp.ehlo_or_helo_if_needed()
        self.pipelining = self.smtp.has_extn("pipelining")
        self.used_at = time.monotonic()
        self.broken = False

    @classmethod
    def open(cls) -> SmtpSession:
        backend = get_connection(fail_silently=False)
        if not isinstance(backend, SmtpBackend):
            raise TypeError("SmtpSession needs Django's SMTP e-mail backend")
        backend.open()
        try:
            return cls(backend)
        except Exception:
            backend.close()
            raise

    def alive(self) -> bool:
        """One NOOP round trip: does the server still answer on this connection?"""
        try:
            return self.smtp.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    def close(self) -> None:
        self.broken = True
        try:
            self.backend.close()
        except Exception:  # a broken connection may fail to close
            self.backend.connection = None

    # -- the wire --------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        try:
            self.smtp.send(data)
        except Exception:
            self.broken = True
            raise

    def _reply(self) -> tuple[int, bytes]:
        """The next answer, as ``smtplib.SMTP.getreply`` reads it, with less work per
        line: a new case's notice has ~60 RCPT TO answers."""
        file = self.smtp.file
        if file is None:  # nothing read yet on this connection: smtplib sets it up
            try:
                return self.smtp.getreply()
            except Exception:
                self.broken = True
                raise
        texts = []
        while True:
            try:
                line = file.readline(smtplib._MAXLINE + 1)
            except OSError as exc:
                self.broken = True
                self.smtp.close()
                msg = f"Connection unexpectedly closed: {exc}"
                raise smtplib.SMTPServerDisconnected(msg) from exc
            if not line:
                self.broken = True
                self.smtp.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if len(line) > smtplib._MAXLINE:
                self.broken = True
                self.smtp.close()
                raise smtplib.SMTPResponseException(500, "Line too long.")
            texts.append(line[4:].strip(b" \t\r\n"))
            if line[3:4] != b"-":
                break
        code = line[:3]
        return (int(code) if code.isdigit() else -1), b"\n".join(texts)

    @staticmethod
    def _envelope(item: Outgoing) -> bytes:
        lines = [f"MAIL FROM:<{item.sender}>"]
        lines += [f"RCPT TO:<{rcpt}>" for rcpt in item.recipients]
        lines.append("DATA")
        for line in lines:
            if "\r" in line or "\n" in line:
                raise ValueError("line break in an SMTP envelope address")
        return ("\r\n".join(lines) + "\r\n").encode("ascii")

    def _envelope_answers(self, item: Outgoing, written: bool) -> Exception | None:
        """Read (or, without pipelining, exchange) MAIL, RCPT… and DATA; the refusal, if any.
        Recipients refused while others were taken are left on ``item.refused``.

        After a refusal the transaction is reset, so the session stays usable."""
        if written:  # pipelined: MAIL, every RCPT and DATA are on the wire already
            answers = [self._reply() for _ in range(len(item.recipients) + 2)]
        else:
            answers = []
            for command in self._envelope(item).split(b"\r\n")[:-1]:
                if answers and answers[0][0] != 250:  # one by one: stop at a refused MAIL
                    answers.append((503, b"not sent: MAIL was refused"))
                    continue
                self._write(command + b"\r\n")
                answers.append(self._reply())
        mail, rcpts, data = answers[0], answers[1:-1], answers[-1]
        error: Exception | None = None
        refused = {
            r: (code, msg)
            for r, (code, msg) in zip(item.recipients, rcpts, strict=True)
            if code not in (250, 251)
        }
        if mail[0] != 250:
            error = smtplib.SMTPSenderRefused(mail[0], mail[1], item.sender)
        elif len(refused) == len(item.recipients):
            error = smtplib.SMTPRecipientsRefused(refused)
        elif data[0] != 354:
            error = smtplib.SMTPDataError(*data)
        if error is None:
            item.refused = refused
            return None
        if data[0] == 354:  # a server that took DATA anyway gets an empty, ignored message
            self._write(b".\r\n")
            self._reply()
        self._write(b"RSET\r\n")
        self._reply()
        return error

    def deliver(
        self, items: Iterable[Outgoing], may_send: Callable[[Outgoing], bool]
    ) -> Iterator[tuple[Outgoing, Exception | None]]:
        """Send ``items`` in order, yielding ``(item, None)`` once the server accepted one
        and ``(item, error)`` for a refusal. A broken connection raises; ``may_send``
        saying no yields ``ClaimLostError`` for that item, closes the session and stops."""
        queue = iter(items)
        current = next(queue, None)
        if current is None:
            return
        if self.pipelining:
            self._write(self._envelope(current))
        while current is not None:
            self.used_at = time.monotonic()
            refusal = self._envelope_answers(current, written=self.pipelining)
            if refusal is not None:
                yield current, refusal
                current = next(queue, None)
                if current is not None and self.pipelining:
                    self._write(self._envelope(current))
                continue
            if not may_send(current):
                self.close()  # abandons the accepted DATA: the server discards it
                yield current, ClaimLostError()
                return
            following = next(queue, None)
            out = current.data + b".\r\n"
            if following is not None and self.pipelining:
                out += self._envelope(following)
            self._write(out)
            code, text = self._reply()
            yield current, None if code == 250 else smtplib.SMTPDataError(code, text)
            current = following


_local = threading.local()


def _settings_key() -> tuple[Any, ...]:
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
    )


def smtp_configured() -> bool:
    """Whether mail goes out over SMTP (the pipelined path) rather than another backend."""
    backend = settings.EMAIL_BACKEND
    return backend == "django.core.mail.backends.smtp.EmailBackend"


def session_for() -> SmtpSession:
    """This thread's open session for the current settings, checked or opened afresh."""
    key = _settings_key()
    session: SmtpSession | None = getattr(_local, "session", None)
    if session is not None:
        stale = time.monotonic() - session.used_at >= IDLE_SECONDS
        if session.broken or getattr(_local, "key", None) != key or stale or not session.alive():
            session.close()
            session = None
    if session is None:
        session = SmtpSession.open()
        _local.session, _local.key = session, key
    return session


def session_release(*, idle: bool = False) -> None:
    """Close this thread's session if it is broken, or (``idle``) unused for a while."""
    session: SmtpSession | None = getattr(_local, "session", None)
    if session is None:
        return
    if session.broken or (idle and time.monotonic() - session.used_at >= IDLE_SECONDS):
        session.close()
        _local.session = None
