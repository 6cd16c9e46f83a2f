"""The inbound pipeline: store first, then route a reply or hold it for care (E2, E3).

Regression tests are named after the attack they beat (security rule 11).
"""

from __future__ import annotations

import pytest

from casedesk.accounts.models import AuditEvent
from casedesk.cases.models import CaseEvent, EventKind
from casedesk.cases.services import case_transition
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.files.models import Attachment
from casedesk.files.storage import get_storage
from casedesk.mail import services
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.reference import ReferenceToken, reference_token
from casedesk.mail.services import receiving

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db


def receive(raw: bytes, world, envelope_from: str | None = "alice@acme.example"):
    return services.mail_receive(
        raw=raw,
        source="test",
        envelope_from=envelope_from,
        envelope_to=["support@casedesk.invalid"],
        now=world.now,
    )


def test_reply_with_token_from_the_contact_is_appended_and_reopens_work(world, waiting_case, token):
    # R: E2, B5 — Awaiting Info → Open / Customer Responded.
    raw = reply_bytes(sender="Alice <alice@acme.example>", subject=f"Re: Dialer [{token}]")
    message = receive(raw, world)
    assert message.state == State.APPENDED, message.reason
    case = world.alice_case
    case.refresh_from_db()
    assert (case.status, case.sub_status) == ("open", "customer_responded")
    update = CaseEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_UPDATE).last()
    assert update.actor == world.alice and update.public
    assert "logs you asked for" in update.body
    assert update.data["channel"] == "email"
    assert update.data["email"]["inbound_id"] == message.pk


def test_raw_message_is_stored_before_processing_and_kept(world, token):
    # R: rule 6 — the raw bytes are in storage under mail/raw/ with their digest.
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]")
    message = receive(raw, world)
    assert message.raw_key.startswith("mail/raw/")
    assert services.mail_raw(message) == raw
    assert message.size == len(raw)


def test_a_crash_between_store_and_process_loses_nothing(world, token):
    # R: rule 6 — a stored but unprocessed message is processed by the next run.
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]")
    stored = services.mail_store(
        raw=raw, source="test", envelope_from="", envelope_to="x", now=world.now
    )
    assert stored.state == State.RECEIVED
    assert services.mail_process_pending(now=world.now) == 1
    stored.refresh_from_db()
    assert stored.state != State.RECEIVED
    # Processing twice changes nothing (claimed once).
    before = CaseEvent.objects.count()
    services.mail_process(message_id=stored.pk, now=world.now)
    assert CaseEvent.objects.count() == before


def test_a_bug_in_processing_quarantines_and_the_next_message_runs(world, token, monkeypatch):
    # R: rule 6 — any exception is caught, the message quarantined with the reason.
    from casedesk.mail import routing

    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(receiving, "route_reply", broken)
    first = receive(reply_bytes(sender="alice@acme.example", subject=f"[{token}]"), world)
    assert first.state == State.QUARANTINED
    assert first.reason_code == "processing_error" and "parser bug" in first.reason
    monkeypatch.setattr(receiving, "route_reply", routing.route_reply)
    second = receive(
        reply_bytes(sender="alice@acme.example", subject=f"[{token}]", message_id="<2@a>"), world
    )
    assert second.state == State.APPENDED


def test_e3_case_number_without_token_waits_for_care(world):
    # R: E3 — a case number alone never links.
    number = world.alice_case.number
    raw = reply_bytes(sender="alice@acme.example", subject=f"Question about {number}")
    message = receive(raw, world)
    assert message.state == State.NEEDS_CARE
    assert message.reason_code == "no_reference" and number in message.reason
    assert not CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").exists()


def test_forged_token_is_held_for_care(world, token):
    # R: rule 1 — an edited token (other case id, same signature) does not verify.
    forged = ReferenceToken(world.gina_case.pk, 1, str(token).split("-")[1][1:])
    raw = reply_bytes(sender="gina@globex.example", subject=f"Re: [{forged}]")
    message = receive(raw, world, envelope_from="gina@globex.example")
    assert message.state == State.NEEDS_CARE and message.reason_code == "bad_reference"


def test_ticket_trick_stranger_with_a_valid_token_is_held_for_care(world, token):
    # R: rule 1 — "Ticket Trick" (2017): knowing the reply address/token proves nothing.
    raw = reply_bytes(sender="attacker@evil.example", subject=f"Re: [{token}]")
    message = receive(raw, world, envelope_from="attacker@evil.example")
    assert message.state == State.NEEDS_CARE and message.reason_code == "unknown_sender"
    assert not CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").exists()


