"""Issue 17, item 2: a header is parsed once per name and value, not on every read; the
sharing is bounded, so hostile mail cannot grow it, and the parse is unchanged."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from casedesk.mail.parsing import MAIL_POLICY, _SharedHeaders, parse_message


def _mail(n: int, content_type: str = "text/plain; charset=utf-8") -> bytes:
    return (
        f"From: a{n}@acme.example\r\nTo: s@x\r\nSubject: s {n}\r\nMessage-ID: <{n}@a>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\nBody {n}\r\n"
    ).encode()


def test_the_same_header_is_one_object_across_reads_and_messages():
    first = BytesParser(policy=MAIL_POLICY).parsebytes(_mail(1))
    second = BytesParser(policy=MAIL_POLICY).parsebytes(_mail(2))
    assert first["Content-Type"] is first["Content-Type"]
    assert first["Content-Type"] is second["Content-Type"]
    assert first["From"] is not second["From"]
    plain = BytesParser(policy=policy.default).parsebytes(_mail(1))
    assert first["Content-Type"].params == plain["Content-Type"].params
    assert first.get_content_charset() == "utf-8" and parse_message(_mail(3)).text == "Body 3"


def test_the_sharing_is_bounded():
    registry = _SharedHeaders()
    for n in range(registry.SIZE + 10):
        registry("X-Test", f"value {n}")
    assert len(registry._seen) <= registry.SIZE
    long_value = "x" * (registry.LONGEST + 1)
    assert registry("Subject", long_value) is not registry("Subject", long_value)
    assert registry("Subject", long_value) == long_value


def test_defects_stay_with_their_header():
    bad = BytesParser(policy=MAIL_POLICY).parsebytes(_mail(4, "text/plain; charset"))
    again = BytesParser(policy=MAIL_POLICY).parsebytes(_mail(5, "text/plain; charset"))
    assert bad["Content-Type"].defects and again["Content-Type"].defects
