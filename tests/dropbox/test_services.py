"""Drop box accounts: who opens them, 120 hours of absolute time, logins, timeline (D2, C8).

Security rules 3 (visibility), 10 (expiry) and 12 (hashed passwords, rate limits).
"""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.dropbox import secrets_box
from casedesk.dropbox.models import DropBoxAccount
from casedesk.dropbox.selectors import dropbox_login_for, remaining_text
from casedesk.dropbox.services import (
    EXPIRE,
    USER_LIMIT,
    dropbox_authenticate,
    dropbox_file_attach,
    dropbox_open,
    dropbox_revoke,
)
from casedesk.files.models import Attachment
from casedesk.files.services import new_storage_key
from casedesk.files.storage import get_storage
from casedesk.scheduling.models import Deadline
from casedesk.scheduling.services import worker_tick
from tests.pages.helpers import close_case

pytestmark = pytest.mark.django_db

HOURS_120 = dt.timedelta(seconds=432_000)


def opened(world):  # type: ignore[no-untyped-def]
    account = dropbox_open(case=world.alice_case, actor=world.care, now=world.now)
    return account, secrets_box.unseal(account.password_sealed)


def test_only_care_opens_a_drop_box(world):
    # R: D2, A4
    for user in (world.engineer, world.manager, world.alice, world.bob, world.gina):
        with pytest.raises(NotPermitted, match="Only Customer Care opens SFTP drop boxes"):
            dropbox_open(case=world.alice_case, actor=user, now=world.now)
    assert not DropBoxAccount.objects.exists()
    account, _ = opened(world)
    assert account.created_by == world.care


def test_credentials_are_random_hashed_and_sealed(world):
    # R: D2, security rule 12 — ≥128 random bits, Django hasher, no plain copy stored
    account, password = opened(world)
    assert account.username.startswith("cd-") and len(account.username) == 13
    assert len(password) >= 24  # token_urlsafe(18): 144 bits
    assert account.password_hash.startswith("md5$")  # the test settings' hasher
    assert password not in account.password_sealed and password not in account.password_hash
    other = dropbox_open(case=world.carol_case, actor=world.care, now=world.now)
    assert other.username != account.username
    assert secrets_box.unseal(other.password_sealed) != password


def test_one_live_drop_box_per_case_and_none_on_closed_cases(world):
    # R: D2
    opened(world)
    with pytest.raises(PolicyViolation, match="already has an active SFTP drop box"):
        dropbox_open(case=world.alice_case, actor=world.care, now=world.now)
    close_case(world, world.carol_case)
    with pytest.raises(PolicyViolation, match="This case is closed, so it cannot take files"):
        dropbox_open(case=world.carol_case, actor=world.care, now=world.now)


def test_expiry_is_exactly_120_hours_of_absolute_time(world, time_machine):
    # R: C8, security rule 10 — 432,000 s, checked at login and by the deadline
    account, password = opened(world)
    assert account.expires_at - account.created_at == HOURS_120
    deadline = Deadline.objects.get(kind=EXPIRE)
    assert deadline.due_at == world.now + HOURS_120
    just_before = world.now + HOURS_120 - dt.timedelta(seconds=1)
    time_machine.move_to(just_before, tick=False)
    assert dropbox_authenticate(username=account.username, password=password, now=just_before)
    at = world.now + HOURS_120
    time_machine.move_to(at, tick=False)
    assert dropbox_authenticate(username=account.username, password=password, now=at) is None
    assert worker_tick(worker="t", now=just_before) == 0
    assert worker_tick(worker="t", now=at) == 1
    account.refresh_from_db()
    assert account.expired_at == at and account.password_sealed == ""
    event = CaseEvent.objects.filter(case=world.alice_case, kind=EventKind.DROPBOX).last()
    assert event.data["action"] == "expired" and event.public
    # Running the deadline again changes nothing (security rule 7).
    from casedesk.dropbox.services import dropbox_expire

    assert dropbox_expire(account_id=account.pk, now=at).startswith("skipped")
    # A new one can be opened after the old one ended.
    assert dropbox_open(case=world.alice_case, actor=world.care, now=at).pk != account.pk


def test_a_lapsed_drop_box_is_ended_when_a_new_one_opens_before_the_worker_ran(world):
    # R: C8
    account, _ = opened(world)
    later = world.now + HOURS_120
    dropbox_open(case=world.alice_case, actor=world.care, now=later)
    account.refresh_from_db()
    assert account.expired_at == later


