"""Every file a case received is purged (C7, C9; issue 11 item 7).

One case receives a file by every route: a tus upload, an SFTP drop box, and an e-mail
reply with an attachment (whose stored raw message carries the file a second time). The
worker's purge 30 days after closure removes all of it; the care queue's raw download then
holds the message's headers and text only.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.cases import services
from casedesk.dropbox.services import dropbox_file_attach, dropbox_open
from casedesk.files.models import Attachment
from casedesk.files.services import new_storage_key
from casedesk.files.storage import get_storage
from casedesk.mail.reducing import reduce_to_text
from casedesk.mail.services import mail_raw, mail_receive
from casedesk.scheduling.services import worker_tick
from tests.files.test_tus import Tus

pytestmark = pytest.mark.django_db
UTC = dt.UTC

LOG = b"2026-11-24 dialer: pacing thread deadlock SECRET-LOG-LINE\n"


def _mail_with_attachment(token: str) -> bytes:
    return (
        "From: alice@acme.example\r\nTo: support@casedesk.invalid\r\n"
        f"Subject: Re: [{token}]\r\nMessage-ID: <logs@acme.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nLogs attached, see dialer.log.\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="dialer.log"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(LOG).decode()}\r\n--b--\r\n"
    ).encode()


def _everything_stored() -> bytes:
    from django.conf import settings as django_settings

    root = django_settings.FILES_ROOT
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_the_purge_removes_files_from_every_route(world, client: Client, settings):
    # R: C7, C9, D1, D2, E2
    # About retention, not sender authentication: a site that opted out (issue 15 item 2).
    settings.MAIL_TRUST_UNAUTHENTICATED = True
    from casedesk.mail.reference import reference_token

    case = world.alice_case
    now = world.now
    # 1. tus (the browser's and the CLI's route)
    with time_machine.travel(now, tick=False):
        tus = Tus(client, world.alice, now)
        created = tus.create(case.number, len(LOG), filename="tus.log")
        assert created.status_code == 201
        assert tus.patch(created["Location"], 0, LOG).status_code == 204
    # 2. an SFTP drop box: the server streams to a storage key, then attaches it
    account = dropbox_open(case=case, actor=world.care, now=now)
    key = new_storage_key(case.pk)
    with get_storage().open_append(key) as out:
        out.write(LOG)
    dropbox_file_attach(
        account=account,
        filename="sftp.log",
        storage_key=key,
        sha256=hashlib.sha256(LOG).hexdigest(),
        now=now,
    )
    # 3. an e-mail reply with the log attached (and the raw message that carries it)
    token = str(reference_token(case.pk, case.organisation_id))
    message = mail_receive(
        raw=_mail_with_attachment(token),
        source="test",
        envelope_from="alice@acme.example",
        envelope_to=["support@casedesk.invalid"],
        now=now,
    )
    assert message.state == "appended" and message.case_id == case.pk
    sources = sorted(Attachment.objects.filter(case=case).values_list("source", flat=True))
    assert sources == ["cli", "email", "sftp"]
    stored = _everything_stored()
    assert stored.count(LOG) == 3  # the three files,
    assert stored.count(base64.b64encode(LOG)) == 1  # and the raw message's copy
    assert LOG in email.message_from_bytes(mail_raw(message)).get_payload()[1].get_payload(
        decode=True
    )

    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    services.case_transition(
        case=case,
        actor=world.engineer,
        action="close",
        to="resolved",
        reason="Fixed in 9.2.2",
        close_reason="solution_accepted",
        now=closed_at,
    )
    assert worker_tick(worker="t", now=closed_at + dt.timedelta(days=30)) >= 1

    assert not Attachment.objects.filter(case=case, purged_at__isnull=True).exists()
    stored = _everything_stored()
    assert LOG not in stored and base64.b64encode(LOG) not in stored
    message.refresh_from_db()
    assert all(part.get("purged_at") for part in message.parts)
    client.force_login(world.care)
    response = client.get(reverse("console-mail-raw", args=[message.pk]))
    raw = b"".join(response.streaming_content)
    assert b"Subject: Re: [" in raw and b"Logs attached, see dialer.log." in raw
    assert base64.b64encode(LOG) not in raw and b'dialer.log"' not in raw
    assert message.size == len(raw) and message.sha256 == hashlib.sha256(raw).hexdigest()
    detail = client.get(reverse("console-mail-detail", args=[message.pk])).content.decode()
    assert "removed with the case" in detail


# --- the reduction itself (pure, property-tested) ------------------------------------------

texts = (
    st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")), min_size=1, max_size=80)
    .map(str.strip)
    .filter(bool)
)
blobs = st.binary(min_size=8, max_size=200)


def _build(body: str, html: str | None, files: list[tuple[str, bytes]], nested: bool) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "alice@acme.example"
    msg["Subject"] = "Logs"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(f"<p>{html}</p>", subtype="html")
    for name, data in files:
        if nested:
            inner = EmailMessage()
            inner["Subject"] = "forwarded"
            inner.add_attachment(
                data, maintype="application", subtype="octet-stream", filename=name
            )
            msg.add_attachment(inner)
        else:
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


@settings(max_examples=60, deadline=None)
@given(
    texts,
    st.none() | texts,
    st.lists(st.tuples(st.sampled_from(["a.log", "b.zip", "c.pdf"]), blobs), max_size=3),
    st.booleans(),
)
def test_reduction_keeps_headers_and_text_and_drops_every_attachment(body, html, files, nested):
    raw = _build(body, html, files, nested)
    reduced = reduce_to_text(raw)
    parsed = email.message_from_bytes(reduced, policy=email.policy.default)
    assert parsed["Subject"] == "Logs" and parsed["From"] == "alice@acme.example"
    assert body in parsed.get_body(preferencelist=("plain",)).get_content()
    if html is not None:
        assert html in parsed.get_body(preferencelist=("html",)).get_content()
    assert not list(parsed.iter_attachments())
    for _name, data in files:
        assert base64.b64encode(data)[:12] not in reduced
    assert reduce_to_text(reduced) == reduced  # idempotent


@given(st.binary(max_size=300))
def test_garbage_keeps_at_most_its_header_block(raw):
    reduced = reduce_to_text(raw)
    assert len(reduced) <= len(raw) + 4
    assert reduce_to_text(io.BytesIO(reduced).read()) is not None
