"""Issue 17, item 2 (E2, rule 6): the receiver reads DATA in large pieces. Over real
sockets, whatever a client sends must give the bytes and the answer aiosmtpd's own
line-by-line reader gives — stuffed dots, a "." line inside the mail, lines ending in a
period, bare LFs, the size limit (552), over-long lines (500) — also when the pieces
break between CR and LF of the terminating line (a tiny reader limit forces that)."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casedesk.mail.smtp_data import FastData

LIMIT = 64  # the reader's limit and the longest line: pieces end anywhere


class _Capture:
    def __init__(self) -> None:
        self.content: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.content.append(envelope.original_content)
        return "250 OK"


class _Stock(SMTP):
    line_length_limit = LIMIT


class _Fast(FastData, SMTP):
    line_length_limit = LIMIT


class _Server(Controller):
    def __init__(self, server_class: type[SMTP]) -> None:
        self.server_class = server_class
        super().__init__(_Capture(), hostname="127.0.0.1", port=0, data_size_limit=600)

    def factory(self) -> SMTP:
        return self.server_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="module")
def servers():
    pair = [_Server(_Stock), _Server(_Fast)]
    for server in pair:
        server.start()
    yield pair
    for server in pair:
        server.stop()


def _send(server: _Server, body: bytes) -> tuple[int, bytes | None]:
    before = len(server.handler.content)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
        try:
            client.sendmail("a@x.example", ["b@y.example"], body)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            return exc.smtp_code, None
        # the session goes on: a second message after the first is read as one
        client.sendmail("a@x.example", ["b@y.example"], b"Subject: next\r\n\r\nsecond\r\n")
    got = server.handler.content[before:]
    assert got[1] == b"Subject: next\r\n\r\nsecond\r\n"
    return 250, got[0]


LINES = st.sampled_from(
    [
        b".",
        b"..",
        b"...",
        b".x",
        b"x.",
        b"end.",
        b"",
        b"plain",
        b"\n",
        b"a\rb",
        b"=" * 60,
        b"A" * 61,
        b"B" * 70,
        b". ",
        b"\r",
    ]
)


@settings(max_examples=120, deadline=None)
@given(st.lists(LINES, max_size=40), st.booleans())
def test_fast_data_reads_what_aiosmtpd_reads(servers, lines, final_eol):
    stock, fast = servers
    body = b"\r\n".join(lines) + (b"\r\n" if final_eol else b"")
    # Over the size limit AND with an over-long line, aiosmtpd answers whichever it met
    # first (500 or 552) and FastData 552: both permanent. Each alone is compared here.
    assume(len(body) <= 560)
    assert _send(fast, body) == _send(stock, body)


@pytest.mark.parametrize(
    "body",
    [
        b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend.\r\n",
        b".starts with a dot\r\n",
        b"x" * 590 + b"\r\n",  # 552: over the 600-byte limit once the CRLF is counted
        b"y" * 100 + b"\r\n",  # 500: a line over the limit
        b"ok\r\n" + b"z" * 40 + b"\r\n" * 3,
    ],
)
def test_edge_messages_read_the_same(servers, body):
    stock, fast = servers
    assert _send(fast, body) == _send(stock, body)
