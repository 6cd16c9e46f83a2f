"""The outbox's own MIME bytes read back like Django's message (issue 17 item 3; E1, rule 5).

``notifications.mime`` writes a message without ``email.generator``; a standard parser
must read from it the same subject, addresses, headers and bodies as from the message
Django's ``EmailMultiAlternatives`` builds for the same row, whatever the text holds
(non-ASCII, lines of dots, long lines, CR and LF in any mix).
"""

from __future__ import annotations

import base64
import email
import email.policy

import pytest
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.notifications.mime import Sender, message_bytes

HEADERS = {
    "Message-ID": "<abc.reply@casedesk.example>",
    "Auto-Submitted": "auto-generated",
    "In-Reply-To": "<case-7.abcdef0123@casedesk.example>",
    "References": "<case-7.abcdef0123@casedesk.example>",
    "X-Casedesk-Case": "CS-000007",
}
SENDER = Sender(header="Support <support@casedesk.example>", address="support@casedesk.example")


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def unstuff(data: bytes) -> bytes:
    """What the SMTP server hands on: a doubled dot at a line's start made single."""
    return data.replace(b"\r\n..", b"\r\n.")


def ours(subject: str, text: str, html: str) -> email.message.EmailMessage:
    data = message_bytes(
        sender=SENDER,
        to=["alice@acme.example"],
        subject=subject,
        text=text,
        html=html,
        headers=HEADERS,
    )
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    assert b"\r\n.\r\n" not in data  # the end-of-data line never appears inside
    return parse(unstuff(data))


def djangos(subject: str, text: str, html: str) -> email.message.EmailMessage:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=SENDER.header,
        to=["alice@acme.example"],
        headers=HEADERS,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return parse(message.message().as_bytes(linesep="\r\n"))


def body(message: email.message.EmailMessage, kind: str) -> str | None:
    part = message.get_body(preferencelist=(kind,))
    return None if part is None else part.get_content().replace("\r\n", "\n")


def normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


text_st = st.text(
    alphabet=st.sampled_from(["a", "Z", " ", ".", "\n", "\r", "=", "ü", "€", "\t", "-", "😀"]),
    max_size=300,
) | st.text(max_size=200)


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(max_size=120).map(lambda s: " ".join(s.split())),
    text=text_st,
    html=st.one_of(st.just(""), text_st.map(lambda t: f"<p>{t}</p>")),
)
def test_reads_back_like_djangos_message(subject, text, html):
    mine, theirs = ours(subject, text, html), djangos(subject, text, html)
    assert str(mine["Subject"]) == subject
    for name in ("From", "To", *HEADERS):
        assert str(mine[name]) == str(theirs[name])
    assert body(mine, "plain").rstrip("\n") == normal(text).rstrip("\n")
    if html:
        assert body(mine, "html").rstrip("\n") == normal(html).rstrip("\n")
    else:
        assert not mine.is_multipart()


def test_a_long_subject_is_folded_and_reads_back_whole():
    subject = "[CS-000123] Case opened: " + "calls drop after transfer " * 12 + "[CDR123-1ABC]"
    data = message_bytes(
        sender=SENDER, to=["a@b.example"], subject=subject, text="x", html="", headers=HEADERS
    )
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert str(parse(data)["Subject"]) == subject


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_a_long_non_ascii_subject_is_folded_into_whole_characters(char):
    # 2-, 3- and 4-byte characters: no encoded word may end inside one (RFC 2047 5).
    subject = "[CS-000123] Nouveau dossier : " + (char + "x ") * 70
    data = message_bytes(
        sender=SENDER, to=["a@b.example"], subject=subject, text="x", html="", headers=HEADERS
    )
    head = data.split(b"\r\n\r\n")[0]
    subject_lines = head.split(b"Subject: ")[1].split(b"\r\nDate:")[0].split(b"\r\n")
    assert len(subject_lines) > 3
    for line in subject_lines:
        word = line.strip()
        assert word.startswith(b"=?utf-8?b?") and word.endswith(b"?=") and len(word) <= 75
        base64.b64decode(word[10:-2]).decode("utf-8")  # whole characters in every word
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert str(parse(data)["Subject"]) == subject


@pytest.mark.parametrize("name", ["Subject", "References"])
def test_a_line_break_in_a_header_is_refused(name):
    # R: rule 5 — no header injection, whatever a template or a row holds.
    headers = dict(HEADERS)
    subject = "Hello"
    if name == "Subject":
        subject = "Hello\r\nBcc: evil@example.com"
    else:
        headers[name] = "<a@b>\nBcc: evil@example.com"
    with pytest.raises(BadHeaderError):
        message_bytes(
            sender=SENDER, to=["a@b.example"], subject=subject, text="x", html="", headers=headers
        )
