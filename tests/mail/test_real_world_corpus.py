"""Issue 15, items 3 and 14 (rules 6 and 11): real-world and broken mail through the real
SMTP receiver never breaks the pipeline or a page, and broken MIME never reaches a case.

The messages: every ``.eml`` of ``corpus/`` and CPython's own e-mail test messages
(``corpus/python-email/``, PSF License): digests, broken MIME, odd charsets, bounces.
"""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.files.models import Attachment
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.services.storing import normalised_message_id
from casedesk.mail.smtp import start_receiver

pytestmark = pytest.mark.django_db(transaction=True)
CORPUS = Path(__file__).parent / "corpus"
MESSAGES = sorted(CORPUS.glob("*.eml")) + sorted((CORPUS / "python-email").glob("msg_*.txt"))


@pytest.fixture
def receiver():
    controller = start_receiver(host="127.0.0.1", port=0)
    yield controller
    controller.stop()


def _raw(path: Path, world, token: str) -> bytes:
    raw = path.read_bytes().replace(b"{{TOKEN}}", token.encode())
    return raw.replace(b"{{CASE_NUMBER}}", world.alice_case.number.encode())


def test_every_corpus_message_is_stored_answered_processed_and_shown(
    receiver, client, world, token
):
    # R: rules 6, 11; issue 15 item 14 — 250 for each, a row for each new Message-ID,
    # processed without an exception, and its care page renders.
    assert len(MESSAGES) >= 70
    client.force_login(world.care)
    seen: set[str] = set()
    problems = []
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=60) as smtp:
        for path in MESSAGES:
            raw = _raw(path, world, token)
            before = InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
            refused = smtp.sendmail("sender@mail.example", ["support@casedesk.invalid"], raw)
            receiver.wait_processed()  # the 250 comes at the commit; routing follows it
            message = InboundMessage.objects.order_by("-pk").first()
            msgid = normalised_message_id(raw)
            if refused or message is None:
                problems.append(f"{path.name}: refused {refused}")
                continue
            if message.pk == before:  # a Message-ID met before in this run: stored once
                if not msgid or msgid not in seen:
                    problems.append(f"{path.name}: not stored")
                continue
            seen.add(msgid)
            if message.state == State.RECEIVED or message.reason_code == "processing_error":
                problems.append(f"{path.name}: {message.state} {message.reason}")
            page = client.get(f"/console/mail/{message.pk}/")
            if page.status_code != 200:
                problems.append(f"{path.name}: care page {page.status_code}")
            smtp.rset()
    assert problems == []


@pytest.mark.parametrize(
    ("name", "defect"),
    [
        ("broken_mime_multipart_without_boundary.eml", "NoBoundaryInMultipartDefect"),
        ("broken_mime_boundary_never_closed.eml", "CloseBoundaryNotFoundDefect"),
        ("broken_mime_truncated_base64.eml", "InvalidBase64"),
    ],
)
def test_broken_mime_waits_for_care_with_its_defects_and_raw_text(
    receiver, client, world, token, name, defect
):
    # R: rule 6; issue 15 item 3 — a valid token from the contact, but broken MIME: not on
    # the case; care sees the parser's defects and can read the raw text on the page.
    raw = _raw(CORPUS / name, world, token)
    with smtplib.SMTP("127.0.0.1", receiver.port) as smtp:
        assert smtp.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw) == {}
    message = InboundMessage.objects.get()
    assert (message.state, message.reason_code) == (State.QUARANTINED, "mime_defects")
    assert defect in message.reason and any(defect in d for d in message.defects)
    assert not CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").exists()
    assert not Attachment.objects.filter(case=world.alice_case).exists()
    client.force_login(world.care)
    page = client.get(f"/console/mail/{message.pk}/").content.decode()
    assert defect in page
    assert "Raw message (as received)" in page and "Subject: Re: logs" in page


def test_raw_8bit_headers_are_stored_as_text_and_the_page_renders(receiver, client, world, token):
    # R: issue 15 item 14 — Latin-1 bytes in From, To, Subject, Date and Content-Type.
    raw = _raw(CORPUS / "raw_8bit_headers.eml", world, token)
    with smtplib.SMTP("127.0.0.1", receiver.port) as smtp:
        assert smtp.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw) == {}
    message = InboundMessage.objects.get()
    assert message.state == State.APPENDED, message.reason
    assert message.subject.startswith("Grüße aus Köln") and message.from_name == "Jörg Müller"
    headers = dict(message.headers)
    assert headers["To"].startswith("Kundendienst München")
    assert "Mitteleuropäische" in headers["Date"]
    client.force_login(world.care)
    page = client.get(f"/console/mail/{message.pk}/")
    assert page.status_code == 200 and "Kundendienst München" in page.content.decode()


def test_an_encoded_crlf_in_an_address_is_a_defect_not_an_exception(receiver, world, token):
    # R: issue 15 item 14 — the stdlib raises on it; the message is parsed, the To header
    # named among its defects, and routed as usual.
    raw = _raw(CORPUS / "encoded_crlf_in_address.eml", world, token)
    with smtplib.SMTP("127.0.0.1", receiver.port) as smtp:
        smtp.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)
    message = InboundMessage.objects.get()
    assert message.state == State.APPENDED, message.reason
    assert any(d.startswith("to header unparseable") for d in message.defects), message.defects


def test_lines_over_1000_characters_are_accepted(receiver, world, token):
    # R: issue 15 item 14 — Outlook's long HTML lines: 250, not a permanent "500 Line too long".
    line = "x" * 20_000
    raw = (
        f"From: alice@acme.example\r\nSubject: [{token}]\r\nMessage-ID: <l@acme>\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n<p>{line}</p>\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", receiver.port) as smtp:
        assert smtp.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw) == {}
    message = InboundMessage.objects.get()
    assert message.state == State.APPENDED and line in message.text
