"""Issue 17, item 2 (rules 2, 6): long base64 runs are set aside before the stdlib parser
and put back afterwards. The parse must be exactly the one without the shortcut — same
structure, headers, defects, bodies and attachment bytes — on every corpus message, on
attachment shapes placed where a parser could be fooled, and on generated messages."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.mail import setaside
from casedesk.mail.parsing import MailRejected, parse_message

CORPUS = Path(__file__).parent / "corpus"
MESSAGES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".eml", ".txt") and
                  p.name not in ("LICENSE-PSF.txt", "README.md"))  # fmt: skip


def _both(raw: bytes, monkeypatch) -> tuple[object, object]:
    """(with the shortcut at every run, without it)."""

    def parse() -> object:
        try:
            return parse_message(raw)
        except MailRejected as exc:
            return ("rejected", exc.code)

    monkeypatch.setattr(setaside, "SET_ASIDE_MIN", 0)
    fast = parse()
    monkeypatch.setattr(setaside, "SET_ASIDE_MIN", 10**12)
    slow = parse()
    return fast, slow


def _b64(size: int, seed: int, eol: bytes = b"\r\n") -> bytes:
    data = random.Random(seed).randbytes(size)
    return base64.encodebytes(data).replace(b"\n", eol)


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_corpus_parses_the_same_with_runs_set_aside(path, monkeypatch):
    fast, slow = _both(path.read_bytes(), monkeypatch)
    assert fast == slow


SHAPES = {
    # the run ends right before the closing boundary (its last line end is the boundary's)
    "before_boundary": b"--b\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: "
    b"base64\r\n\r\n{run}--b--\r\n",
    # a run in the preamble and the epilogue, and one where a part's header block should be
    "preamble_epilogue": b"{run}--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n{run}",
    "instead_of_headers": b"--b\r\n{run}\r\nrest\r\n--b--\r\n",
    # inside a forwarded message, kept whole as its .eml
    "forwarded": b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: "
    b"application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n{run}\r\n--b--\r\n",
    # a forwarded multipart with runs in its preamble and epilogue (kept in the .eml)
    "forwarded_epilogue": b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n"
    b'Content-Type: multipart/mixed; boundary="c"\r\n\r\n{run}--c\r\nContent-Type: text/plain'
    b"\r\n\r\nx\r\n--c--\r\n{run}--b--\r\n",
    # truncated base64: the defect must still be found
    "truncated": b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64"
    b"\r\n\r\n{run}QUJD\r\n--b--\r\n",
    # a run that looks like base64 in a text part (no transfer encoding)
    "text_part": b"--b\r\nContent-Type: text/plain\r\n\r\nBefore\r\n{run}After\r\n--b--\r\n",
}


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_attachment_shapes_parse_the_same(shape, eol, monkeypatch):
    head = b'From: a@x.example\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    raw = (head + SHAPES[shape].replace(b"{run}", _b64(40_000, 1, b"\r\n"))).replace(b"\r\n", eol)
    fast, slow = _both(raw, monkeypatch)
    assert fast == slow
    if shape == "before_boundary":  # and the bytes are the file's
        assert fast.attachments[0].data == random.Random(1).randbytes(40_000)


LINES = st.sampled_from(
    [
        b"--b",
        b"--b--",
        b"Content-Type: application/zip",
        b"Content-Transfer-Encoding: base64",
        b"",
        b"text line",
        b" folded",
        b"From here",
        b"QUJD",
        b"A" * 76,
        b"B" * 40,
        b"=" * 60,
        b"C" * 39,
        b"D" * 999,
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=60), st.sampled_from([b"\r\n", b"\n"]))
def test_generated_messages_parse_the_same(lines, eol):
    head = b'From: a@x.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    raw = (head + b"\r\n".join(lines) + b"\r\n").replace(b"\r\n", eol)
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = _both(raw, mp)
    assert fast == slow


def test_a_sender_cannot_plant_a_marker(monkeypatch):
    # The marker carries a random salt per parse: text shaped like one stays text.
    monkeypatch.setattr(setaside, "SET_ASIDE_MIN", 0)
    run = _b64(20_000, 2)
    raw = b"From: a@x.example\r\nContent-Type: text/plain\r\n\r\nCD" + b"0" * 32 + b"\r\n" + run
    parsed = parse_message(raw)
    assert parsed.text.startswith("CD" + "0" * 32)
    assert parsed.text.replace("\n", "").endswith(run.replace(b"\r\n", b"").decode()[-100:])
