"""The drop box panel and the console's create/revoke actions (D2; A4, rule 3)."""

from __future__ import annotations

import pytest

from casedesk.dropbox import secrets_box
from casedesk.dropbox.models import DropBoxAccount
from casedesk.dropbox.services import dropbox_open
from tests.pages.helpers import close_case, url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine, now):  # type: ignore[no-untyped-def]
    time_machine.move_to(now, tick=False)


def test_care_creates_sees_and_revokes_the_drop_box(client, world, settings):
    # R: D2, C8
    settings.SFTP_PUBLIC_HOST = "files.example.com"
    settings.SFTP_PUBLIC_PORT = 2222
    client.force_login(world.care)
    page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert "Create SFTP drop box" in page
    response = client.post(url("console-dropbox-open", world.alice_case.number))
    assert response.status_code == 302
    account = DropBoxAccount.objects.get(case=world.alice_case)
    password = secrets_box.unseal(account.password_sealed)
    page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert account.username in page and password in page and "files.example.com" in page
    # world.now is Tue 24 Nov 2026 14:00 UTC; 120 h later is Sun 29 Nov 14:00.
    assert "in 5 days, Sun 29 Nov 14:00 UTC" in page
    assert "Create SFTP drop box" not in page and "Revoke drop box" in page
    again = client.post(url("console-dropbox-open", world.alice_case.number))
    assert again.status_code == 422 and b"already has an active" in again.content
    response = client.post(
        url("console-dropbox-revoke", world.alice_case.number), {"account": account.pk}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.revoked_at is not None
    page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert password not in page and "Create SFTP drop box" in page


def test_other_support_roles_see_the_login_but_cannot_create_or_revoke(client, world):
    # R: D2, A4
    account = dropbox_open(case=world.alice_case, actor=world.care, now=world.now)
    for user in (world.engineer, world.manager):
        client.force_login(user)
        page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
        assert account.username in page and "Revoke drop box" not in page
        assert (
            client.post(url("console-dropbox-revoke", world.alice_case.number)).status_code == 403
        )
        assert client.post(url("console-dropbox-open", world.carol_case.number)).status_code == 403
    account.refresh_from_db()
    assert account.revoked_at is None
    assert DropBoxAccount.objects.count() == 1


def test_contacts_cannot_reach_the_console_actions(client, world):
    # R: A4, security rule 3 — 404, like a missing page
    client.force_login(world.alice)
    assert client.post(url("console-dropbox-open", world.alice_case.number)).status_code == 404
    assert not DropBoxAccount.objects.exists()


def test_participants_see_the_login_in_the_portal_others_see_nothing(client, world, settings):
    # R: D2, A3, A4 — a contact of another organisation sees nothing
    settings.SFTP_PUBLIC_HOST = "files.example.com"
    settings.SFTP_PUBLIC_PORT = 2222
    account = dropbox_open(case=world.alice_case, actor=world.care, now=world.now)
    password = secrets_box.unseal(account.password_sealed)
    for user in (world.alice, world.bob):
        client.force_login(user)
        page = client.get(url("portal-case-detail", world.alice_case.number)).content.decode()
        assert account.username in page and password in page
        assert f"sftp -P 2222 {account.username}@files.example.com" in page
        assert "Revoke" not in page
    settings.SFTP_PUBLIC_PORT = 22  # behind a port mapping: customers use the standard port
    page = client.get(url("portal-case-detail", world.alice_case.number)).content.decode()
    assert f"<code>sftp {account.username}@files.example.com</code>" in page
    for user in (world.gina, world.carol):
        client.force_login(user)
        response = client.get(url("portal-case-detail", world.alice_case.number))
        assert response.status_code == 404
        assert account.username.encode() not in response.content
        own = client.get(
            url(
                "portal-case-detail",
                (world.gina_case if user == world.gina else world.carol_case).number,
            )
        )
        assert account.username.encode() not in own.content


def test_closed_case_offers_no_drop_box(client, world):
    # R: D1, D2
    close_case(world, world.alice_case)
    client.force_login(world.care)
    page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert "Create SFTP drop box" not in page and "Closed cases take no files" in page
    response = client.post(url("console-dropbox-open", world.alice_case.number))
    assert response.status_code == 422


def test_back_office_lists_drop_boxes_without_their_secrets(client, world):
    # R: D2, security rule 12 — care sees which drop boxes exist, never the password
    account = dropbox_open(case=world.alice_case, actor=world.care, now=world.now)
    password = secrets_box.unseal(account.password_sealed)
    world.care.is_staff = True
    world.care.is_superuser = True
    world.care.save()
    client.force_login(world.care)
    listing = client.get("/admin/dropbox/dropboxaccount/")
    assert listing.status_code == 200 and account.username.encode() in listing.content
    detail = client.get(f"/admin/dropbox/dropboxaccount/{account.pk}/change/")
    assert detail.status_code == 200
    for secret in (password, account.password_hash, account.password_sealed):
        assert secret.encode() not in detail.content
