"""Regression tests for the inbound-mail security review (rule 11: named after the attack)."""

from __future__ import annotations

import functools
import itertools
import sys
import types

import pytest
from django.core.checks import run_checks

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.files.models import Attachment
from casedesk.mail import quoting, services
from casedesk.mail.authres import check_sender_authentication
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.sanitise import html_to_text
from casedesk.mail.services import reading
from tests.workmeter import assert_linear

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db


def receive(raw: bytes, world) -> InboundMessage:
    return services.mail_receive(
        raw=raw,
        source="test",
        envelope_from="sender@mx.example",
        envelope_to=["support@casedesk.invalid"],
        now=world.now,
    )


def html_mail(*, sender: str, subject: str, html: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@casedesk.invalid\r\nSubject: {subject}\r\n"
        "Message-ID: <html-1@acme.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
    ).encode()


def mail_with_file(*, sender: str, subject: str, headers: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@casedesk.invalid\r\nSubject: {subject}\r\n"
        f"Message-ID: <file-1@acme.example>\r\nMIME-Version: 1.0\r\n{headers}"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee the attached file.\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="payload.html"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nPHNjcmlwdD4K\r\n--b--\r\n"
    ).encode()


# --- 1. denial of service through quote splitting -----------------------------------------
# Each attack is measured in work, not seconds (tests/workmeter.py): at n, 2n and 4n copies
# of the hostile pattern the work must grow linearly, in the function that was quadratic and
# in the whole pipeline around it. The pre-fix code fails these checks
# (tests/test_workmeter.py keeps it as the meter's own control), on any machine, under any
# load; the full-size attack then still runs once, untraced, to show it is processed.


def _mail_modules() -> list[types.ModuleType]:
    """casedesk.mail and its submodules, whatever files the code lives in this week."""
    return [m for name, m in list(sys.modules.items()) if name.startswith("casedesk.mail")]


_ids = itertools.count()


def _received(world, make_raw):  # type: ignore[no-untyped-def]
    """A workload: receiving the mail ``make_raw(n)`` builds, each with its own Message-ID."""

    def workload(n: int):  # type: ignore[no-untyped-def]
        raw = make_raw(n).replace(b"Message-ID: <", f"Message-ID: <dos-{next(_ids)}.".encode())
        return functools.partial(receive, raw, world)

    return workload


def test_quote_splitting_dos_alternating_quote_lines_is_linear(world, token):
    # R: rule 6 — ">"/"b" lines made the quoted-tail test copy the rest per line (n²).
    assert_linear(lambda n: functools.partial(quoting.split_quoted_text, ">\nb\n" * n), 500,
                  _mail_modules())  # fmt: skip

    def raw(n: int) -> bytes:
        return reply_bytes(sender="alice@acme.example", subject=f"[{token}]", body=">\r\nb\r\n" * n)

    assert_linear(_received(world, raw), 200, _mail_modules())
    message = receive(raw(80_000), world)  # 320 KB: 26 s before the fix
    assert message.state == State.APPENDED  # still processed


def test_quote_splitting_dos_html_div_backtracking_is_bounded(world, token):
    # R: rule 6 — "<div " * N made the gmail_quote pattern backtrack (55 s for 50 KB).
    for attack in ("<div ", "<div class=class="):
        assert_linear(lambda n, a=attack: functools.partial(quoting.split_quoted_html, a * n),
                      150, _mail_modules())  # fmt: skip

    def raw(n: int) -> bytes:
        return html_mail(sender="alice@acme.example", subject=f"[{token}]", html="<div " * n)

    assert_linear(_received(world, raw), 150, _mail_modules())
    quoting.split_quoted_html("<div " * 50_000)
    quoting.split_quoted_html("<div class=class=" * 20_000)
    assert receive(raw(10_000), world).state == State.APPENDED


def test_quote_splitting_dos_markers_still_split(world):
    # The linear versions keep the shapes the corpus relies on.
    assert quoting.split_quoted_text("Hi\n\nOn Mon, Bob wrote:\n> old") == (
        "Hi",
        "On Mon, Bob wrote:\n> old",
    )
    assert quoting.split_quoted_text("Hi\nAm Mo. schrieb Bob <b@x>:\n> alt")[1].startswith("Am")
    # Inline answers stay visible; only the all-quoted tail folds.
    assert quoting.split_quoted_text("a\n> q\nanswer\n> q2\n\n> q3") == (
        "a\n> q\nanswer",
        "> q2\n\n> q3",
    )
    html = '<p>new</p><div dir="ltr" class="gmail_quote gmail_quote_container">old</div>'
    assert quoting.split_quoted_html(html) == ("<p>new</p>", html[10:])
    assert quoting.split_quoted_html('x<blockquote type="cite">y')[0] == "x"
    assert quoting.split_quoted_html("x<div id=divRplyFwdMsg>y")[0] == "x"


