"""Fixtures for inbound mail: a case waiting on its contact, and a message builder."""

from __future__ import annotations

import pytest

from casedesk.cases.services import case_transition
from casedesk.mail.reference import reference_token


def reply_bytes(
    *,
    sender: str,
    subject: str,
    body: str = "Here are the logs you asked for.",
    headers: str = "",
    message_id: str = "<reply-1@acme.example>",
) -> bytes:
    """A plain reply as a mail client sends it (CRLF line ends)."""
    text = (
        f"From: {sender}\r\n"
        "To: support@casedesk.invalid\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Tue, 24 Nov 2026 14:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"{headers}"
        "\r\n"
        f"{body}\r\n"
    )
    return text.encode()


@pytest.fixture(autouse=True)
def mail_site_without_mta_authentication(settings):
    """These tests are about routing, not sender authentication: they run as a site that
    opted out (CASEDESK_MAIL_TRUST_UNAUTHENTICATED). The safe default and the policy are
    tested with it reset (``test_sender_auth_default``, ``test_pipeline``)."""
    settings.MAIL_TRUST_UNAUTHENTICATED = True


@pytest.fixture
def waiting_case(world):
    """Alice's case, waiting on her (Awaiting Info / Info Required)."""
    return case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the dialer logs.",
        now=world.now,
    )


@pytest.fixture
def token(world):
    return str(reference_token(world.alice_case.pk, world.acme.pk))
