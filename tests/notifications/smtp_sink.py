"""A real SMTP server for tests and the outbox benchmark: aiosmtpd on an ephemeral port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: set[str] = field(default_factory=set)  # RCPT TO answered 550 (permanent)
    defer: set[str] = field(default_factory=set)  # RCPT TO answered 450 (try again later)
    # ``hold()``: the next DATA waits (its sender blocked mid-send, as in an I/O stall) until
    # ``release()``; ``holding`` is set while it waits. Other sessions go on meanwhile.
    holding: threading.Event = field(default_factory=threading.Event)
    _gate: threading.Event | None = None  # armed by hold(), taken by the next DATA
    _gates: list[threading.Event] = field(default_factory=list)
    # aiosmtpd reads commands strictly in order, so it takes pipelined commands (RFC 2920)
    # though it does not say so; the sink says so unless ``pipelining`` is off.
    pipelining: bool = True
    # Drop the connection (no answer) at the DATA after this many accepted messages.
    drop_after: int | None = None
    connections: int = 0
    refuse_sender: bool = False

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.refuse_sender:
            return "550 5.7.1 Sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        self.connections += 1
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    def hold(self) -> None:
        self._gate = threading.Event()
        self._gates.append(self._gate)

    def release(self) -> None:
        for gate in self._gates:
            gate.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        if address.lower() in self.defer:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            self.drop_after = None
            server.transport.close()  # mid-DATA: the message is neither accepted nor refused
            return "421 4.3.0 closing"
        gate, self._gate = self._gate, None
        if gate is not None:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, gate.wait)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


class EphemeralController(Controller):
    """Binds port 0; the real port is read back before aiosmtpd's readiness probe."""

    def __init__(self, handler: SinkHandler) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_sink() -> tuple[EphemeralController, SinkHandler]:
    handler = SinkHandler()
    controller = EphemeralController(handler)
    controller.start()
    return controller, handler
