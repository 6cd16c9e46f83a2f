"""The drop box against the real server with OpenSSH's sftp client (D2; rules 10, 12)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from casedesk.core import clock
from casedesk.dropbox import secrets_box
from casedesk.dropbox.services import dropbox_open
from casedesk.files.models import Attachment
from tests.factories import build_world
from tests.waiting import wait_for

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


def test_timeline_shows_the_uploads_sha256(sftp, live):
    # R: D2 — "uploads become case attachments with checksums"
    from casedesk.cases.models import CaseEvent, EventKind

    world, account, password = live
    (sftp.workdir / "a.txt").write_bytes(b"hello")
    assert sftp.run(account.username, password, "put a.txt\n").code == 0
    event = CaseEvent.objects.get(case=world.alice_case, kind=EventKind.ATTACHMENT)
    assert event.data["sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert event.data["source"] == "sftp" and event.actor is None


@pytest.mark.parametrize(
    "batch",
    [
        "put f.txt ../other.txt",
        "put f.txt /../f.txt",
        "cd /..",
        "cd ..",
        "cd /tmp",
        "put f.txt /tmp/f.txt",
        "put f.txt /etc/f.txt",
        "get /etc/passwd",
        "get ../../../../etc/passwd",
        "ls /etc",
        "mkdir sub",
        "mkdir ../sub",
        "symlink seen.txt link.txt",
        "symlink /etc/passwd link.txt",
        "ln seen.txt hard.txt",
        "ln -s /etc seen-link",
        "rename seen.txt moved.txt",
        "rename seen.txt ../moved.txt",
        "rm seen.txt",
        "chmod 777 seen.txt",
        "chown 0 seen.txt",
        "chgrp 0 seen.txt",
        "df",
    ],
)
def test_escapes_links_and_changes_are_refused(sftp, live, batch):
    # R: security rule 10 — the jail holds after resolving, by path component
    _world, account, password = live
    (sftp.workdir / "f.txt").write_bytes(b"payload")
    (sftp.workdir / "seen.txt").write_bytes(b"seen")
    assert sftp.run(account.username, password, "put seen.txt\n").code == 0
    result = sftp.run(account.username, password, batch + "\n")
    assert result.code != 0, (batch, result.text)
    assert "root:" not in result.out
    names = set(Attachment.objects.values_list("filename", flat=True))
    assert names == {"seen.txt"}, batch
    from casedesk.dropbox.models import DropBoxFile

    assert DropBoxFile.objects.count() == 1


def test_another_cases_files_are_out_of_reach(sftp, live):
    # R: D2, A4, security rule 3 — a drop box lists and reads only its own uploads
    import io

    from casedesk.files.services import attachment_store

    world, account, password = live
    theirs = attachment_store(
        case=world.gina_case,
        actor=world.gina,
        filename="globex-secret.txt",
        stream=io.BytesIO(b"globex"),
        source="browser",
        now=clock.now(),
    )
    other = dropbox_open(case=world.gina_case, actor=world.care, now=clock.now())
    (sftp.workdir / "g.txt").write_bytes(b"from globex's drop box")
    assert (
        sftp.run(other.username, secrets_box.unseal(other.password_sealed), "put g.txt\n").code == 0
    )
    (sftp.workdir / "g.txt").unlink()
    listing = sftp.run(account.username, password, "ls -la\n")
    assert listing.code == 0
    assert "g.txt" not in listing.out and "globex-secret" not in listing.out
    for batch in (
        "get globex-secret.txt",
        "get g.txt",
        f"get /{theirs.storage_key}",
        f"cd /cases/{world.gina_case.pk}",
        f"get ../{world.gina_case.pk}/{theirs.storage_key.rsplit('/', 1)[-1]}",
    ):
        result = sftp.run(account.username, password, batch + "\n")
        assert result.code != 0, batch
    assert not list(sftp.workdir.glob("globex*")) and not (sftp.workdir / "g.txt").exists()


def test_wrong_password_revoked_and_expired_accounts_are_refused_at_login(sftp, live):
    # R: D2, C8, security rules 10, 12
    from casedesk.dropbox.models import DropBoxAccount
    from casedesk.dropbox.services import dropbox_revoke

    world, account, password = live
    assert sftp.run(account.username, password + "x", "ls\n").code != 0
    assert sftp.run("cd-unknown00", password, "ls\n").code != 0
    assert sftp.run(account.username, password, "ls\n").code == 0
    DropBoxAccount.objects.filter(pk=account.pk).update(
        expires_at=clock.now() - dt.timedelta(seconds=1)
    )
    assert sftp.run(account.username, password, "ls\n").code != 0
    DropBoxAccount.objects.filter(pk=account.pk).update(
        expires_at=clock.now() + dt.timedelta(hours=1)
    )
    assert sftp.run(account.username, password, "ls\n").code == 0
    dropbox_revoke(account=account, actor=world.care, now=clock.now())
    result = sftp.run(account.username, password, "ls\n")
    assert result.code != 0 and "Permission denied" in result.err


def _only_session(sftp_server):  # type: ignore[no-untyped-def]
    sessions = list(sftp_server.service.sessions.values())
    assert len(sessions) == 1, sessions
    return sessions[0]


def _cut_and_finished(sftp_server, session, why: str) -> None:  # type: ignore[no-untyped-def]
    """The server cut ``session`` for ``why`` and finished with it: nothing is in flight."""
    wait_for(lambda: session.ended, f"the session to be cut ({why})")
    assert session.ended == why
    assert sftp_server.service.wait_finished(1), "the cut SFTP session never ended"


def test_an_open_session_is_cut_when_the_account_expires(sftp, sftp_server, live, time_machine):
    # R: C8, security rule 10 — open sessions are closed at expiry, later uploads refused
    world, account, password = live
    (sftp.workdir / "one.txt").write_bytes(b"1")
    (sftp.workdir / "two.txt").write_bytes(b"2")
    with sftp.paused(account.username, password, "put one.txt", "put two.txt") as client:
        client.wait_at_gate()
        assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]
        session = _only_session(sftp_server)
        # The session's own timer is set for the account's expiry, not for some other time.
        timer_left = session.timer.when() - sftp_server.loop.time()
        expiry_left = (account.expires_at - clock.now()).total_seconds()
        assert expiry_left > 600 and abs(timer_left - expiry_left) < 60
        # The expiry passes (the clock jumps there) while the client is connected.
        time_machine.move_to(account.expires_at + dt.timedelta(seconds=1))
        _cut_and_finished(sftp_server, session, "drop box revoked or expired")
        result = client.release()
    assert result.code != 0
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]
    assert sftp.run(account.username, password, "put two.txt\n").code != 0
    assert Attachment.objects.filter(case=world.alice_case).count() == 1


def test_revoking_cuts_an_open_session(sftp, sftp_server, live):
    # R: D2, security rule 10
    from casedesk.dropbox.services import dropbox_revoke

    world, account, password = live
    (sftp.workdir / "one.txt").write_bytes(b"1")
    (sftp.workdir / "two.txt").write_bytes(b"2")
    with sftp.paused(account.username, password, "put one.txt", "put two.txt") as client:
        client.wait_at_gate()
        assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]
        session = _only_session(sftp_server)
        dropbox_revoke(account=account, actor=world.care, now=clock.now())
        _cut_and_finished(sftp_server, session, "drop box revoked or expired")
        result = client.release()
    assert result.code != 0
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]


def test_no_shell_or_command_execution(sftp, live):
    # R: security rule 10 — SFTP only
    import subprocess

    _world, account, password = live
    args, env = sftp.command(account.username, password, "")
    ssh = [
        "ssh",
        "-p", str(sftp.port),
        *[a for a in args[args.index("-o", 3):-1] if a != "-P"],
        f"{account.username}@127.0.0.1",
        "echo pwned",
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        ssh, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "pwned" not in done.stdout


def test_a_disconnect_mid_upload_leaves_nothing(sftp_server, live, settings):
    # R: D2 — only a file the client closed becomes an attachment; partial bytes go
    import asyncio

    import asyncssh

    _world, account, password = live

    async def abandon() -> None:
        async with asyncssh.connect(
            "127.0.0.1",
            sftp_server.service.port,
            username=account.username,
            password=password,
            known_hosts=None,
            client_keys=None,
        ) as conn:
            sftp = await conn.start_sftp_client()
            remote = await sftp.open("half.bin", "wb")
            await remote.write(b"x" * 100_000)
            # leave without closing the file

    asyncio.run(abandon())
    # The server has ended the session and dropped its open handle: only now is
    # "nothing was created" a fact rather than a guess.
    assert sftp_server.service.wait_finished(1), "the abandoned SFTP session never ended"
    assert not Attachment.objects.exists()
    leftovers = [p for p in settings.FILES_ROOT.rglob("*") if p.is_file()]
    assert leftovers == []


def test_closing_the_case_cuts_the_session_and_refuses_writes(sftp, sftp_server, live):
    # R: D1, D2 — a closed case takes no files, by any route
    from tests.pages.helpers import close_case

    world, account, password = live
    (sftp.workdir / "one.txt").write_bytes(b"1")
    (sftp.workdir / "two.txt").write_bytes(b"2")
    with sftp.paused(account.username, password, "put one.txt", "put two.txt") as client:
        client.wait_at_gate()
        assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]
        session = _only_session(sftp_server)
        world.now = clock.now()
        close_case(world, world.alice_case)
        _cut_and_finished(sftp_server, session, "case closed")
        result = client.release()
    assert result.code != 0
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]
    assert sftp.run(account.username, password, "put two.txt\n").code != 0
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["one.txt"]


def test_password_guessing_over_ssh_is_rate_limited(sftp, live):
    # R: security rule 12 — after the limit even the right password is refused
    from casedesk.dropbox.services import USER_LIMIT

    _world, account, password = live
    for i in range(USER_LIMIT):
        assert sftp.run(account.username, f"guess-{i}", "ls\n").code != 0
    assert sftp.run(account.username, password, "ls\n").code != 0


def test_a_multi_block_upload_is_stored_and_hashed_exactly(sftp, live, settings):
    # R: D2 — bytes gathered in 1 MiB blocks and hashed off the event loop arrive whole and in
    # order; `put -f` also sends OpenSSH's fsync request mid-session
    import os

    from casedesk.dropbox.sftp_session import FLUSH_BYTES
    from casedesk.files.storage import get_storage

    world, account, password = live
    data = os.urandom(3 * FLUSH_BYTES + 12_345)
    (sftp.workdir / "core.dump").write_bytes(data)
    result = sftp.run(account.username, password, "put -f core.dump\n")
    assert result.code == 0, result.text
    att = Attachment.objects.get(case=world.alice_case)
    assert att.size == len(data) and att.sha256 == hashlib.sha256(data).hexdigest()
    with get_storage().open_read(att.storage_key) as stored:
        assert stored.read() == data
    leftovers = [p.name for p in settings.FILES_ROOT.rglob("*.partial")]
    assert leftovers == []


def test_a_disconnect_after_several_blocks_leaves_nothing(sftp_server, live, settings):
    # R: D2 — a block still being written when the session ends is dropped with the rest
    import asyncio

    import asyncssh

    from casedesk.dropbox.sftp_session import FLUSH_BYTES

    _world, account, password = live

    async def abandon() -> None:
        async with asyncssh.connect(
            "127.0.0.1",
            sftp_server.service.port,
            username=account.username,
            password=password,
            known_hosts=None,
            client_keys=None,
        ) as conn:
            sftp = await conn.start_sftp_client()
            remote = await sftp.open("half.bin", "wb")
            await remote.write(b"x" * (2 * FLUSH_BYTES + 1000))

    asyncio.run(abandon())
    assert sftp_server.service.wait_finished(1), "the abandoned SFTP session never ended"
    assert not Attachment.objects.exists()
    assert [p for p in settings.FILES_ROOT.rglob("*") if p.is_file()] == []
