"""The care queue in the console (E3; rules 3 and 5)."""

from __future__ import annotations

import re

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.cases.services import case_transition
from casedesk.mail import services
from casedesk.mail.models import State

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db

HOSTILE_HTML = (
    "From: Stranger <stranger@else.example>\r\nTo: support@casedesk.invalid\r\n"
    "Subject: Invoice\r\nMessage-ID: <h@else.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    '<p onclick="steal()">Hello <b>there</b></p><script>alert(1)</script>'
    '<img src="https://tracker.example/pixel.gif" onerror="alert(2)" alt="logo">'
    '<a href="javascript:alert(3)">click</a> <a href="https://ok.example/">ok</a>'
    '<style>body{display:none}</style><iframe src="https://evil.example/"></iframe>'
    '<div class="gmail_quote">On Mon wrote:<blockquote>old text</blockquote></div>\r\n'
)


def receive(raw: bytes, world):
    return services.mail_receive(
        raw=raw, source="test", envelope_from="x@else.example", envelope_to="s", now=world.now
    )


def test_queue_lists_waiting_mail_with_reason_sender_subject_size(client, world):
    # R: E3
    message = receive(reply_bytes(sender="Al <alice@acme.example>", subject="Dialer again"), world)
    client.force_login(world.care)
    page = client.get("/console/mail/")
    assert page.status_code == 200
    body = page.content.decode()
    for text in (
        "Dialer again",
        "alice@acme.example",
        "No reference ID",
        f"/console/mail/{message.pk}/",
    ):
        assert text in body
    assert "Mail care queue" in client.get("/console/").content.decode()


def test_detail_shows_only_sanitised_html_under_the_csp(client, world):
    # R: rule 5 — script, handlers, remote images, javascript: links never render.
    message = receive(HOSTILE_HTML.encode(), world)
    assert message.state == State.NEEDS_CARE
    client.force_login(world.care)
    response = client.get(f"/console/mail/{message.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hello <b>there</b>" in body
    # The page's own scripts are static files (CSP script-src 'self'); nothing else.
    scripts = re.findall(r"<script[^>]*>", body)
    assert all(
        re.fullmatch(r'<script src="/static/casedesk/js/[a-z]+\.js" defer>', s) for s in scripts
    )
    body = re.sub(r'<script src="/static/casedesk/js/[a-z]+\.js" defer></script>', "", body)
    for bad in ("<script", "alert(", "onclick", "onerror", "tracker.example", "javascript:",
                "<iframe", "display:none"):  # fmt: skip
        assert bad not in body, bad
    assert 'rel="noopener noreferrer nofollow"' in body
    assert '<details class="mail-quoted">' in body and "old text" in body  # gmail_quote folded
    assert "img-src 'self'" in response["Content-Security-Policy"]


def test_raw_download_is_an_attachment_with_nosniff(client, world):
    # R: rule 5
    raw = HOSTILE_HTML.encode()
    message = receive(raw, world)
    client.force_login(world.manager)
    response = client.get(f"/console/mail/{message.pk}/raw/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == raw


def test_link_form_appends_and_audits(client, world):
    # R: E3
    message = receive(reply_bytes(sender="alice@acme.example", subject="More info"), world)
    client.force_login(world.care)
    response = client.post(
        f"/console/mail/{message.pk}/link/", {"case_number": world.alice_case.number}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == State.LINKED and message.case == world.alice_case
    event = CaseEvent.objects.filter(case=world.alice_case).last()
    assert event.actor == world.alice and event.data["email"]["linked_by"] == world.care.email


def test_link_form_refusals_are_form_errors(client, world):
    message = receive(reply_bytes(sender="alice@acme.example", subject="More"), world)
    client.force_login(world.care)
    url = f"/console/mail/{message.pk}/link/"
    assert client.post(url, {"case_number": "CS-999999"}).status_code == 404
    assert client.post(url, {"case_number": "drop table"}).status_code == 404
    assert client.post(url, {}).status_code == 400
    case_transition(
        case=world.alice_case, actor=world.engineer, action="close", to="resolved",
        reason="done", close_reason="solution_accepted", now=world.now,
    )  # fmt: skip
    response = client.post(url, {"case_number": world.alice_case.number})
    assert response.status_code == 422 and b"closed" in response.content
    message.refresh_from_db()
    assert message.state == State.NEEDS_CARE


def test_dismiss_with_a_reason(client, world):
    message = receive(reply_bytes(sender="alice@acme.example", subject="spam"), world)
    client.force_login(world.care)
    url = f"/console/mail/{message.pk}/dismiss/"
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Newsletter"}).status_code == 302
    message.refresh_from_db()
    assert message.state == State.DISMISSED and message.handled_note == "Newsletter"
    # Handled once: a second action is refused, not a 500.
    assert client.post(url, {"reason": "again"}).status_code == 422


def test_open_a_case_from_a_contact_mail(client, world):
    # R: E3, B2 — the console's open-case form, prefilled from the mail; channel e-mail.
    message = receive(
        reply_bytes(sender="alice@acme.example", subject="IVR drops calls", body="Since 9am."),
        world,
    )
    client.force_login(world.care)
    url = f"/console/mail/{message.pk}/open-case/"
    form = client.get(url)
    assert form.status_code == 200 and b"IVR drops calls" in form.content
    cat = world.catalogue
    response = client.post(
        url,
        {
            "contract": world.acme_contract.pk, "kind": "support", "sub_type": "problem",
            "product": cat["product"].pk, "major_version": cat["version"].pk,
            "environment": "prod", "priority": "low", "subject": "IVR drops calls",
            "description": "Since 9am.",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    message.refresh_from_db()
    assert message.state == State.CASE_OPENED
    assert message.case.channel == "email" and message.case.contact == world.alice


def test_open_case_for_a_stranger_is_refused(client, world):
    # R: A8
    message = receive(reply_bytes(sender="enduser@site.example", subject="help"), world)
    client.force_login(world.care)
    assert client.get(f"/console/mail/{message.pk}/open-case/").status_code == 400


def test_timeline_shows_the_sanitised_reply_with_history_folded(client, world, token):
    # R: B5 — rich text kept, sanitised; quoted history in <details>.
    raw = HOSTILE_HTML.replace("stranger@else.example", "alice@acme.example").replace(
        "Subject: Invoice", f"Subject: Re: [{token}]"
    )
    message = receive(raw.encode(), world)
    assert message.state == State.APPENDED, message.reason
    for user, url in ((world.alice, f"/cases/{world.alice_case.number}/"),
                      (world.engineer, f"/console/cases/{world.alice_case.number}/")):  # fmt: skip
        client.force_login(user)
        body = client.get(url).content.decode()
        assert "Hello <b>there</b>" in body
        assert '<details class="mail-quoted">' in body and "old text" in body
        assert "<script>alert" not in body and "onerror" not in body
