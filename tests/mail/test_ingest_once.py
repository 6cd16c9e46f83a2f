"""Issue 15, items 1 and 5 (E2, rules 6 and 7): a message delivered twice is stored and
appended once; a message stored but never routed is processed by the worker.

Through the real receiver (smtplib against aiosmtpd), two PostgreSQL connections racing
at the unique index, and a process killed with SIGKILL between storing and routing.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from casedesk.cases.models import CaseEvent
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.services import mail_store
from casedesk.mail.services.storing import message_key
from casedesk.mail.smtp import start_receiver
from casedesk.scheduling.models import Deadline
from casedesk.scheduling.worker import run_worker

from .conftest import reply_bytes

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


@pytest.fixture(params=[False, True], ids=["smtp", "lmtp"])
def receiver(request, settings):
    controller = start_receiver(host="127.0.0.1", port=0, lmtp=request.param)
    yield controller, request.param
    controller.stop()


def _deliver(port: int, raw: bytes, *, lmtp: bool = False) -> dict:
    client = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
    with client:
        return client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)


def _raw_files(settings) -> list[Path]:
    return list((Path(settings.FILES_ROOT) / "mail" / "raw").rglob("*.eml"))


@pytest.mark.django_db(transaction=True)
def test_mta_retry_after_a_lost_250_is_stored_and_appended_once(
    receiver, world, waiting_case, token, settings
):
    # R: E2, rule 7; issue 15 item 1 — the MTA sends the same message again (with its own
    # Received line on top, as a retry may): 250 both times, one row, one update, one file.
    controller, lmtp = receiver
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]",
                      message_id="<Retry-1@Mail.Acme.Example>")  # fmt: skip
    assert _deliver(controller.port, raw, lmtp=lmtp) == {}
    again = b"Received: from mx2 by mx1; Tue, 24 Nov 2026 14:05:00 +0000\r\n" + raw
    assert _deliver(controller.port, again, lmtp=lmtp) == {}
    assert InboundMessage.objects.count() == 1
    assert InboundMessage.objects.get().state == State.APPENDED
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 1
    assert len(_raw_files(settings)) == 1


@pytest.mark.django_db(transaction=True)
def test_mail_without_message_id_is_deduplicated_by_its_content(receiver, world, token):
    # R: rule 7 — no Message-ID: the same bytes twice are one message, other bytes another.
    controller, lmtp = receiver
    first = f"From: alice@acme.example\r\nSubject: [{token}]\r\n\r\nno id\r\n".encode()
    other = f"From: alice@acme.example\r\nSubject: [{token}]\r\n\r\nanother\r\n".encode()
    for raw in (first, first, other):
        assert _deliver(controller.port, raw, lmtp=lmtp) == {}
    assert InboundMessage.objects.count() == 2
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 2


def test_message_key_normalises_the_message_id_per_mailbox():
    raw = b"Message-ID:\r\n <Abc.1@MX.Example> (comment)\r\nSubject: x\r\n\r\nbody\r\n"
    same = b"Subject: y\r\nMessage-Id: <Abc.1@mx.example>\r\n\r\nother body\r\n"
    other_local = b"Message-ID: <abc.1@mx.example>\r\n\r\nbody\r\n"
    assert message_key(raw, "mta") == message_key(same, "mta")
    assert message_key(raw, "mta") != message_key(other_local, "mta")  # local part is exact
    assert message_key(raw, "mta") != message_key(raw, "imap:host/user/INBOX")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs two writers")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_meet_at_the_unique_index(world, settings):
    # R: rule 7, 8 — connection A has inserted the message (uncommitted); B's insert waits
    # on the unique index; when A commits, B answers with A's row and drops its bytes.
    raw = reply_bytes(sender="alice@acme.example", subject="race", message_id="<race@acme>")
    inserted, release = threading.Event(), threading.Event()
    result: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                result["a"] = mail_store(raw=raw, source="smtp", envelope_from="a@x",
                                         envelope_to="s@x", now=world.now)  # fmt: skip
                inserted.set()
                release.wait(60)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            result["b"] = mail_store(
                raw=raw, source="lmtp", envelope_from="a@x", envelope_to="s@x", now=world.now
            )
        except Exception as exc:  # pragma: no cover - reported below
            result["b"] = exc
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert inserted.wait(60)
    b = threading.Thread(target=second)
    b.start()
    with connection.cursor() as cursor:  # B is blocked on A's uncommitted key
        for _ in range(600):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:  # pragma: no cover
            pytest.fail("the second delivery never waited on the first")
    release.set()
    a.join(60)
    b.join(60)
    assert isinstance(result["b"], InboundMessage), result["b"]
    assert result["b"].pk == result["a"].pk
    assert InboundMessage.objects.count() == 1
    assert len(_raw_files(settings)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_stored_message_is_processed_by_the_worker_within_a_minute(
    world, waiting_case, token, time_machine
):
    # R: rule 6; issue 15 item 5 — stored, then the receiver died: no restart needed, the
    # worker (also the demo's in-process one) routes it from its mail.process deadline.
    time_machine.move_to(world.now, tick=False)
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]")
    stored = mail_store(raw=raw, source="smtp", envelope_from="a@x", envelope_to="s@x",
                        now=world.now)  # fmt: skip
    assert Deadline.objects.get(key=f"mail.process:{stored.pk}").state == "pending"
    run_worker(once=True, idle_sleep=0)  # not due yet: the receiver had its chance first
    stored.refresh_from_db()
    assert stored.state == State.RECEIVED
    time_machine.move_to(world.now + dt.timedelta(seconds=59), tick=False)
    run_worker(once=True, idle_sleep=0)
    stored.refresh_from_db()
    assert stored.state == State.APPENDED, stored.reason
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 1
    assert Deadline.objects.get(key=f"mail.process:{stored.pk}").state == "done"


@pytest.mark.django_db(transaction=True)
def test_the_worker_leaves_a_message_the_receiver_processed(receiver, world, token, time_machine):
    controller, lmtp = receiver
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]")
    assert _deliver(controller.port, raw, lmtp=lmtp) == {}
    message = InboundMessage.objects.get()
    time_machine.move_to(message.received_at + dt.timedelta(minutes=1), tick=False)
    run_worker(once=True, idle_sleep=0)
    deadline = Deadline.objects.get(key=f"mail.process:{message.pk}")
    assert deadline.state == "done" and "already processed" in deadline.outcome
    assert CaseEvent.objects.filter(case=world.alice_case, kind="customer_update").count() == 1


KILLED_AFTER_STORE = """
import datetime as dt, os, signal, django
django.setup()
from casedesk.core import clock
from casedesk.mail.services import mail_store
raw = b"From: someone@else.example\\r\\nSubject: lost\\r\\nMessage-ID: <k@x>\\r\\n\\r\\nhi\\r\\n"
mail_store(raw=raw, source="smtp", envelope_from="someone@else.example",
           envelope_to="support@x", now=clock.now() - dt.timedelta(minutes=1))