def test_quote_splitting_dos_work_runs_before_the_claim_transaction(world, token, monkeypatch):
    # R: rule 6 — the slow part never holds the write lock: the row is not yet claimed.
    seen: list[bool] = []
    original = reading.split_quoted_text

    def spy(text: str) -> tuple[str, str]:
        seen.append(InboundMessage.objects.filter(processed_at__isnull=True).exists())
        return original(text)

    monkeypatch.setattr(reading, "split_quoted_text", spy)
    message = receive(reply_bytes(sender="alice@acme.example", subject=f"[{token}]"), world)
    assert message.state == State.APPENDED and seen == [True]


def test_html_to_text_unclosed_br_dos_is_linear(world, token):
    # R: rule 6 — "<br<br<br…" without ">" made the block-end pattern scan to the end per tag.
    assert_linear(lambda n: functools.partial(html_to_text, "<br" * n), 300, _mail_modules())

    def raw(n: int) -> bytes:
        return html_mail(sender="alice@acme.example", subject=f"[{token}]", html="x<br" * n)

    assert_linear(_received(world, raw), 200, _mail_modules())
    assert html_to_text("<br" * 300_000) == ""
    assert receive(raw(100_000), world).state == State.APPENDED


def test_authentication_results_nested_comment_dos_is_linear():
    # R: rule 6 — nested comments were removed one level per regex pass (n²).
    def nested(n: int):  # type: ignore[no-untyped-def]
        value = "mx.t; " + "(" * n + ")" * n + " dmarc=pass header.from=acme.example"
        return functools.partial(
            check_sender_authentication,
            [value],
            from_address="alice@acme.example",
            trusted_authserv_id="mx.t",
        )

    def long_value(n: int):  # type: ignore[no-untyped-def]
        return functools.partial(
            check_sender_authentication,
            ["mx.t; dkim=pass " + "a" * n],
            from_address="a@acme.example",
            trusted_authserv_id="mx.t",
        )

    assert_linear(nested, 500, _mail_modules())
    assert_linear(long_value, 1000, _mail_modules())
    depth = 20_000
    assert nested(depth)().passed  # the comment is still only a comment
    assert not long_value(60_000)().passed


# --- 2. forged sender ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "results",
    [
        "mx.casedesk.test; dmarc=pass header.from=evil.example",
        "mx.casedesk.test; dmarc=pass",
        "mx.casedesk.test; dmarc=pass header.from=example",
    ],
)
def test_dmarc_pass_for_another_domain_does_not_authenticate(world, token, settings, results):
    # R: rule 1 — the attacker's own domain passing DMARC says nothing about alice's.
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = reply_bytes(
        sender="alice@acme.example",
        subject=f"[{token}]",
        headers=f"Authentication-Results: {results}\r\n",
    )
    message = receive(raw, world)
    assert message.state == State.NEEDS_CARE and message.reason_code == "auth_failed"


@pytest.mark.parametrize(
    "from_header",
    [
        "alice@acme.example (x) <attacker@evil.example>",
        "<alice@acme.example>attacker@evil.example",
        "alice@acme.example <attacker@evil.example>",
        "=?x?q?alice=40acme.example=3e=00?=foo@evil.example",
        "=?utf-8?q?alice@acme.example?=",
    ],
)
def test_forged_from_via_parser_defects_is_unauthenticated(world, token, settings, from_header):
    # R: rule 1 — the parser's guess is never taken for the sender, even with DMARC passing.
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = reply_bytes(
        sender=from_header,
        subject=f"[{token}]",
        headers="Authentication-Results: mx.casedesk.test; dmarc=pass header.from=acme.example\r\n",
    )
    message = receive(raw, world)
    assert message.state == State.NEEDS_CARE and message.reason_code == "sender_unclear"
    assert message.from_address == "" and "unauthenticated" in message.reason
    assert not CaseEvent.objects.filter(
        case=world.alice_case, kind=EventKind.CUSTOMER_UPDATE
    ).exists()
    # Care linking it cannot make it alice's update either.
    services.mail_link_to_case(
        message=message, case=world.alice_case, actor=world.care, now=world.now
    )
    event = CaseEvent.objects.filter(case=world.alice_case).last()
    assert event.kind == EventKind.NOTE and not event.public and event.actor == world.care


