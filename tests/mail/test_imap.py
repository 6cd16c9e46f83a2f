"""The IMAP poller against a real, private Dovecot (E2, E3, rule 6).

The fixture writes its own dovecot.conf (loopback, a free port, passwd-file user, no
SSL, maildir, base and state directories of its own) and runs ``dovecot -F -c``. As
a normal user every Dovecot process runs as that user; as root (CI), the login process
runs as ``dovenull`` and mail access as ``dovecot``, as Dovecot requires, so the maildir
is created for that user.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from casedesk.mail import imap as imap_module
from casedesk.mail.imap import ImapConfig, mail_poll
from casedesk.mail.models import InboundMessage, State

from .conftest import reply_bytes

DOVECOT = "/usr/sbin/dovecot"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(DOVECOT).exists(),
        reason="Dovecot is not installed (apt-get install dovecot-imapd); IMAP poller untested",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, mail_root: Path, port: int, users: Path) -> str:
    if os.geteuid() == 0:
        internal, login, auth_user = "dovecot", "dovenull", "root"
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        internal = login = auth_user = me
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
instance_name = casedesk-test-{port}
log_path = {tmp}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{mail_root}/Maildir
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {auth_user}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@pytest.fixture
def dovecot(tmp_path):
    """A private Dovecot on a free loopback port; yields its ImapConfig."""
    run_dir = tmp_path / "dovecot"
    for sub in ("run", "state"):
        (run_dir / sub).mkdir(parents=True)
    if os.geteuid() == 0:
        # Dovecot never gives mail access to UID 0; root's tmp_path is private to root.
        mail_root = Path(tempfile.mkdtemp(prefix="casedesk-maildir-"))
        account = pwd.getpwnam("dovecot")
        os.chown(mail_root, account.pw_uid, account.pw_gid)
    else:
        mail_root = tmp_path / "mail"
        mail_root.mkdir()
        account = pwd.getpwuid(os.geteuid())
    users = run_dir / "users"
    users.write_text(
        f"support:{{PLAIN}}imap-secret:{account.pw_uid}:{account.pw_gid}::{mail_root}::\n"
    )
    for attempt in range(3):
        port = _free_port()
        conf = run_dir / "dovecot.conf"
        conf.write_text(_config(run_dir, mail_root, port, users))
        process = subprocess.Popen(  # noqa: S603 - fixed binary, our own config
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60  # a hang detector: start-up is well under 1 s
        ready = False
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                probe = imaplib.IMAP4("127.0.0.1", port, timeout=2)
                probe.logout()
                ready = True
                break
            time.sleep(0.1)
        if ready:
            break
        process.terminate()
        output = process.communicate(timeout=10)[0].decode(errors="replace")
        if attempt == 2:
            log = (
                (run_dir / "dovecot.log").read_text() if (run_dir / "dovecot.log").exists() else ""
            )
            pytest.fail(f"dovecot did not start:\n{output}\n{log}")
    config = ImapConfig(
        host="127.0.0.1", port=port, user="support", password="imap-secret", ssl=False
    )
    try:
        yield config
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if os.geteuid() == 0:
            shutil.rmtree(mail_root, ignore_errors=True)


def _client(config: ImapConfig) -> imaplib.IMAP4:
    client = imaplib.IMAP4(config.host, config.port, timeout=10)
    client.login(config.user, config.password)
    return client


def _append(config: ImapConfig, *messages: bytes, folder: str = "INBOX") -> None:
    client = _client(config)
    try:
        for raw in messages:
            typ, _ = client.append(folder, None, None, raw)
            assert typ == "OK"
    finally:
        client.logout()


def _uids(config: ImapConfig, folder: str, criterion: str) -> list[bytes]:
    client = _client(config)
    try:
        client.select(folder)
        return client.uid("SEARCH", None, criterion)[1][0].split()
    finally:
        client.logout()


def test_poller_imports_replies_and_new_mail_then_marks_them_seen(
    dovecot, world, waiting_case, token
):
    # R: E2, E3 — a reply joins its case; a new mail waits for care; both leave UNSEEN.
    _append(
        dovecot,
        reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]", message_id="<i1@a>"),
        reply_bytes(sender="alice@acme.example", subject="New problem", message_id="<i2@a>"),
    )
    report = mail_poll(config=dovecot)
    assert report.imported == 2 and report.failed == 0
    states = dict(InboundMessage.objects.values_list("message_id", "state"))
    assert states == {"i1@a": State.APPENDED, "i2@a": State.NEEDS_CARE}
    assert all(m.source == "imap" and m.dedupe_key for m in InboundMessage.objects.all())
    world.alice_case.refresh_from_db()
    assert world.alice_case.status == "open"
    assert _uids(dovecot, "INBOX", "UNSEEN") == []
    # A second poll finds nothing new.
    assert mail_poll(config=dovecot).imported == 0


def test_poller_is_idempotent_by_uidvalidity_and_uid(dovecot, world, token):
    # R: rule 7 — marked unread again (or flagged lost in a crash): not imported twice.
    _append(dovecot, reply_bytes(sender="alice@acme.example", subject=f"[{token}]"))
    mail_poll(config=dovecot)
    client = _client(dovecot)
    client.select("INBOX")
    client.uid("STORE", b"1", "-FLAGS", r"(\Seen)")
    client.logout()
    report = mail_poll(config=dovecot)
    assert report.imported == 0 and report.already_imported == 1
    assert InboundMessage.objects.count() == 1
    assert _uids(dovecot, "INBOX", "UNSEEN") == []


def test_poller_moves_messages_when_configured(dovecot, world, token):
    client = _client(dovecot)
    client.create("Processed")
    client.logout()
    _append(dovecot, reply_bytes(sender="alice@acme.example", subject="hello"))
    config = ImapConfig(**{**dovecot.__dict__, "move_to": "Processed"})
    assert mail_poll(config=config).imported == 1
    assert _uids(dovecot, "INBOX", "ALL") == []
    assert len(_uids(dovecot, "Processed", "ALL")) == 1


def test_one_failing_message_does_not_stop_the_batch(dovecot, world, token, monkeypatch):
    # R: rule 6 — the failing one stays unseen for the next poll; the others are imported.
    _append(
        dovecot,
        reply_bytes(sender="alice@acme.example", subject="first", message_id="<f1@a>"),
        reply_bytes(sender="alice@acme.example", subject="boom", message_id="<f2@a>"),
        reply_bytes(sender="alice@acme.example", subject="third", message_id="<f3@a>"),
    )
    real = imap_module.mail_receive

    def flaky(**kwargs):
        if b"Subject: boom" in kwargs["raw"]:
            raise RuntimeError("storage refused")
        return real(**kwargs)

    monkeypatch.setattr(imap_module, "mail_receive", flaky)
    report = mail_poll(config=dovecot, batch_size=2)
    assert (report.imported, report.failed) == (2, 1)
    assert len(_uids(dovecot, "INBOX", "UNSEEN")) == 1
    monkeypatch.setattr(imap_module, "mail_receive", real)
    assert mail_poll(config=dovecot).imported == 1
    assert InboundMessage.objects.count() == 3


def test_oversize_message_is_not_downloaded_but_quarantined(dovecot, world, token, settings):
    # R: rule 6 — the header is kept for care; the message stays in the mailbox.
    settings.MAIL_MAX_BYTES = 4096
    _append(dovecot, reply_bytes(sender="alice@acme.example", subject="big", body="y" * 20_000))
    assert mail_poll(config=dovecot).imported == 1
    message = InboundMessage.objects.get()
    assert message.state == State.QUARANTINED and message.reason_code == "too_large"
    assert message.subject == "big" and message.size < 4096
    assert len(_uids(dovecot, "INBOX", "ALL")) == 1


def test_the_same_message_in_two_uids_is_imported_and_appended_once(
    dovecot, world, waiting_case, token
):
    # R: rule 7; issue 15 item 1 — delivered into the mailbox twice (same Message-ID, its
    # own Delivered-To on top): one row, one update; both UIDs leave the unseen set.
    raw = reply_bytes(sender="alice@acme.example", subject=f"Re: [{token}]", message_id="<d@a>")
    _append(dovecot, raw, b"Delivered-To: support@casedesk.invalid\r\n" + raw)
    report = mail_poll(config=dovecot)
    assert (report.imported, report.already_imported) == (1, 1)
    assert InboundMessage.objects.get().state == State.APPENDED
    assert world.alice_case.events.filter(kind="customer_update").count() == 1
    assert _uids(dovecot, "INBOX", "UNSEEN") == []