os.kill(os.getpid(), signal.SIGKILL)  # between storing and routing, as a crash would
"""


@pytest.mark.skipif(
    bool(os.environ.get("CASEDESK_DATABASE_URL")), reason="runs the commands on their own SQLite"
)
def test_sigkill_between_store_and_route_then_casedesk_worker_once(tmp_path):
    # R: rule 6; issue 15 item 5 — a real process killed after the commit of the stored
    # message, then `casedesk worker --once` (no receiver restart) routes it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env |= {"CASEDESK_DATA_DIR": str(tmp_path / "data"),
            "CASEDESK_SECRET_KEY": secrets.token_urlsafe(50),  # the worker refuses the dev key
            "DJANGO_SETTINGS_MODULE": "casedesk.config.settings"}  # fmt: skip
    subprocess.run([CASEDESK, "manage", "migrate", "-v0"], env=env, check=True, timeout=120)  # noqa: S603
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_STORE], env=env, timeout=120)  # noqa: S603
    assert killed.returncode == -signal.SIGKILL
    db = tmp_path / "data" / "casedesk.sqlite3"
    assert sqlite3.connect(db).execute("SELECT state FROM mail_inboundmessage").fetchall() == [
        ("received",)
    ]
    subprocess.run([CASEDESK, "worker", "--once"], env=env, check=True, timeout=120)  # noqa: S603
    rows = sqlite3.connect(db).execute("SELECT state, reason_code FROM mail_inboundmessage")
    assert rows.fetchall() == [("needs_care", "no_reference")]