@pytest.mark.parametrize(
    "from_header", ["Alice <alice@acme.example>", "J. Alice <ALICE@acme.example>",
                    "alice@acme.example (Alice)", "=?utf-8?q?Al=C3=AFce?= <alice@acme.example>"],
)  # fmt: skip
def test_forged_from_check_keeps_ordinary_from_headers(world, token, from_header):
    message = receive(reply_bytes(sender=from_header, subject=f"[{token}]"), world)
    assert message.state == State.APPENDED and message.from_address == "alice@acme.example"


# --- 3. attachments published under an internal note ---------------------------------------


def _files_note(world) -> CaseEvent:
    assert not Attachment.objects.filter(case=world.alice_case).exists()
    assert not CaseEvent.objects.filter(case=world.alice_case, kind=EventKind.ATTACHMENT).exists()
    note = CaseEvent.objects.filter(case=world.alice_case).last()
    assert note.kind == EventKind.NOTE and not note.public
    assert "1 attachment(s) kept with the mail in the care queue" in note.body
    return note


def test_mail_attachments_of_a_staff_reply_are_not_published(world, token):
    # R: E2, D1 — staff mail is an internal note; its files must not become case files.
    message = receive(mail_with_file(sender="eve@support.example", subject=f"[{token}]"), world)
    assert message.state == State.APPENDED
    assert _files_note(world).actor == world.engineer


def test_ticket_trick_stranger_attachments_linked_by_care_are_not_published(world):
    # R: E3 — a stranger's mail linked as an internal note keeps its files out of the case.
    message = receive(mail_with_file(sender="stranger@else.example", subject="hello"), world)
    assert message.state == State.NEEDS_CARE
    services.mail_link_to_case(
        message=message, case=world.alice_case, actor=world.care, now=world.now
    )
    assert _files_note(world).actor == world.care


def test_auth_failed_mail_linked_by_care_is_an_internal_note(world, token, settings):
    # R: E3, rule 1 — a participant's From that failed authentication never speaks as them.
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = mail_with_file(
        sender="alice@acme.example",
        subject=f"[{token}]",
        headers="Authentication-Results: mx.casedesk.test; dmarc=fail; spf=fail\r\n",
    )
    message = receive(raw, world)
    assert message.reason_code == "auth_failed"
    services.mail_link_to_case(
        message=message, case=world.alice_case, actor=world.care, now=world.now
    )
    note = _files_note(world)
    assert note.actor == world.care and "not authenticated" in note.body
    assert not CaseEvent.objects.filter(
        case=world.alice_case, kind=EventKind.CUSTOMER_UPDATE
    ).exists()


def test_unauthenticated_mail_opened_as_a_case_does_not_publish_its_files(world, settings):
    # R: E3, A8, rule 1 — files of a forged "alice" mail never appear as alice's uploads.
    from tests.factories import draft

    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    forged = receive(mail_with_file(sender="alice@acme.example", subject="New problem"), world)
    case = services.mail_open_case(
        message=forged,
        actor=world.care,
        draft=draft(world.acme_contract, world.catalogue),
        now=world.now,
    )
    assert not Attachment.objects.filter(case=case).exists()
    forged.refresh_from_db()
    assert "1 attachment(s) kept with the mail" in forged.handled_note
    passing = mail_with_file(
        sender="alice@acme.example",
        subject="Another problem",
        headers="Authentication-Results: mx.casedesk.test; dmarc=pass header.from=acme.example\r\n",
    ).replace(b"<file-1@", b"<file-2@")
    case = services.mail_open_case(
        message=receive(passing, world),
        actor=world.care,
        draft=draft(world.acme_contract, world.catalogue),
        now=world.now,
    )
    assert Attachment.objects.filter(case=case, filename="payload.html").exists()


# --- 4. no sender authentication configured -------------------------------------------------


def test_missing_trusted_authserv_id_warns_under_check_deploy(settings):
    # R: rule 1, rule 12; issue 15 item 2 — the unsafe opt-out is named whatever receives
    # the mail; the safe default (replies wait for care) keeps check --deploy clean.
    settings.MAIL_TRUSTED_AUTHSERV_ID = ""
    settings.MAIL_TRUST_UNAUTHENTICATED = False
    for imap_host in ("", "imap.example"):
        settings.IMAP_HOST = imap_host
        assert "casedesk.mail.W001" not in {
            m.id for m in run_checks(include_deployment_checks=True)
        }
    settings.MAIL_TRUST_UNAUTHENTICATED = True
    for imap_host in ("", "imap.example"):  # SMTP/LMTP receiver only, or the IMAP poller
        settings.IMAP_HOST = imap_host
        ids = {m.id for m in run_checks(include_deployment_checks=True)}
        assert "casedesk.mail.W001" in ids
    assert "casedesk.mail.W001" not in {m.id for m in run_checks()}
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    assert "casedesk.mail.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}