def test_revoke_ends_it_wipes_the_password_and_is_care_only(world):
    # R: D2, security rule 10
    account, password = opened(world)
    with pytest.raises(NotPermitted, match="Only Customer Care revokes SFTP drop boxes"):
        dropbox_revoke(account=account, actor=world.engineer, now=world.now)
    dropbox_revoke(account=account, actor=world.care, now=world.now)
    account.refresh_from_db()
    assert account.revoked_by == world.care and account.password_sealed == ""
    assert dropbox_authenticate(username=account.username, password=password, now=world.now) is None
    with pytest.raises(PolicyViolation, match="This SFTP drop box has already ended"):
        dropbox_revoke(account=account, actor=world.care, now=world.now)
    assert Deadline.objects.get(kind=EXPIRE).state == "cancelled"
    actions = list(
        CaseEvent.objects.filter(kind=EventKind.DROPBOX).values_list("data__action", flat=True)
    )
    assert actions == ["opened", "revoked"]


def test_login_refuses_wrong_password_unknown_user_and_closed_case(world):
    # R: D2, security rule 12
    account, password = opened(world)
    now = world.now
    assert dropbox_authenticate(username=account.username, password="wrong", now=now) is None
    assert dropbox_authenticate(username="cd-nobody", password=password, now=now) is None
    assert dropbox_authenticate(username="", password="", now=now) is None
    assert dropbox_authenticate(username="cd-\x00", password="", now=now) is None
    ok = dropbox_authenticate(username=account.username, password=password, now=now, peer="1.2.3.4")
    assert ok and ok.last_login_at == now
    first = CaseEvent.objects.filter(kind=EventKind.DROPBOX, data__action="first login")
    assert first.count() == 1 and first.get().data["peer"] == "1.2.3.4"
    assert not first.get().public  # the client's address is for support only
    dropbox_authenticate(username=account.username, password=password, now=now)
    assert first.count() == 1  # later logins do not fill the timeline
    close_case(world, world.alice_case)
    assert dropbox_authenticate(username=account.username, password=password, now=now) is None
    # A closed case refuses logins, so its page shows no login and no password either.
    world.alice_case.refresh_from_db()
    assert dropbox_login_for(world.alice, world.alice_case, now) is None
    assert dropbox_login_for(world.care, world.alice_case, now) is None


def test_login_failures_are_rate_limited_per_user_name_and_per_peer(world):
    # R: security rule 12 — after the limit even the right password is refused
    account, password = opened(world)
    for _ in range(USER_LIMIT):
        dropbox_authenticate(username=account.username, password="guess", now=world.now)
    assert dropbox_authenticate(username=account.username, password=password, now=world.now) is None
    other = dropbox_open(case=world.carol_case, actor=world.care, now=world.now)
    other_password = secrets_box.unseal(other.password_sealed)
    for i in range(30):  # one address trying many names
        dropbox_authenticate(username=f"cd-guess{i}", password="x", now=world.now, peer="9.9.9.9")
    assert (
        dropbox_authenticate(
            username=other.username, password=other_password, now=world.now, peer="9.9.9.9"
        )
        is None
    )
    assert dropbox_authenticate(
        username=other.username, password=other_password, now=world.now, peer="8.8.8.8"
    )


def test_only_people_who_see_the_case_see_the_login(world):
    # R: D2, A3, A4, security rule 3 — another organisation's contact sees nothing
    account, password = opened(world)
    for user in (world.alice, world.bob, world.engineer, world.care, world.manager):
        login = dropbox_login_for(user, world.alice_case, world.now)
        assert login and login.username == account.username and login.password == password
    for user in (world.gina, world.carol):
        assert dropbox_login_for(user, world.alice_case, world.now) is None
    assert dropbox_login_for(world.alice, world.alice_case, world.now + HOURS_120) is None


def test_an_ended_drop_box_attaches_nothing_and_leaves_no_bytes(world):
    # R: D2, security rule 10
    account, _ = opened(world)
    key = new_storage_key(world.alice_case.pk)
    with get_storage().open_append(key) as out:
        out.write(b"late")
    dropbox_revoke(account=account, actor=world.care, now=world.now)
    with pytest.raises(NotFound, match="This SFTP drop box has ended"):
        dropbox_file_attach(
            account=account, filename="late.txt", storage_key=key, sha256="0" * 64, now=world.now
        )
    assert not Attachment.objects.exists() and get_storage().size(key) == 0


def test_remaining_time_reads_like_a_person_would_say_it():
    # R: D2 — "expires in 4 days 23 hours"
    assert remaining_text(dt.timedelta(days=4, hours=23, minutes=5)) == "4 days 23 hours"
    assert remaining_text(dt.timedelta(days=1)) == "1 day"
    assert remaining_text(dt.timedelta(hours=5, minutes=10)) == "5 hours 10 minutes"
    assert remaining_text(dt.timedelta(minutes=1, seconds=30)) == "1 minute"
    assert remaining_text(dt.timedelta(seconds=-5)) == "less than a minute"
