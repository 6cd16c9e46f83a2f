"""A lean SMTP sink for the benchmarks: the downstream MTA's stand-in, cheap per recipient.

The outbox benchmarks send to a local SMTP server in its own process and report its CPU
separately. aiosmtpd (``tests.notifications.smtp_sink``) costs ~65 µs of Python per
command — with a new case's notice going to ~60 engineers as envelope recipients, the
sink cost more CPU than the product. This one is an ``asyncio.Protocol`` that reads
whatever arrived, answers every complete command in it and writes the answers in one
go, so a pipelined group (RFC 2920) — MAIL, 60 RCPT TO, DATA — costs one read and one
write. It speaks EHLO/HELO, MAIL, RCPT, DATA (dot-terminated, dot-unstuffed), RSET,
NOOP, VRFY and QUIT, keeps command order (a RCPT without MAIL is 503, DATA without a
recipient 554), and counts messages, envelope recipients and each message's
Message-ID, so the benchmarks can still check that every message arrived exactly once.

``--sink aiosmtpd`` in the benchmarks keeps the old sink for comparison;
``run_sink_process`` is the process body both kinds share.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_LINE = 4096  # a command line longer than this is refused and the connection closed
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)
_ADDRESS = re.compile(rb" *<([^<>]*)>")  # used with match(line, pos)


def message_id(data: bytes) -> bytes:
    """The Message-ID header of a message (searched in its header block only)."""
    end = data.find(b"\r\n\r\n")
    found = _MESSAGE_ID.search(data, 0, len(data) if end < 0 else end + 2)
    return found[1] if found else b""


@dataclass
class Tally:
    """What the sink accepted: counts, Message-IDs and (``keep``) the messages themselves."""

    keep: bool = False
    messages: int = 0
    recipients: int = 0
    connections: int = 0
    message_ids: list[bytes] = field(default_factory=list)
    kept: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    def accept(self, sender: str, rcpts: list[str], data: bytes) -> None:
        self.messages += 1
        self.recipients += len(rcpts)
        self.message_ids.append(message_id(data))
        if self.keep:
            self.kept.append((sender, rcpts, data))


class SinkProtocol(asyncio.Protocol):
    """One SMTP session; answers are gathered per read and written at once."""

    def __init__(self, tally: Tally, pipelining: bool = True) -> None:
        self.tally = tally
        self.pipelining = pipelining
        self.buf = b""
        self.in_data = False
        self.scan_from = 0  # where to look for the end of DATA next
        self.greeted = False
        self.sender: str | None = None
        self.rcpts: list[str] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.tally.connections += 1
        self.transport.write(b"220 sink ESMTP ready\r\n")  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        pos, size = 0, len(buf)
        out: list[bytes] = []
        closing = False
        while pos < size and not closing:
            if self.in_data:
                taken = self._take_data(buf, pos, out)
                if taken < 0:
                    break
                pos = taken
                continue
            end = buf.find(b"\n", pos)
            if end < 0:
                if size - pos > MAX_LINE:
                    out.append(b"500 5.5.2 Line too long\r\n")
                    closing = True
                break
            line = buf[pos:end]
            pos = end + 1
            closing = self._command(line[:-1] if line.endswith(b"\r") else line, out)
        self.buf = buf[pos:] if pos < size else b""
        if out:
            self.transport.write(b"".join(out))  # type: ignore[union-attr]
        if closing:
            self.transport.close()  # type: ignore[union-attr]

    def _take_data(self, buf: bytes, pos: int, out: list[bytes]) -> int:
        """Finish the message if its end-of-data dot has arrived: the position after it,
        or -1 to wait for more."""
        if buf.startswith(b".\r\n", pos):  # an empty message
            body, after = b"", pos + 3
        else:
            end = buf.find(b"\r\n.\r\n", max(pos, self.scan_from))
            if end < 0:
                self.scan_from = max(0, len(buf) - 4) - pos  # relative to the kept tail
                return -1
            body, after = buf[pos : end + 2], end + 5
        # Dot-unstuffing (RFC 5321 4.5.2): a line's leading dot was doubled by the client.
        body = body.replace(b"\r\n..", b"\r\n.")
        if body.startswith(b".."):
            body = body[1:]
        self.tally.accept(self.sender or "", self.rcpts, body)
        self.in_data, self.scan_from, self.sender, self.rcpts = False, 0, None, []
        out.append(b"250 2.0.0 Message accepted for delivery\r\n")
        return after

    def _command(self, line: bytes, out: list[bytes]) -> bool:
        """Answer one command line; True when the connection is to close."""
        verb = line[:4].upper()
        if verb == b"RCPT":
            if line[4:8].upper() != b" TO:":
                out.append(b"501 5.5.4 Syntax: RCPT TO:<address>\r\n")
            elif self.sender is None:
                out.append(b"503 5.5.1 Error: need MAIL command\r\n")
            elif (address := _ADDRESS.match(line, 8)) is None:
                out.append(b"501 5.5.4 Syntax: RCPT TO:<address>\r\n")
            else:
                self.rcpts.append(address[1].decode("utf-8", "replace"))
                out.append(b"250 2.1.5 OK\r\n")
        elif verb == b"MAIL":
            if line[4:10].upper() != b" FROM:":
                out.append(b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
            elif not self.greeted:
                out.append(b"503 5.5.1 Error: send HELO first\r\n")
            elif self.sender is not None:
                out.append(b"503 5.5.1 Error: nested MAIL command\r\n")
            elif (address := _ADDRESS.match(line, 10)) is None:
                out.append(b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
            else:
                self.sender, self.rcpts = address[1].decode("utf-8", "replace"), []
                out.append(b"250 2.1.0 OK\r\n")
        elif verb == b"DATA" and len(line) == 4:
            if self.sender is None:
                out.append(b"503 5.5.1 Error: need MAIL command\r\n")
            elif not self.rcpts:
                out.append(b"554 5.5.1 Error: no valid recipients\r\n")
            else:
                self.in_data = True
                out.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"EHLO" or verb == b"HELO":
            if len(line) < 6 or not line[5:].strip():
                out.append(b"501 5.5.4 Syntax: " + verb + b" hostname\r\n")
                return False
            self.greeted, self.sender, self.rcpts = True, None, []
            if verb == b"HELO":
                out.append(b"250 sink\r\n")
            else:
                extensions = [b"sink", b"8BITMIME", b"SMTPUTF8", b"SIZE 33554432"]
                if self.pipelining:
                    extensions.append(b"PIPELINING")
                last = len(extensions) - 1
                out += [
                    b"250" + (b" " if i == last else b"-") + ext + b"\r\n"
                    for i, ext in enumerate(extensions)
                ]
        elif verb == b"RSET" and len(line) == 4:
            self.sender, self.rcpts = None, []
            out.append(b"250 2.0.0 OK\r\n")
        elif verb == b"NOOP":
            out.append(b"250 2.0.0 OK\r\n")
        elif verb == b"QUIT" and len(line) == 4:
            out.append(b"221 2.0.0 Bye\r\n")
            return True
        elif verb == b"VRFY":
            out.append(b"252 2.0.0 Cannot VRFY user\r\n")
        else:
            out.append(b"500 5.5.2 Error: command not recognized\r\n")
        return False


class LeanSink:
    """The sink on 127.0.0.1, an ephemeral port, its event loop in a daemon thread."""

    def __init__(self, *, pipelining: bool = True, keep: bool = False) -> None:
        self.tally = Tally(keep=keep)
        self.pipelining = pipelining
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> LeanSink:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            self._loop.create_server(
                lambda: SinkProtocol(self.tally, self.pipelining), "127.0.0.1", 0
            ),
            self._loop,
        ).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            self._server.close_clients()  # type: ignore[attr-defined]  # Python 3.13+
            await self._server.wait_closed()

        if self._server is not None:
            # No close_clients before 3.13: stopping the loop leaves them to the process.
            with contextlib.suppress(AttributeError):
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def run_sink_process(
    kind: str, port_queue: Any, stop: Any, result: Any = None, pipelining: bool = True
) -> None:
    """A sink process's body: start ``kind`` ("lean" or "aiosmtpd"), hand back its port,
    wait for ``stop``, then put ``(messages, distinct Message-IDs, recipients)`` on
    ``result``."""
    if kind == "aiosmtpd":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.notifications.smtp_sink import start_sink

        controller, handler = start_sink()
        handler.pipelining = pipelining
        port_queue.put(controller.port)
        stop.wait()
        controller.stop()
        ids = [message_id(r.data) for r in handler.messages]
        recipients = sum(len(r.rcpt_tos) for r in handler.messages)
    elif kind == "lean":
        sink = LeanSink(pipelining=pipelining).start()
        port_queue.put(sink.port)
        stop.wait()
        sink.stop()
        ids, recipients = sink.tally.message_ids, sink.tally.recipients
    else:
        raise ValueError(f"unknown sink {kind!r}")
    if result is not None:
        result.put((len(ids), len(set(ids)), recipients))


SINKS = ("lean", "aiosmtpd")
