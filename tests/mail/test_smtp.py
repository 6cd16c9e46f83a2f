"""A real SMTP conversation with the receiver on an ephemeral port (E2, E3, rule 6)."""

from __future__ import annotations

import smtplib

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.reference import ReferenceToken
from casedesk.mail.smtp import start_receiver

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    settings.MAIL_MAX_BYTES = 64 * 1024
    controller = start_receiver(host="127.0.0.1", port=0)
    yield controller
    controller.stop()


@pytest.fixture(params=[False, True], ids=["smtp", "lmtp"])
def any_receiver(request, settings):
    settings.MAIL_MAX_BYTES = 64 * 1024
    controller = start_receiver(host="127.0.0.1", port=0, lmtp=request.param)
    yield controller, request.param
    controller.stop()


def _send(port: int, raw: bytes, sender: str = "alice@acme.example", lmtp: bool = False):
    client = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
    with client:  # smtplib.LMTP greets with LHLO
        return client.sendmail(sender, ["support@casedesk.invalid"], raw)


def test_smtp_reply_with_token_is_appended_and_the_case_opens(
    any_receiver, world, waiting_case, token
):
    # R: E2, B5 — Awaiting Info → Open over a real SMTP (and LMTP) conversation.
    controller, lmtp = any_receiver
    raw = reply_bytes(sender="Alice <alice@acme.example>", subject=f"Re: Dialer [{token}]")
    assert _send(controller.port, raw, lmtp=lmtp) == {}
    message = InboundMessage.objects.get()
    assert message.state == State.APPENDED, message.reason
    assert message.source == ("lmtp" if lmtp else "smtp")
    assert message.envelope_from == "alice@acme.example"
    world.alice_case.refresh_from_db()
    assert (world.alice_case.status, world.alice_case.sub_status) == ("open", "customer_responded")


def test_smtp_forged_token_goes_to_the_care_queue(receiver, world, token):
    # R: rule 1, E3
    forged = ReferenceToken(world.carol_case.pk, 1, str(token).split("-")[1][1:])
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{forged}]")
    _send(receiver.port, raw)
    message = InboundMessage.objects.get()
    assert message.state == State.NEEDS_CARE and message.reason_code == "bad_reference"
    assert not CaseEvent.objects.filter(kind="customer_update").exists()


def test_smtp_oversize_is_refused_with_552_and_size_is_advertised(receiver, world, token):
    # R: rule 6 — SIZE advertised, 552 enforced, nothing stored.
    with smtplib.SMTP("127.0.0.1", receiver.port) as client:
        client.ehlo()
        assert int(client.esmtp_features["size"]) == 64 * 1024
        raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]", body="x" * 100_000)
        with pytest.raises(smtplib.SMTPException) as refused:
            client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)
    assert "552" in str(refused.value)
    assert not InboundMessage.objects.exists()


def test_smtp_null_sender_bounce_is_ignored(receiver, world, token):
    # R: E2 — MAIL FROM:<> never updates a case.
    raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]")
    _send(receiver.port, raw, sender="")
    assert InboundMessage.objects.get().state == State.IGNORED


def test_smtp_session_with_several_messages(receiver, world, token):
    # One connection, several messages: each is stored and processed on its own.
    with smtplib.SMTP("127.0.0.1", receiver.port) as client:
        for i in range(3):
            raw = reply_bytes(
                sender="alice@acme.example", subject=f"[{token}]", message_id=f"<m{i}@acme>"
            )
            client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)
    assert InboundMessage.objects.filter(state=State.APPENDED).count() == 3


def test_lmtp_answers_data_once_per_recipient(settings, world, token):
    # RFC 2033: an MTA's LMTP client reads one status per accepted recipient.
    import socket

    controller = start_receiver(host="127.0.0.1", port=0, lmtp=True)
    try:
        with socket.create_connection(("127.0.0.1", controller.port), timeout=60) as sock:
            stream = sock.makefile("rwb")

            def say(line: bytes) -> None:
                stream.write(line + b"\r\n")
                stream.flush()

            def reply() -> bytes:
                lines = [stream.readline()]
                while lines[-1][3:4] == b"-":
                    lines.append(stream.readline())
                return lines[-1]

            assert reply().startswith(b"220")
            say(b"LHLO mta.example")
            assert reply().startswith(b"250")
            say(b"MAIL FROM:<alice@acme.example>")
            assert reply().startswith(b"250")
            for rcpt in (b"support@casedesk.invalid", b"care@casedesk.invalid"):
                say(b"RCPT TO:<" + rcpt + b">")
                assert reply().startswith(b"250")
            say(b"DATA")
            assert reply().startswith(b"354")
            stream.write(reply_bytes(sender="alice@acme.example", subject=f"[{token}]") + b".\r\n")
            stream.flush()
            assert reply().startswith(b"250") and reply().startswith(b"250")
            say(b"QUIT")
    finally:
        controller.stop()
    assert InboundMessage.objects.get().state == State.APPENDED
