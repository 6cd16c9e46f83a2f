"""The benchmarks' lean SMTP sink (bench/smtp_sink.py) speaks SMTP correctly.

It stands in for the downstream MTA in the outbox benchmarks, so a sink that took a
malformed conversation, lost a message or mis-read a dot would make their exactly-once
checks and per-recipient figures wrong. Checked with smtplib and with a raw pipelined
conversation (RFC 2920) cut into pieces at awkward places.
"""

from __future__ import annotations

import importlib.util
import smtplib
import socket
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "smtp_sink.py"
_spec = importlib.util.spec_from_file_location("bench_smtp_sink", _PATH)
assert _spec is not None and _spec.loader is not None
bench_sink = importlib.util.module_from_spec(_spec)
sys.modules["bench_smtp_sink"] = bench_sink
_spec.loader.exec_module(bench_sink)


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    running = bench_sink.LeanSink(keep=True).start()
    yield running
    running.stop()


BODY = (
    b"Message-ID: <one@example.test>\r\nSubject: dots\r\n\r\n"
    b".leading dot\r\n..two dots\r\n.\r\nafter a lone dot line\r\n"
)


def test_smtplib_delivers_with_dot_lines_intact(sink) -> None:  # type: ignore[no-untyped-def]
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("pipelining")
        refused = client.sendmail("from@example.test", ["a@example.test", "b@example.test"], BODY)
        assert refused == {}
        client.sendmail(
            "from@example.test", ["c@example.test"], b"Message-ID: <two@x>\r\n\r\nhi\r\n"
        )
    assert sink.tally.messages == 2
    assert sink.tally.recipients == 3
    assert sink.tally.message_ids == [b"<one@example.test>", b"<two@x>"]
    sender, rcpts, data = sink.tally.kept[0]
    assert (sender, rcpts) == ("from@example.test", ["a@example.test", "b@example.test"])
    assert data == BODY  # smtplib dot-stuffed it; the sink unstuffed it


def _answers(conn: socket.socket, count: int) -> list[bytes]:
    """Read until ``count`` complete (final-line) answers have arrived."""
    got = b""
    while True:
        lines = got.split(b"\r\n")[:-1]
        finals = [line for line in lines if line[3:4] == b" "]
        if len(finals) >= count:
            return finals
        chunk = conn.recv(65536)
        assert chunk, f"connection closed after {finals}"
        got += chunk


def test_pipelined_group_split_anywhere(sink) -> None:  # type: ignore[no-untyped-def]
    rcpts = [f"eng{i}@example.test" for i in range(60)]
    group = b"MAIL FROM:<desk@example.test>\r\n"
    group += b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) + b"DATA\r\n"
    stuffed = BODY.replace(b"\r\n.", b"\r\n..")
    second = b"MAIL FROM:<desk@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n"
    stream = group + stuffed + b".\r\n" + second + b".\r\n" + b"QUIT\r\n"
    with socket.create_connection(("127.0.0.1", sink.port), timeout=10) as conn:
        assert _answers(conn, 1)[0].startswith(b"220")
        conn.sendall(b"EHLO client.example.test\r\n")
        assert _answers(conn, 1)[0].startswith(b"250 ")
        for start in range(0, len(stream), 7):  # pieces that cut lines and dots apart
            conn.sendall(stream[start : start + 7])
        finals = _answers(conn, 1 + 60 + 1 + 1 + 1 + 1 + 1 + 1 + 1)
    assert [a[:3] for a in finals] == (
        [b"250"] * 61 + [b"354", b"250"] + [b"250", b"250", b"354", b"250", b"221"]
    )
    assert sink.tally.messages == 2
    assert sink.tally.recipients == 61
    assert sink.tally.kept[0][1] == rcpts
    assert sink.tally.kept[0][2] == BODY
    assert sink.tally.kept[1][2] == b""  # an empty message: DATA, then the dot at once


def test_commands_out_of_order_are_refused(sink) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", sink.port), timeout=10) as conn:
        _answers(conn, 1)
        conn.sendall(b"MAIL FROM:<a@x>\r\n")  # before HELO
        conn.sendall(b"HELO c\r\nRCPT TO:<b@x>\r\nDATA\r\nMAIL FROM:<a@x>\r\nDATA\r\n")
        conn.sendall(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRSET\r\nDATA\r\nBOGUS\r\nNOOP\r\n")
        codes = [a[:3] for a in _answers(conn, 12)]
    assert codes == [
        b"503",  # MAIL before HELO
        b"250",  # HELO
        b"503",  # RCPT without MAIL
        b"503",  # DATA without MAIL
        b"250",  # MAIL
        b"554",  # DATA without a recipient
        b"503",  # a second MAIL in the same transaction
        b"250",  # RCPT
        b"250",  # RSET ends the transaction ...
        b"503",  # ... so DATA has no MAIL
        b"500",  # unknown command
        b"250",  # NOOP
    ]
    assert sink.tally.messages == 0
