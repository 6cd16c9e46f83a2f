"""Which case a reply joins, and which mail is never a case update (E2, E3, rule 1).

A golden table per decision, over real parsed messages: the reference ID routes, the
sender must be an active participant, authentication must pass, and a case number alone
never links mail. ``code`` and ``reason`` are what care sees on a held message.
"""

from __future__ import annotations

import dataclasses

import pytest

from casedesk.mail.parsing import parse_message
from casedesk.mail.reference import ReferenceToken, reference_token
from casedesk.mail.routing import automatic_mail, route_reply

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db


def parsed(sender="alice@acme.example", subject="Re: logs", body="Here you go.", headers=""):
    return parse_message(reply_bytes(sender=sender, subject=subject, body=body, headers=headers))


def ref(case) -> str:
    return str(reference_token(case.pk, case.organisation_id))


def route(message):
    return route_reply(message, message.text)


def test_the_contact_replying_with_the_reference_is_appended(world):
    outcome = route(parsed(subject=f"Re: [{ref(world.alice_case)}] logs"))
    assert (outcome.code, outcome.case, outcome.sender) == (
        "appended",
        world.alice_case,
        world.alice,
    )
    assert outcome.reason == f"Appended to {world.alice_case.number}."
    assert outcome.appends


@pytest.mark.parametrize(
    ("sender", "code"),
    [
        ("bob@acme.example", "appended"),  # colleague with "see colleagues' cases" (C9)
        ("eve@support.example", "appended"),  # support
        ("ALICE@ACME.EXAMPLE", "appended"),  # addresses compare without case
        ("carol@acme.example", "not_participant"),  # colleague without the flag
        ("gina@globex.example", "not_participant"),  # another organisation (A4)
        ("mallory@evil.example", "unknown_sender"),
    ],
)
def test_only_participants_are_appended(world, sender, code):
    outcome = route(parsed(sender=sender, subject=f"[{ref(world.alice_case)}]"))
    assert outcome.code == code
    assert outcome.case == world.alice_case
    assert outcome.appends is (code == "appended")
    number = world.alice_case.number
    reasons = {
        "not_participant": f"{sender} is not a participant of {number}.",
        "unknown_sender": f"{sender} is not a registered, active user.",
        "appended": f"Appended to {number}.",
    }
    assert outcome.reason == reasons[code]


def test_an_inactive_user_is_unknown(world):
    world.alice.is_active = False
    world.alice.save()
    outcome = route(parsed(subject=f"[{ref(world.alice_case)}]"))
    assert (outcome.code, outcome.sender) == ("unknown_sender", None)


def test_a_closed_case_is_not_reopened_by_mail(world):
    world.alice_case.status = "closed"
    world.alice_case.sub_status = "resolved"
    world.alice_case.save()
    outcome = route(parsed(subject=f"[{ref(world.alice_case)}]"))
    assert (outcome.code, outcome.case, outcome.sender) == ("case_closed", world.alice_case, None)
    assert outcome.reason == (
        f"{world.alice_case.number} is closed; a reply does not re-open it (B7)."
    )


@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("Re: your case", "Still broken.", "No reference ID: a new e-mail (E3)."),
        ("Re: cs-000123 still broken", "", "Names case CS-000123 but carries no reference ID; "
         "a case number alone never links mail (E3)."),
        ("Re: still broken", "See case CS-000042.", "Names case CS-000042 but carries no "
         "reference ID; a case number alone never links mail (E3)."),
    ],
)  # fmt: skip
def test_a_case_number_alone_never_links(world, subject, body, reason):
    outcome = route(parsed(subject=subject, body=body))
    assert (outcome.code, outcome.reason, outcome.case) == ("no_reference", reason, None)


def test_forged_or_unknown_references_are_refused(world):
    good = reference_token(world.alice_case.pk, world.acme.pk)
    forged = ReferenceToken(world.carol_case.pk, good.key_version, good.signature)
    missing = reference_token(999_999, world.acme.pk)
    other_org = reference_token(world.alice_case.pk, world.globex.pk)
    for token in (forged, missing, other_org):
        outcome = route(parsed(subject=f"[{token}]"))
        assert (outcome.code, outcome.case) == ("bad_reference", None)
        assert outcome.reason == "The reference ID is not valid (edited or forged)."


def test_one_valid_reference_among_invalid_ones_routes(world):
    forged = ReferenceToken(world.carol_case.pk, 1, "A" * 16)
    outcome = route(
        parsed(subject=f"[{forged}] [{ref(world.alice_case)}] [{ref(world.alice_case)}]")
    )
    assert (outcome.code, outcome.case) == ("appended", world.alice_case)


def test_references_of_two_cases_wait_for_care(world):
    outcome = route(parsed(subject=f"[{ref(world.alice_case)}] [{ref(world.carol_case)}]"))
    assert (outcome.code, outcome.case) == ("several_references", None)
    assert outcome.reason == "Reference IDs of several cases; which one is meant?"


def test_a_reference_at_the_very_end_of_the_subject_or_start_of_the_body(world):
    assert route(parsed(subject=f"Re: logs {ref(world.alice_case)}")).code == "appended"
    assert route(parsed(subject="Re: logs", body=ref(world.alice_case))).code == "appended"


