"""The account pages (A2; security rule 12): password reset and change, profiles, local times,
the care back office's invitation."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from casedesk.accounts.models import AuditEvent, User
from casedesk.core import ratelimit
from casedesk.core.errors import StaleObject
from casedesk.notifications.models import OutboundMessage
from casedesk.portal.views.password import RESET_PER_ADDRESS, RESET_PER_CLIENT, TOO_MANY_RESETS
from tests.factories import PASSWORD

from .helpers import url

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "tulip-ladder-quiet-31"


def _reset_mails() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind="account_password_reset").order_by("pk"))


def _ask(client: Client, email: str, **extra):
    return client.post(url("password_reset"), {"email": email}, **extra)


def _link_path(message: OutboundMessage) -> str:
    link = re.search(r"(http\S+/password-reset/\S+/)", message.text_body).group(1)
    return urlsplit(link).path


# --- reset request ----------------------------------------------------------------------


def test_login_page_offers_the_reset(client):
    body = client.get(url("login")).content.decode()
    assert f'href="{url("password_reset")}"' in body and "Forgot your password?" in body


def test_reset_answers_the_same_for_known_unknown_and_inactive_addresses(client, world):
    # R: A2 — nothing on the page tells whether an address has an account.
    world.carol.is_active = False
    world.carol.save()
    answers = [
        _ask(client, address)
        for address in ("alice@acme.example", "nobody@acme.example", "carol@acme.example")
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, url("password_reset_done"))}
    done = client.get(url("password_reset_done")).content.decode()
    assert "If an account uses that address" in done
    assert [m.to for m in _reset_mails()] == [["alice@acme.example"]]


def test_reset_address_in_another_case_still_reaches_the_person(client, world):
    _ask(client, "ALICE@Acme.Example")
    assert [m.to for m in _reset_mails()] == [["alice@acme.example"]]


def test_reset_is_limited_per_address(client, world):
    # R: A2, security rule 12 — nobody floods a person's inbox, from any number of clients.
    for n in range(RESET_PER_ADDRESS):
        assert _ask(client, world.alice.email, REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
    refused = _ask(client, world.alice.email, REMOTE_ADDR="10.0.1.1")
    assert refused.status_code == 429
    assert TOO_MANY_RESETS in refused.content.decode()
    assert len(_reset_mails()) == RESET_PER_ADDRESS
    # Another address from the same client is not affected.
    assert _ask(client, world.bob.email, REMOTE_ADDR="10.0.1.1").status_code == 302


def test_reset_is_limited_per_client_address(client, world):
    # R: A2, security rule 12 — one client cannot probe or mail address after address.
    for n in range(RESET_PER_CLIENT):
        assert _ask(client, f"probe{n}@acme.example", REMOTE_ADDR="10.9.9.9").status_code == 302
    refused = _ask(client, world.alice.email, REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429
    assert _reset_mails() == []
    assert _ask(client, world.alice.email, REMOTE_ADDR="10.9.9.10").status_code == 302


def test_reset_request_without_an_address_is_a_form_error(client):
    response = _ask(client, "not an address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


# --- choosing the new password -----------------------------------------------------------


def test_the_link_sets_a_new_password_once_and_lifts_the_lockout(client, world):
    # R: A2 — the lockout message says "or reset your password"; doing so lets them in.
    for _ in range(ratelimit.LIMIT):
        client.post(url("login"), {"username": world.alice.email, "password": "wrong"})
    locked = client.post(url("login"), {"username": world.alice.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert f'href="{url("password_reset")}"' in locked.content.decode()

    _ask(client, world.alice.email)
    (message,) = _reset_mails()
    form_page = client.get(_link_path(message), follow=True)
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]  # the token moved into the session
    assert "set-password" in set_url
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "entirely numeric" in weak.content.decode()
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == url("password_reset_complete")

    login = client.post(url("login"), {"username": world.alice.email, "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == url("home")
    assert AuditEvent.objects.filter(action="password.reset", subject=world.alice.email).exists()
    client.logout()
    again = client.get(_link_path(message), follow=True).content.decode()
    assert "This link no longer works" in again


def test_a_tampered_link_does_not_work(client, world):
    _ask(client, world.alice.email)
    path = _link_path(_reset_mails()[0])
    forged = re.sub(r"/[^/]+/$", "/abc-0123456789abcdef/", path)
    body = client.get(forged, follow=True).content.decode()
    assert "This link no longer works" in body


# --- password change -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "back"), [("alice", "portal-profile"), ("engineer", "console-profile")]
)
def test_password_change_needs_the_current_one_and_keeps_the_session(as_user, world, who, back):
    # R: A2
    user = getattr(world, who)
    client = as_user(user)
    page = client.get(url("password_change"))
    assert page.status_code == 200 and "Change your password" in page.content.decode()
    wrong = client.post(
        url("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in (
        wrong.content.decode()
    )
    right = client.post(
        url("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert right.status_code == 302 and right["Location"] == url(back)
    assert client.get(url(back)).status_code == 200  # still logged in here
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password.change", subject=user.email).exists()


def test_password_change_is_for_people_logged_in(client):
    response = client.get(url("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(url("login"))


# --- profiles --------------------------------------------------------------------------


def _details(**changes):
    values = {"full_name": "Alice Smith", "phone": "+44 1", "time_zone": "", "language": "en"}
    values.update(changes)
    return values


def test_contact_edits_their_details_in_the_portal(as_user, world):
    # R: A2
    client = as_user(world.alice)
    page = client.get(url("portal-profile")).content.decode()
    assert f'action="{url("portal-profile-details")}"' in page
    assert f'href="{url("password_change")}"' in page
    response = client.post(
        url("portal-profile-details"), _details(time_zone="Europe/Berlin", language="de")
    )
    assert response.status_code == 302 and response["Location"] == url("portal-profile")
    world.alice.refresh_from_db()
    assert (world.alice.full_name, world.alice.time_zone, world.alice.language) == (
        "Alice Smith",
        "Europe/Berlin",
        "de",
    )


def test_profile_details_refuse_an_unknown_zone_with_a_form_error(as_user, world):
    response = as_user(world.alice).post(
        url("portal-profile-details"), _details(time_zone="Europe/Atlantis")
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.time_zone == ""


def test_staff_have_their_profile_in_the_console(as_user, world):
    # R: A2 — the same details, in the console's frame; the old address sends them there.
    client = as_user(world.engineer)
    assert client.get(url("portal-profile"))["Location"] == url("console-profile")
    page = client.get(url("console-profile")).content.decode()
    assert "Support console" in page and "Support PIN" not in page
    response = client.post(url("console-profile-details"), _details(time_zone="Asia/Tokyo"))
    assert response.status_code == 302 and response["Location"] == url("console-profile")
    world.engineer.refresh_from_db()
    assert world.engineer.time_zone == "Asia/Tokyo"
    created = client.post(url("console-profile-token-create"), {"name": "laptop"})
    assert created.status_code == 200 and "Your new token" in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    token = world.engineer.api_tokens.get()
    client.post(url("console-profile-token-revoke", token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_contacts_do_not_reach_the_console_profile(as_user, world):
    client = as_user(world.alice)
    assert client.get(url("console-profile")).status_code == 404
    assert client.post(url("console-profile-details"), _details()).status_code == 404


# --- times in the viewer's time zone -------------------------------------------------------


def test_pages_show_times_in_the_viewers_zone_and_utc_in_the_markup(as_user, world):
    # R: A2 — the world's case opened 24 Nov 2026 14:00 UTC.
    case = world.alice_case
    world.alice.time_zone = "Asia/Tokyo"
    world.alice.save()
    body = as_user(world.alice).get(url("portal-case-detail", case.number)).content.decode()
    assert '<time datetime="2026-11-24T14:00:00+00:00">24 Nov 2026, 23:00 JST</time>' in body
    assert "Times are shown in the Asia/Tokyo time zone" in body


def test_staff_see_their_own_zone_and_people_without_one_see_the_sites(client, world):
    case = world.alice_case
    world.engineer.time_zone = "America/Sao_Paulo"
    world.engineer.save()
    client.force_login(world.engineer)
    body = client.get(url("console-case-detail", case.number)).content.decode()
    assert "24 Nov 2026, 11:00 UTC-03" in body
    client.force_login(world.bob)
    body = client.get(url("portal-case-detail", case.number)).content.decode()
    assert "24 Nov 2026, 14:00 UTC" in body


# --- the care back office: new people get an invitation ------------------------------------


@pytest.fixture
def care_admin(client, world):
    world.care.is_superuser = True  # the back office's model permissions
    world.care.save()
    client.force_login(world.care)
    return client


def _add(client: Client, **fields):
    data = {
        "email": "nina@acme.example",
        "full_name": "Nina Novak",
        "role": "contact",
        "organisation": "",
        "phone": "",
        "region": "",
        "invite": "on",
        "_save": "Save",
    }
    data.update(fields)
    return client.post("/admin/accounts/user/add/", data)


def test_care_creates_a_contact_who_gets_an_invitation_not_a_password(care_admin, world):
    # R: A2 — "credentials e-mailed to you" is a link to choose one.
    page = care_admin.get("/admin/accounts/user/add/").content.decode()
    assert "password1" not in page and "E-mail an invitation" in page
    response = _add(care_admin, organisation=str(world.acme.pk))
    assert response.status_code == 302
    nina = User.objects.get(email="nina@acme.example")
    assert not nina.has_usable_password()
    (invitation,) = OutboundMessage.objects.filter(kind="account_invitation")
    assert invitation.to == ["nina@acme.example"]
    path = _link_path(invitation)
    anonymous = Client()
    form_page = anonymous.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    anonymous.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert anonymous.login(username="nina@acme.example", password=NEW_PASSWORD)


def test_a_contact_without_organisation_is_a_form_error_not_a_crash(care_admin, world):
    response = _add(care_admin)
    assert response.status_code == 200
    assert "A customer contact belongs to an organisation." in response.content.decode()
    assert not User.objects.filter(email="nina@acme.example").exists()


def test_invited_people_can_use_forgot_password_when_the_link_expired(client, world):
    # Django leaves accounts without a usable password out of the reset; we do not.
    world.carol.set_unusable_password()
    world.carol.save()
    _ask(client, world.carol.email)
    assert [m.to for m in _reset_mails()] == [[world.carol.email]]


def test_care_outbox_page_does_not_show_live_links(care_admin, world):
    _ask(Client(), world.alice.email)
    (message,) = _reset_mails()
    page = care_admin.get(f"/admin/notifications/outboundmessage/{message.pk}/change/")
    assert page.status_code == 200
    assert _link_path(message) not in page.content.decode()


def test_stale_object_says_the_case_changed_by_default():
    assert "changed by someone else" in StaleObject().reason