def test_zendesk_cc_attack_other_organisation_contact_with_token_is_held(world, token):
    # R: rule 1, A4 — 2024 Zendesk CC: a registered user of another organisation replies
    # (or CCs themselves) with a leaked token; they are not a participant.
    raw = reply_bytes(
        sender="gina@globex.example",
        subject=f"Re: [{token}]",
        headers="Cc: gina@globex.example, alice@acme.example\r\n",
    )
    message = receive(raw, world, envelope_from="gina@globex.example")
    assert message.state == State.NEEDS_CARE and message.reason_code == "not_participant"


def test_zendesk_cc_colleague_without_visibility_is_held_colleague_with_is_appended(world, token):
    # R: A3, rule 1 — carol (no colleague visibility) vs bob (visibility).
    carol = receive(reply_bytes(sender="carol@acme.example", subject=f"[{token}]"), world)
    assert carol.state == State.NEEDS_CARE and carol.reason_code == "not_participant"
    bob = receive(
        reply_bytes(sender="bob@acme.example", subject=f"[{token}]", message_id="<b@a>"), world
    )
    assert bob.state == State.APPENDED


def test_display_name_spoof_uses_the_address_not_the_name(world, token):
    # R: rule 1 — "alice@acme.example" <attacker@evil.example> is the attacker.
    raw = reply_bytes(
        sender='"alice@acme.example" <attacker@evil.example>', subject=f"Re: [{token}]"
    )
    message = receive(raw, world)
    assert message.state == State.NEEDS_CARE and message.from_address == "attacker@evil.example"


def test_two_from_addresses_are_held(world, token):
    raw = reply_bytes(sender="alice@acme.example, attacker@evil.example", subject=f"[{token}]")
    assert receive(raw, world).reason_code == "sender_unclear"


def test_reply_to_a_closed_case_is_held_for_care(world, token):
    # R: B7 — a reply does not re-open; care decides.
    case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="close",
        to="resolved",
        reason="done",
        close_reason="solution_accepted",
        now=world.now,
    )
    message = receive(reply_bytes(sender="alice@acme.example", subject=f"[{token}]"), world)
    assert message.state == State.NEEDS_CARE and message.reason_code == "case_closed"


def test_support_staff_reply_by_mail_becomes_an_internal_note(world, token):
    # Decision: staff mail is never published to the customer by mail (From is forgeable).
    message = receive(reply_bytes(sender="eve@support.example", subject=f"[{token}]"), world)
    assert message.state == State.APPENDED
    note = CaseEvent.objects.filter(case=world.alice_case).last()
    assert note.kind == EventKind.NOTE and not note.public and note.actor == world.engineer


def test_inactive_contact_is_held(world, token):
    world.alice.is_active = False
    world.alice.save()
    message = receive(reply_bytes(sender="alice@acme.example", subject=f"[{token}]"), world)
    assert message.state == State.NEEDS_CARE


@pytest.mark.parametrize(
    ("results", "passes"),
    [
        ("mx.casedesk.test; dmarc=pass header.from=acme.example", True),
        ("mx.casedesk.test; dkim=pass header.d=acme.example header.s=s1", True),
        ("mx.casedesk.test; dkim=pass header.d=evil.example; dmarc=fail", False),
        ("mx.casedesk.test; spf=pass smtp.mailfrom=alice@acme.example", True),
        ("mx.casedesk.test; spf=pass smtp.mailfrom=bounce@evil.example", False),
        ("mx.casedesk.test (our mx); dmarc=fail; spf=fail", False),
        ("evil.example; dmarc=pass", False),
    ],
)
def test_sender_authentication_policy_uses_the_topmost_header(
    world, token, settings, results, passes
):
    # R: rule 1 — the topmost Authentication-Results from our authserv-id decides.
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = reply_bytes(
        sender="alice@acme.example",
        subject=f"[{token}]",
        headers=f"Authentication-Results: {results}\r\n",
    )
    message = receive(raw, world)
    assert (message.state == State.APPENDED) is passes, message.reason
    if not passes:
        assert message.reason_code == "auth_failed"


def test_forged_authentication_results_below_ours_do_not_count(world, token, settings):
    # R: rule 1 — an attacker's own "pass" header under our topmost "fail" is ignored.
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = (
        b"Authentication-Results: mx.casedesk.test; dmarc=fail; dkim=none; spf=softfail\r\n"
    ) + reply_bytes(
        sender="alice@acme.example",
        subject=f"[{token}]",
        headers="Authentication-Results: mx.casedesk.test; dmarc=pass\r\n",
    )
    assert receive(raw, world).reason_code == "auth_failed"


