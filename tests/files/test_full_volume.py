"""A full files volume (issue 15 item 13; D1, E2, rule 6): a real 2 MiB tmpfs as the files
root. The upload and the mail receiver fail cleanly, with answers that make their clients
retry, and nothing already stored is lost; once there is room again both go through."""

from __future__ import annotations

import hashlib
import io
import smtplib

import pytest

from casedesk.files.models import Attachment, Source, Upload
from casedesk.files.services import attachment_store
from casedesk.files.storage import get_storage
from casedesk.mail.models import InboundMessage
from casedesk.mail.services import mail_raw
from casedesk.mail.smtp import start_receiver
from tests.mail.conftest import reply_bytes

from .test_tus import Tus, path_of

pytestmark = pytest.mark.django_db(transaction=True)

KiB = 1024


def _fill(root) -> None:
    """Write a filler file until the volume refuses another byte."""
    with open(root / "filler", "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4 * KiB)
        except OSError:
            pass


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)


def test_a_full_volume_fails_uploads_and_mail_cleanly_and_loses_nothing(
    client, world, settings, small_volume
):
    kept = attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="kept.log",
        stream=io.BytesIO(b"k" * 100 * KiB),
        source=Source.BROWSER,
        now=world.now,
    )
    receiver = start_receiver(host="127.0.0.1", port=0)
    try:
        first_mail = reply_bytes(sender="alice@acme.example", subject="First")
        # A message of its own (another Message-ID): a repeat would be answered from the
        # stored first without writing anything (issue 15 item 1).
        second_mail = reply_bytes(
            sender="alice@acme.example", subject="Second", message_id="<reply-2@acme.example>"
        )
        _send(receiver.port, first_mail)
        tus = Tus(client, world.alice, world.now)
        url = path_of(tus.create(world.alice_case.number, 600 * KiB))

        _fill(small_volume)
        chunk = bytes(range(256)) * (600 * KiB // 256)
        refused = tus.patch(url, 0, chunk)
        assert refused.status_code == 507, refused.content
        assert b"disk is full" in refused.content and refused["Retry-After"]
        assert tus.head(url)["Upload-Offset"] == "0"
        assert get_storage().size(Upload.objects.get().partial_key) == 0
        assert tus.create(world.alice_case.number, 10 * KiB).status_code == 413
        with pytest.raises(smtplib.SMTPDataError) as mail_refused:
            _send(receiver.port, second_mail)
        assert mail_refused.value.smtp_code == 451  # temporary: the MTA keeps it and retries
        raw_files = [p for p in (settings.FILES_ROOT / "mail" / "raw").rglob("*") if p.is_file()]
        assert len(raw_files) == 1  # the first message's; the refused one left no partial file

        # Nothing stored before is lost.
        assert InboundMessage.objects.count() == 1
        assert mail_raw(InboundMessage.objects.get()) == first_mail
        with get_storage().open_read(kept.storage_key) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == kept.sha256
        assert Attachment.objects.count() == 1

        (small_volume / "filler").unlink()  # room again: both go through
        assert tus.patch(url, 0, chunk).status_code == 204
        assert Attachment.objects.get(filename="server.log").sha256 == (
            hashlib.sha256(chunk).hexdigest()
        )
        _send(receiver.port, second_mail)
        assert InboundMessage.objects.count() == 2
    finally:
        receiver.stop()
