"""Issue 15, items 2 and 6 (E1, E2, rule 1): sender authentication is on by default, and a
reply that lost its reference ID threads by In-Reply-To/References — safely.

Over a real SMTP conversation with the receiver; the care page and `casedesk manage
check --deploy` as shipped.
"""

from __future__ import annotations

import importlib
import os
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.mail.models import InboundMessage, State
from casedesk.mail.smtp import start_receiver
from casedesk.notifications.models import OutboundMessage
from casedesk.notifications.rendering import thread_root

from .conftest import reply_bytes

pytestmark = pytest.mark.django_db(transaction=True)
CASEDESK = str(Path(sys.executable).with_name("casedesk"))
SHIPPED = importlib.import_module("casedesk.config.settings")
PASS = "Authentication-Results: mx.casedesk.test; dmarc=pass header.from=acme.example\r\n"


@pytest.fixture
def shipped_defaults(settings):
    """Sender authentication as settings.py ships it (tests/mail opts out otherwise)."""
    settings.MAIL_TRUSTED_AUTHSERV_ID = SHIPPED.MAIL_TRUSTED_AUTHSERV_ID
    settings.MAIL_TRUST_UNAUTHENTICATED = SHIPPED.MAIL_TRUST_UNAUTHENTICATED


@pytest.fixture
def receiver():
    controller = start_receiver(host="127.0.0.1", port=0)
    yield controller
    controller.stop()


def _deliver(port: int, raw: bytes) -> dict:
    with smtplib.SMTP("127.0.0.1", port) as client:
        return client.sendmail("alice@acme.example", ["support@casedesk.invalid"], raw)


def _updates(case) -> int:
    return CaseEvent.objects.filter(case=case, kind="customer_update").count()


def test_shipped_default_trusts_no_unauthenticated_sender():
    assert SHIPPED.MAIL_TRUSTED_AUTHSERV_ID == ""
    assert SHIPPED.MAIL_TRUST_UNAUTHENTICATED is False


def test_reply_from_a_contact_without_authentication_waits_for_care(
    shipped_defaults, receiver, client, world, waiting_case, token
):
    # R: rule 1, E2; issue 15 item 2 — a real contact, a valid token, no authentication
    # result: held with "sender not authenticated"; care linking it makes an internal note.
    raw = reply_bytes(sender="Alice <alice@acme.example>", subject=f"Re: [{token}]")
    assert _deliver(receiver.port, raw) == {}
    message = InboundMessage.objects.get()
    assert (message.state, message.reason_code) == (State.NEEDS_CARE, "not_authenticated")
    assert message.reason.startswith("Sender not authenticated")
    assert message.case == world.alice_case and _updates(world.alice_case) == 0
    client.force_login(world.care)
    page = client.get(f"/console/mail/{message.pk}/")
    assert page.status_code == 200 and b"Sender not authenticated" in page.content
    client.post(f"/console/mail/{message.pk}/link/", {"case_number": world.alice_case.number})
    assert _updates(world.alice_case) == 0
    assert CaseEvent.objects.filter(case=world.alice_case, kind="note").exists()


def test_configured_authserv_id_with_a_pass_appends(
    shipped_defaults, receiver, settings, world, waiting_case, token
):
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]", headers=PASS)
    _deliver(receiver.port, raw)
    assert InboundMessage.objects.get().state == State.APPENDED
    assert _updates(world.alice_case) == 1


def test_explicit_opt_out_appends(shipped_defaults, receiver, settings, world, token):
    settings.MAIL_TRUST_UNAUTHENTICATED = True
    _deliver(receiver.port, reply_bytes(sender="alice@acme.example", subject=f"[{token}]"))
    assert InboundMessage.objects.get().state == State.APPENDED


