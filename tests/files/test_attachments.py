"""The attachment core: storage, whole-file SHA-256, closed cases, access and purge (D1-D4, C7)."""

from __future__ import annotations

import hashlib
import io

import pytest

from casedesk.cases import services as case_services
from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core.errors import NotFound, PolicyViolation
from casedesk.files.models import Attachment, Source
from casedesk.files.selectors import access_attachment
from casedesk.files.services import (
    attachment_add,
    attachment_store,
    attachments_purge,
    clean_filename,
    new_storage_key,
)
from casedesk.files.storage import FileSystemStorage, get_storage

pytestmark = pytest.mark.django_db


def put(case, data: bytes) -> str:
    key = new_storage_key(case.pk)
    with get_storage().open_append(key) as out:
        out.write(data)
    return key


def test_attachment_records_size_sha256_and_a_timeline_event(world):
    # R: D1, D3
    data = b"log line\n" * 1000
    att = attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="C:\\logs\\server.log",
        stream=io.BytesIO(data),
        source=Source.BROWSER,
        now=world.now,
    )
    assert att.filename == "server.log"
    assert att.size == len(data)
    assert att.sha256 == hashlib.sha256(data).hexdigest()
    event = CaseEvent.objects.get(case=world.alice_case, kind=EventKind.ATTACHMENT)
    assert event.data["sha256"] == att.sha256 and event.public


def test_announced_checksum_mismatch_attaches_nothing_and_removes_the_bytes(world):
    # R: D1 (integrity-checked), security rule 9
    key = put(world.alice_case, b"abc")
    with pytest.raises(PolicyViolation, match="SHA-256 does not match what was sent"):
        attachment_add(
            case=world.alice_case,
            actor=world.alice,
            filename="a.txt",
            storage_key=key,
            source=Source.CLI,
            now=world.now,
            sha256=hashlib.sha256(b"abd").hexdigest(),
        )
    assert not Attachment.objects.exists()
    assert not get_storage().local_path(key).exists()


def test_closed_case_takes_no_files(world):
    # R: D1
    case_services.case_transition(
        case=world.alice_case,
        actor=world.alice,
        action="close",
        to="resolved",
        close_reason="solution_accepted",
        reason="Solved",
        now=world.now,
    )
    with pytest.raises(PolicyViolation, match="closed"):
        attachment_store(
            case=world.alice_case,
            actor=world.alice,
            filename="late.log",
            stream=io.BytesIO(b"x"),
            source=Source.BROWSER,
            now=world.now,
        )


def test_other_organisation_cannot_attach_or_reach_a_file(world):
    # R: security rule 3
    key = put(world.gina_case, b"x")
    with pytest.raises(NotFound, match=r"^No such case\.$"):
        attachment_add(
            case=world.gina_case,
            actor=world.alice,
            filename="x",
            storage_key=key,
            source=Source.BROWSER,
            now=world.now,
        )
    att = attachment_store(
        case=world.gina_case,
        actor=world.gina,
        filename="globex.log",
        stream=io.BytesIO(b"secret"),
        source=Source.BROWSER,
        now=world.now,
    )
    for outsider in (world.alice, world.bob):
        with pytest.raises(NotFound, match=r"^No such file\.$"):
            access_attachment(outsider, att.pk)
    assert access_attachment(world.engineer, att.pk) == att


def test_purge_removes_bytes_keeps_the_record_and_is_idempotent(world):
    # R: C7, D4
    att = attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="big.bin",
        stream=io.BytesIO(b"0" * 4096),
        source=Source.BROWSER,
        now=world.now,
    )
    path = get_storage().local_path(att.storage_key)
    assert path.exists()
    assert attachments_purge(case=world.alice_case, now=world.now, reason="30 days") == 1
    att.refresh_from_db()
    assert att.is_purged and not path.exists() and att.sha256
    assert attachments_purge(case=world.alice_case, now=world.now, reason="again") == 0
    assert CaseEvent.objects.filter(kind=EventKind.FILES_PURGED).count() == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("../../etc/passwd", "passwd"), ("a\x00b\r\n.txt", "ab.txt"), ("..", "file"), ("", "file")],
)
def test_clean_filename_keeps_only_a_safe_last_component(raw, clean):
    assert clean_filename(raw) == clean


def test_storage_refuses_keys_outside_its_root(tmp_path):
    storage = FileSystemStorage(tmp_path)
    with pytest.raises(ValueError, match="escapes"):
        storage.open_append("../outside")
