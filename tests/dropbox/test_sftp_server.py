"""The drop box against the real server with OpenSSH's sftp client (D2; rules 10, 12)."""

from __future__ import annotations

import hashlib

import pytest

from casedesk.core import clock
from casedesk.dropbox import secrets_box
from casedesk.dropbox.services import dropbox_open
from casedesk.files.models import Attachment
from tests.factories import build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live():  # type: ignore[no-untyped-def]
    world = build_world(now=clock.now())
    account = dropbox_open(case=world.alice_case, actor=world.care, now=clock.now())
    return world, account, secrets_box.unseal(account.password_sealed)


def test_upload_becomes_an_attachment_with_its_sha256(sftp, live):
    # R: D2
    world, account, password = live
    data = b"trace line\n" * 50_000
    (sftp.workdir / "trace.log").write_bytes(data)
    result = sftp.run(account.username, password, "put trace.log\nls -l\n")
    assert result.code == 0, result.text
    att = Attachment.objects.get(case=world.alice_case)
    assert att.sha256 == hashlib.sha256(data).hexdigest() and att.source == "sftp"
    assert "trace.log" in result.out
