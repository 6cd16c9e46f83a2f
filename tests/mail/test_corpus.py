"""Every .eml of the corpus through the pipeline, against its expected outcome (rule 11).

The corpus (tests/mail/corpus/) holds real-world shapes: Outlook, Gmail, Apple Mail and
Thunderbird replies, forwarded mail, legacy charsets, TNEF, auto-replies, bounces,
bulk mail, forged control headers, a MIME bomb and hostile HTML. A new real-world
message that broke something goes in here with its expected outcome.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casedesk.files.models import Attachment
from casedesk.mail.models import State
from casedesk.mail.reference import reference_token
from casedesk.mail.services import mail_receive

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
CASES = sorted(name for name in EXPECTED if not name.startswith("_"))


def test_corpus_is_complete():
    on_disk = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert on_disk == CASES
    assert len(CASES) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASES)
def test_corpus_message(world, name):
    # R: E2, E3, B5; rules 1, 2, 5, 6
    expected = json.loads(
        json.dumps(EXPECTED[name]).replace("{{CASE_NUMBER}}", world.alice_case.number)
    )
    token = str(reference_token(world.alice_case.pk, world.acme.pk))
    raw = (CORPUS / name).read_bytes()
    raw = raw.replace(b"{{TOKEN}}", token.encode())
    raw = raw.replace(b"{{CASE_NUMBER}}", world.alice_case.number.encode())
    message = mail_receive(
        raw=raw, source="test", envelope_from=None, envelope_to="support@x", now=world.now
    )
    assert (message.state, message.reason_code) == (expected["state"], expected["reason_code"]), (
        message.reason
    )
    if message.state == State.APPENDED:
        assert message.case == world.alice_case
        assert message.sender.email == expected.get("sender", "alice@acme.example")
    assert expected.get("text_contains", "") in message.text
    if "text_excludes" in expected:
        assert expected["text_excludes"] not in message.text
    assert expected.get("quoted_contains", "") in message.quoted_text
    assert expected.get("html_contains", "") in message.html
    assert expected.get("quoted_html_contains", "") in message.quoted_html
    for bad in expected.get("html_excludes", []):
        assert bad not in message.html and bad not in message.quoted_html, bad
    assert expected.get("subject_contains", "") in message.subject
    assert expected.get("reason_contains", "") in message.reason
    if "stripped" in expected:
        assert message.stripped_headers == expected["stripped"]
    files = sorted(
        Attachment.objects.filter(case=world.alice_case).values_list("filename", flat=True)
    )
    assert files == sorted(expected.get("attachments", []))