def test_no_authentication_results_fails_when_the_policy_is_on(world, token, settings):
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]")
    assert receive(raw, world).reason_code == "auth_failed"


def test_rt_cve_2023_41259_control_headers_are_stripped_before_routing(world, token):
    # R: rule 2 — forged X-Casedesk-* headers are removed and never trusted.
    raw = reply_bytes(
        sender="attacker@evil.example",
        subject="Please add me",
        headers=(
            f"X-Casedesk-Reference: {token}\r\n"
            f"X-Casedesk-Case: {world.alice_case.number}\r\n"
            "X-CaseDesk-Sender: alice@acme.example\r\n"
            "X-Casedesk-Loop: no\r\n"
        ),
    )
    message = receive(raw, world)
    assert message.state == State.NEEDS_CARE and message.reason_code == "no_reference"
    assert sorted(h.lower() for h in message.stripped_headers) == [
        "x-casedesk-case",
        "x-casedesk-loop",
        "x-casedesk-reference",
        "x-casedesk-sender",
    ]
    assert not any(name.lower().startswith("x-casedesk") for name, _ in message.headers)


@pytest.mark.parametrize(
    ("headers", "envelope_from", "code"),
    [
        ("Auto-Submitted: auto-replied\r\n", "alice@acme.example", "auto_submitted"),
        ("Precedence: bulk\r\n", "alice@acme.example", "bulk"),
        ("Precedence: list\r\n", "alice@acme.example", "bulk"),
        ("", "", "null_sender"),
        ("Return-Path: <>\r\n", None, "null_sender"),
        ("X-Autoreply: yes\r\n", "alice@acme.example", "auto_submitted"),
    ],
)
def test_mail_loops_and_automatic_mail_are_ignored(world, token, headers, envelope_from, code):
    # R: E2 — auto-replies and bounces never update a case (no mail loops).
    raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]", headers=headers)
    message = receive(raw, world, envelope_from=envelope_from)
    assert message.state == State.IGNORED and message.reason_code == code
    assert not CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").exists()


def test_auto_submitted_no_is_a_person(world, token):
    raw = reply_bytes(
        sender="alice@acme.example", subject=f"[{token}]", headers="Auto-Submitted: no\r\n"
    )
    assert receive(raw, world).state == State.APPENDED


def test_our_own_outbound_message_coming_back_is_ignored(world, token, settings):
    # R: E2 — a loop: the message id is one of ours.
    settings.MAIL_DOMAIN = "casedesk.test"
    raw = reply_bytes(
        sender="alice@acme.example", subject=f"[{token}]", message_id="<n-1@casedesk.test>"
    )
    message = receive(raw, world)
    assert message.state == State.IGNORED and message.reason_code == "own_message"


def test_oversize_message_is_stored_and_quarantined(world, token, settings):
    # R: rule 6
    settings.MAIL_MAX_BYTES = 2000
    raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]", body="x" * 5000)
    message = receive(raw, world)
    assert message.state == State.QUARANTINED and message.reason_code == "too_large"
    assert message.from_address == "alice@acme.example"  # headers still shown to care
    assert services.mail_raw(message) == raw


def test_attachments_of_a_reply_become_case_files(world, token):
    # R: E2, D1 — source "email".
    raw = (
        "From: alice@acme.example\r\nTo: support@casedesk.invalid\r\n"
        f"Subject: Re: [{token}]\r\nMessage-ID: <att@acme.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nLogs attached.\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="../../dialer.log"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nbG9nIGxpbmUK\r\n--b--\r\n"
    ).encode()
    assert receive(raw, world).state == State.APPENDED
    attachment = Attachment.objects.get(case=world.alice_case)
    assert attachment.filename == "dialer.log" and attachment.source == "email"
    assert attachment.uploaded_by == world.alice
    with get_storage().open_read(attachment.storage_key) as f:
        assert f.read() == b"log line\n"


# --- care actions ------------------------------------------------------------------------


def _waiting(world, **kw) -> InboundMessage:
    raw = reply_bytes(
        sender=kw.get("sender", "alice@acme.example"),
        subject=kw.get("subject", "New problem"),
        body=kw.get("body", "The IVR drops calls."),
    )
    message = receive(raw, world)
    assert message.needs_care
    return message


