"""Hard limits of the parser: each one quarantines with its own reason (rule 6)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casedesk.cases.models import CaseEvent
from casedesk.mail import services
from casedesk.mail.models import State
from casedesk.mail.parsing import MailLimits, MailRejected, parse_message

from .conftest import reply_bytes

PLAIN = reply_bytes(sender="alice@acme.example", subject="hi")


def _rejected(raw: bytes, **limits) -> str:
    with pytest.raises(MailRejected) as rejected:
        parse_message(raw, MailLimits(**limits))
    return rejected.value.code


def _multipart(parts: int) -> bytes:
    body = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(parts))
    return (
        "From: a@b.example\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + body + "--b--\r\n"
    ).encode()


def test_total_size():
    assert _rejected(PLAIN, max_bytes=100) == "too_large"


def test_header_count_and_line_length():
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(30)) + PLAIN
    assert _rejected(many, max_headers=20) == "too_many_headers"
    long_line = b"X-Long: " + b"a" * 300 + b"\r\n" + PLAIN
    assert _rejected(long_line, max_header_line=200) == "header_line_too_long"


def test_part_count_before_and_during_the_walk():
    assert _rejected(_multipart(12), max_parts=10) == "too_many_parts"
    parse_message(_multipart(9), MailLimits(max_parts=10))


def test_decoded_size():
    assert _rejected(_multipart(3), max_decoded_bytes=10) == "decoded_too_large"


def test_time_budget():
    assert _rejected(_multipart(3), max_seconds=-1) == "too_slow"


def test_many_headers_in_a_nested_part():
    nested_headers = "".join(f"X-P{i}: v\r\n" for i in range(30))
    raw = (
        "From: a@b.example\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\n{nested_headers}Content-Type: text/plain\r\n\r\nx\r\n--b--\r\n"
    ).encode()
    assert _rejected(raw, max_headers=20) == "too_many_headers"


@pytest.mark.django_db(transaction=True)
def test_two_processors_of_one_message_append_it_once(world, token):
    # R: rule 7 — the claim is a conditional update: one winner, the other does nothing.
    raw = reply_bytes(sender="alice@acme.example", subject=f"[{token}]")
    stored = services.mail_store(
        raw=raw, source="test", envelope_from="a", envelope_to="s", now=world.now
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    seen: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=60)
            # SQLite queues the two claims (BEGIN IMMEDIATE on the test database file, busy
            # timeout); PostgreSQL waits on the row. Either way neither processor fails.
            seen.append(services.mail_process(message_id=stored.pk, now=world.now).state)
        except BaseException as exc:  # surfaced in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a processor never finished"
    assert errors == []
    assert seen == [State.APPENDED, State.APPENDED]
    stored.refresh_from_db()
    assert stored.state == State.APPENDED
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 1