def test_the_reference_may_be_in_the_body_or_only_in_the_html(world):
    assert route(parsed(body=f"Quoting [{ref(world.alice_case)}]")).code == "appended"
    html_only = dataclasses.replace(parsed(), html=f"<p>[{ref(world.alice_case)}]</p>")
    assert route_reply(html_only, "").code == "appended"
    # With a text part, the HTML alternative is not searched.
    assert route_reply(html_only, "plain text").code == "no_reference"


@pytest.mark.parametrize(
    "sender",
    ["alice@acme.example, bob@acme.example", "alice@acme.example (c) <x@evil.example>"],
)
def test_an_unclear_sender_is_unauthenticated(world, sender):
    outcome = route(parsed(sender=sender, subject=f"[{ref(world.alice_case)}]"))
    assert (outcome.code, outcome.case, outcome.sender) == ("sender_unclear", None, None)
    assert outcome.reason.startswith("The From header does not name exactly one clean sender")
    assert outcome.reason.endswith(f"“{sender}”. Treated as unauthenticated.")


def test_no_from_header_or_a_long_one_is_unclear(world):
    token = ref(world.alice_case)
    no_from = dataclasses.replace(parsed(subject=f"[{token}]"), from_addresses=[], headers=[])
    outcome = route(no_from)
    assert outcome.code == "sender_unclear"
    assert outcome.reason.endswith("“”. Treated as unauthenticated.")
    long_from = "a" * 400 + "@acme.example, b@acme.example"
    outcome = route(parsed(sender=long_from, subject=f"[{token}]"))
    assert outcome.code == "sender_unclear"
    assert f"“{'a' * 300}”" in outcome.reason  # shown cut to 300 characters


def test_without_an_authserv_setting_there_is_no_check(world, settings):
    # Security rule 1: no trusted authserv-id configured means no sender-authentication
    # policy (the demo, or an MTA that rejects unauthenticated mail itself).
    del settings.MAIL_TRUSTED_AUTHSERV_ID
    assert route(parsed(subject=f"[{ref(world.alice_case)}]")).code == "appended"


def test_sender_authentication_is_checked_when_configured(world, settings):
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    unsigned = route(parsed(subject=f"[{ref(world.alice_case)}]"))
    assert (unsigned.code, unsigned.case) == ("auth_failed", world.alice_case)
    assert unsigned.reason == (
        "Sender authentication failed: No Authentication-Results header from our mail server."
    )
    signed = parsed(
        subject=f"[{ref(world.alice_case)}]",
        headers="Authentication-Results: mx.casedesk.test; dkim=pass header.d=acme.example\r\n",
    )
    assert route(signed).code == "appended"


# -- automatic mail: never a case update (E2; RFC 3834) ------------------------------
AUTOMATIC = [
    ("Auto-Submitted: auto-replied\r\n", None, ("auto_submitted",
     "Automatic message (Auto-Submitted: auto-replied).")),
    ("Auto-Submitted: auto-generated; owner=x\r\n", None, ("auto_submitted",
     "Automatic message (Auto-Submitted: auto-generated).")),
    ("Auto-Submitted: no\r\n", "alice@acme.example", None),
    ("X-Autoreply: yes\r\n", None, ("auto_submitted",
     "Automatic reply (X-Autoreply/X-Autorespond).")),
    ("Precedence: bulk\r\n", None, ("bulk", "Bulk or list mail (Precedence: bulk).")),
    ("Precedence: list\r\n", None, ("bulk", "Bulk or list mail (Precedence: list).")),
    ("Precedence: junk\r\n", None, ("bulk", "Bulk or list mail (Precedence: junk).")),
    ("Precedence: first-class\r\n", "alice@acme.example", None),
    ("", "", ("null_sender", "Empty envelope sender (<>): a bounce or automatic notice.")),
    ("Return-Path: <>\r\n", None, ("null_sender",
     "Empty envelope sender (<>): a bounce or automatic notice.")),
    ("", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("headers", "envelope", "expected"), AUTOMATIC)
def test_automatic_mail(headers, envelope, expected):
    outcome = automatic_mail(parsed(headers=headers), envelope)
    assert (None if outcome is None else (outcome.code, outcome.reason)) == expected
    assert outcome is None or not outcome.appends


def test_bounces_and_our_own_mail_coming_back(settings):
    report = dataclasses.replace(parsed(), content_type="multipart/report")
    assert automatic_mail(report, "x@y").code == "bounce"
    assert automatic_mail(report, "x@y").reason == "A delivery or read report (multipart/report)."
    for local in ("mailer-daemon", "postmaster", "mail-daemon"):
        bounce = automatic_mail(parsed(sender=f"{local}@acme.example"), "x@y")
        assert (bounce.code, bounce.reason) == ("bounce", f"A message from {local}: a bounce.")
    settings.MAIL_DOMAIN = "casedesk.test"
    loop = dataclasses.replace(parsed(), message_id="case-1.abc@CASEDESK.TEST")
    own = automatic_mail(loop, "x@y")
    assert (own.code, own.reason) == (
        "own_message",
        "Our own outbound message came back (mail loop).",
    )
    elsewhere = dataclasses.replace(parsed(), message_id="case-1.abc@notcasedesk.test")
    assert automatic_mail(elsewhere, "x@y") is None
    assert automatic_mail(dataclasses.replace(parsed(), from_addresses=[]), "x@y") is None
