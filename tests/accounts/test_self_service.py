"""Accounts people manage themselves (A2): profile details, reset links, invitations.

The mails go through the real outbox and its real send pump into Django's in-memory mail
backend, so what reaches the person is what the worker would send.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import resolve

from casedesk.accounts import services
from casedesk.accounts.models import AuditEvent
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import outbox_pump

pytestmark = pytest.mark.django_db


def _profile(user, **changes):
    values = {
        "full_name": user.full_name,
        "phone": user.phone,
        "time_zone": user.time_zone,
        "language": user.language,
        **changes,
    }
    return services.user_update_profile(user=user, now=user.date_joined, **values)


def test_profile_update_saves_normalised_values_and_audits(world):
    # R: A2
    changed = _profile(
        world.alice,
        full_name="  Alice   Smith ",
        phone=" +44 20 7946 0000 ",
        time_zone="Asia/Tokyo",
        language="ja",
    )
    assert changed == ["full_name", "phone", "time_zone", "language"]
    world.alice.refresh_from_db()
    assert (world.alice.full_name, world.alice.phone) == ("Alice Smith", "+44 20 7946 0000")
    assert (world.alice.time_zone, world.alice.language) == ("Asia/Tokyo", "ja")
    event = AuditEvent.objects.get(action="profile.updated", subject=world.alice.email)
    assert event.data == {"fields": changed}
    assert _profile(world.alice) == []  # nothing new, nothing written
    assert AuditEvent.objects.filter(action="profile.updated").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"language": "tlh"}, "language"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "Alice\x00"}, "full_name"),
        ({"phone": "1" * 41}, "phone"),
    ],
)
def test_profile_update_refuses_bad_values_and_keeps_the_old(world, changes, field):
    # R: A2
    before = (world.alice.full_name, world.alice.phone, world.alice.time_zone)
    with pytest.raises(PolicyViolation) as refused:
        _profile(world.alice, **changes)
    assert refused.value.field == field
    world.alice.refresh_from_db()
    assert (world.alice.full_name, world.alice.phone, world.alice.time_zone) == before


def _link(message: OutboundMessage) -> str:
    return re.search(r"(http\S+/password-reset/\S+/)", message.text_body).group(1)


def _token_is_valid(user, link: str) -> bool:
    match = resolve(urlsplit(link).path)
    assert match.url_name == "password_reset_confirm"
    return default_token_generator.check_token(user, match.kwargs["token"])


def test_reset_mail_goes_through_the_outbox_with_a_working_link(world, settings):
    # R: A2 — queued in the outbox, sent by the pump, the link carries a valid token.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.password_reset_mail(user=world.alice, now=world.now)
    row = OutboundMessage.objects.get(kind="account_password_reset")
    assert row.to == [world.alice.email] and row.case_id is None and row.event_id is None
    link = _link(row)
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/password-reset/")
    assert _token_is_valid(world.alice, link)
    outbox_pump(worker="test", now=world.now)  # with the world's case mails
    row.refresh_from_db()
    assert row.state == MessageState.SENT
    (sent,) = [m for m in mail.outbox if m.subject == "Reset your casedesk password"]
    assert sent.to == [world.alice.email] and link in sent.body
    assert link in sent.alternatives[0][0]
    assert AuditEvent.objects.filter(action="password.reset_mailed").count() == 1


def test_reset_mail_for_an_inactive_account_is_not_sent(world):
    world.alice.is_active = False
    world.alice.save()
    services.password_reset_mail(user=world.alice, now=world.now)
    assert not OutboundMessage.objects.filter(kind="account_password_reset").exists()


def test_the_link_works_once(world):
    # R: A2, security rule 12 — setting the password spends the token.
    services.password_reset_mail(user=world.alice, now=world.now)
    link = _link(OutboundMessage.objects.get(kind="account_password_reset"))
    world.alice.set_password("a-new-long-password")
    world.alice.save()
    assert not _token_is_valid(world.alice, link)


def test_care_invites_with_a_set_your_password_link_never_a_password(world):
    # R: A2 — "credentials e-mailed to you": a link, not a password in clear.
    from tests.factories import make_user

    newcomer = make_user("nina@acme.example", organisation=world.acme)
    newcomer.set_unusable_password()
    newcomer.save()
    services.user_invite(actor=world.care, user=newcomer, now=world.now)
    row = OutboundMessage.objects.get(kind="account_invitation")
    assert row.to == ["nina@acme.example"]
    assert "Acme" in row.text_body and world.care.full_name in row.text_body
    assert _token_is_valid(newcomer, _link(row))
    assert "password:" not in row.text_body.lower()
    assert AuditEvent.objects.filter(action="user.invited", actor=world.care).exists()


def test_only_care_invites_and_not_people_who_already_logged_in(world):
    # R: A2, A4
    with pytest.raises(NotPermitted):
        services.user_invite(actor=world.engineer, user=world.carol, now=world.now)
    world.carol.last_login = world.now
    world.carol.save()
    with pytest.raises(PolicyViolation, match="already logged in"):
        services.user_invite(actor=world.care, user=world.carol, now=world.now)
    assert not OutboundMessage.objects.filter(kind="account_invitation").exists()