def _check_deploy(tmp_path: Path, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env |= {"CASEDESK_DATA_DIR": str(tmp_path / "data"), **extra}
    done = subprocess.run(  # noqa: S603
        [CASEDESK, "manage", "check", "--deploy"], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    return done.stdout + done.stderr


@pytest.mark.django_db(transaction=False)
def test_check_deploy_names_the_opt_out_whatever_the_receiver(tmp_path):
    # R: rule 12; issue 15 item 2 — W001 for the unsafe opt-out with no IMAP configured
    # (the SMTP receiver), and with IMAP; never for the safe default or a configured MTA.
    assert "casedesk.mail.W001" not in _check_deploy(tmp_path)
    unsafe = {"CASEDESK_MAIL_TRUST_UNAUTHENTICATED": "true"}
    assert "casedesk.mail.W001" in _check_deploy(tmp_path, **unsafe)
    assert "casedesk.mail.W001" in _check_deploy(tmp_path, CASEDESK_IMAP_HOST="imap.x", **unsafe)
    configured = {"CASEDESK_MAIL_TRUSTED_AUTHSERV_ID": "mx.example", **unsafe}
    assert "casedesk.mail.W001" not in _check_deploy(tmp_path, **configured)


# --- item 6: replies that lost their token ---------------------------------------------


def _notification(world) -> OutboundMessage:
    """The "information requested" mail alice got (waiting_case): its Message-ID."""
    return OutboundMessage.objects.filter(case=world.alice_case, to=["alice@acme.example"]).latest(
        "id"
    )


def _outlook_reply(sender: str, in_reply_to: str, references: str, auth: str = PASS) -> bytes:
    # Outlook: the subject token is gone, only the thread headers say what it answers.
    headers = f"In-Reply-To: {in_reply_to}\r\nReferences: {references}\r\n{auth}"
    return reply_bytes(sender=sender, subject="RE: Your case", headers=headers,
                       message_id="<outlook-1@acme.example>")  # fmt: skip


@pytest.fixture
def authenticated_site(shipped_defaults, settings):
    settings.MAIL_TRUSTED_AUTHSERV_ID = "mx.casedesk.test"


def test_reply_naming_our_notification_threads_to_its_case(
    authenticated_site, receiver, world, waiting_case
):
    # R: E1, E2; issue 15 item 6
    sent = _notification(world)
    raw = _outlook_reply("alice@acme.example", sent.message_id,
                         f"{thread_root(world.alice_case)} {sent.message_id}")  # fmt: skip
    assert _deliver(receiver.port, raw) == {}
    message = InboundMessage.objects.get()
    assert message.state == State.APPENDED, message.reason
    assert message.case == world.alice_case and "In-Reply-To" in message.reason
    assert _updates(world.alice_case) == 1
    world.alice_case.refresh_from_db()
    assert world.alice_case.status == "open"


def test_reply_naming_only_the_signed_thread_root_threads(
    authenticated_site, receiver, world, waiting_case
):
    root = thread_root(world.alice_case)
    _deliver(receiver.port, _outlook_reply("alice@acme.example", root, root))
    assert InboundMessage.objects.get().state == State.APPENDED


@pytest.mark.parametrize(
    ("sender", "auth", "code"),
    [
        ("alice@acme.example", "", "auth_failed"),  # no authentication result
        ("gina@globex.example", PASS.replace("acme", "globex"), "not_participant"),
        ("stranger@else.example", "", "unknown_sender"),
    ],
)
def test_threaded_reply_that_fails_a_check_waits_for_care(
    authenticated_site, receiver, world, waiting_case, sender, auth, code
):
    # R: rule 1 — the thread headers route; they prove nothing about the sender.
    sent = _notification(world)
    _deliver(receiver.port, _outlook_reply(sender, sent.message_id, sent.message_id, auth))
    message = InboundMessage.objects.get()
    assert (message.state, message.reason_code) == (State.NEEDS_CARE, code), message.reason
    assert _updates(world.alice_case) == 0


def test_threaded_reply_without_authentication_policy_waits_for_care(
    shipped_defaults, receiver, world, waiting_case
):
    sent = _notification(world)
    _deliver(receiver.port, _outlook_reply("alice@acme.example", sent.message_id, "", ""))
    assert InboundMessage.objects.get().reason_code == "not_authenticated"


@pytest.mark.parametrize(
    "forged",
    [
        "<0123456789abcdef.info-requested@casedesk.invalid>",  # our shape, not one we sent
        "<case-{pk}.aaaaaaaaaa@casedesk.invalid>",  # a thread root with a guessed signature
        "<{msgid}@acme.example>",  # an id on someone else's domain
    ],
)
def test_forged_thread_headers_do_not_link(
    authenticated_site, receiver, world, waiting_case, forged
):
    # R: E3 — a new mail with made-up thread headers is never linked automatically.
    sent = _notification(world)
    value = forged.format(pk=world.alice_case.pk, msgid=sent.message_id.strip("<>").split("@")[0])
    _deliver(receiver.port, _outlook_reply("alice@acme.example", value, value))
    message = InboundMessage.objects.get()
    assert (message.state, message.reason_code) == (State.NEEDS_CARE, "no_reference")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=False)
@pytest.mark.skipif(
    bool(os.environ.get("CASEDESK_DATABASE_URL")), reason="runs the demo on its own SQLite"
)
def test_demo_says_which_sender_authentication_mode_it_runs_in(tmp_path):
    # R: issue 15 item 2 — the demo (no MTA) opts out explicitly, and says so.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    ports = [str(_free_port()) for _ in range(3)]
    args = ["demo", "--port", ports[0], "--sftp-port", ports[1], "--smtp-port", ports[2]]
    process = subprocess.Popen(  # noqa: S603
        [CASEDESK, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        line = ""
        for line in process.stdout:
            if line.strip().startswith("Mail in:"):
                break
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert "sender authentication OFF" in line and "CASEDESK_MAIL_TRUST_UNAUTHENTICATED" in line