def test_care_links_a_participant_mail_as_their_update(world, waiting_case):
    # R: E3 — linked by hand; the sender is a participant, so it is their update.
    message = _waiting(world)
    services.mail_link_to_case(
        message=message, case=world.alice_case, actor=world.care, now=world.now
    )
    message.refresh_from_db()
    assert message.state == State.LINKED and message.handled_by == world.care
    event = CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").last()
    assert event.actor == world.alice and event.public
    world.alice_case.refresh_from_db()
    assert world.alice_case.status == "open"
    assert AuditEvent.objects.filter(action="mail.linked").exists()


def test_care_links_a_stranger_mail_as_an_internal_note(world):
    # R: E3, rule 1 — never published to the customer's thread.
    message = _waiting(world, sender="stranger@else.example")
    services.mail_link_to_case(
        message=message, case=world.alice_case, actor=world.care, now=world.now
    )
    event = CaseEvent.objects.filter(case=world.alice_case).last()
    assert event.kind == EventKind.NOTE and not event.public and event.actor == world.care
    assert "stranger@else.example" in event.body


def test_care_actions_happen_once(world):
    message = _waiting(world)
    services.mail_dismiss(message=message, actor=world.care, reason="spam", now=world.now)
    with pytest.raises(PolicyViolation, match=r"already handled \(dismissed by care\)"):
        services.mail_link_to_case(
            message=message, case=world.alice_case, actor=world.care, now=world.now
        )


def test_only_care_and_managers_handle_mail(world):
    message = _waiting(world)
    for actor in (world.engineer, world.alice):
        with pytest.raises(NotFound, match=r"^No such message\.$"):
            services.mail_dismiss(message=message, actor=actor, reason="x", now=world.now)
    services.mail_dismiss(message=message, actor=world.manager, reason="dup", now=world.now)


def test_dismiss_needs_a_reason(world):
    message = _waiting(world)
    with pytest.raises(PolicyViolation, match="Say why the message is dismissed"):
        services.mail_dismiss(message=message, actor=world.care, reason="  ", now=world.now)


def test_care_opens_a_case_from_a_contact_mail(world):
    # R: E3, A8 — channel e-mail, opened by care for the contact.
    from tests.factories import draft

    message = _waiting(world)
    case = services.mail_open_case(
        message=message,
        actor=world.care,
        draft=draft(world.acme_contract, world.catalogue, subject=message.subject),
        now=world.now,
    )
    assert case.contact == world.alice and case.channel == "email"
    message.refresh_from_db()
    assert message.state == State.CASE_OPENED and message.case == case


def test_care_cannot_open_a_case_for_a_stranger(world):
    # R: A8 — only registered contacts open cases.
    from tests.factories import draft

    message = _waiting(world, sender="enduser@customer.example")
    with pytest.raises(PolicyViolation, match="not a registered, active contact"):
        services.mail_open_case(
            message=message,
            actor=world.care,
            draft=draft(world.acme_contract, world.catalogue),
            now=world.now,
        )
    message.refresh_from_db()
    assert message.state == State.NEEDS_CARE


def test_reference_token_of_another_organisation_case_cannot_be_replayed(world):
    # R: A4 — gina's own valid token, sent by alice, is not alice's case.
    gina_token = reference_token(world.gina_case.pk, world.globex.pk)
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{gina_token}]")
    assert receive(raw, world).reason_code == "not_participant"


def test_nul_and_control_bytes_in_headers_and_body_are_stored_without_them(world, token):
    # R: rule 6, rule 8 — PostgreSQL refuses NUL in text and JSON; SQLite would keep it.
    raw = reply_bytes(
        sender="alice@acme.example",
        subject=f"Re: [{token}] a\x00b",
        headers="X-Odd: c\x00d\x07e\r\n",
        body="line\x00one\x0bx",
    )
    message = receive(raw, world)
    assert message.state == State.APPENDED, message.reason
    assert "\x00" not in message.subject and ["X-Odd", "cde"] in message.headers
    assert "\x00" not in CaseEvent.objects.filter(case=world.alice_case).last().body


def test_the_same_imap_message_stored_twice_is_one_row(world):
    # R: rule 7 — the dedupe key (UIDVALIDITY/UID) is unique.
    raw = reply_bytes(sender="alice@acme.example", subject="hi")
    first = services.mail_store(
        raw=raw, source="imap", envelope_from=None, envelope_to="s", now=world.now, dedupe_key="k/1"
    )
    again = services.mail_store(
        raw=raw, source="imap", envelope_from=None, envelope_to="s", now=world.now, dedupe_key="k/1"
    )
    assert first.pk == again.pk and InboundMessage.objects.count() == 1
