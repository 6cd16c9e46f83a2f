"""The right text reaches the right people (issue 11 item 3; B4, B5, B8, B9, E1).

Each free-text field of a staff action says whether the customer sees it. Kept internal,
the text never reaches a contact by any route: portal timeline, API timeline, or mail.
"""

from __future__ import annotations

import pytest

from casedesk.cases import services
from casedesk.cases.models import EventKind
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.notifications.models import OutboundMessage
from casedesk.notifications.sending import outbox_pump
from tests.api.conftest import ApiClient
from tests.pages.helpers import url

pytestmark = pytest.mark.django_db

SECRET = "40 agents affected; raising"


def _everything_alice_can_read(client, api: ApiClient, number: str) -> str:
    page = client.get(url("portal-case-detail", number)).content.decode()
    timeline = api.get(f"/cases/{number}/events").content.decode()
    return page + timeline


@pytest.fixture
def alice_reads(client, world, time_machine):  # type: ignore[no-untyped-def]
    from casedesk.accounts.services import api_token_create

    time_machine.move_to(world.now, tick=False)
    api = ApiClient(api_token_create(user=world.alice, name="t", now=world.now))
    client.force_login(world.alice)
    return lambda: _everything_alice_can_read(client, api, world.alice_case.number)


def _mail_text() -> str:
    outbox_pump(worker="t", now=OutboundMessage.objects.latest("pk").created_at, limit=100)
    return " ".join(
        f"{m.subject} {m.text_body} {m.html_body}" for m in OutboundMessage.objects.all()
    )


def test_support_priority_reason_is_internal_by_default(world, alice_reads):
    services.case_change_priority(
        case=world.alice_case,
        actor=world.engineer,
        priority="high",
        reason=SECRET,
        now=world.now,
    )
    seen = alice_reads()
    assert "Priority medium → high" in seen  # the change itself is public
    assert SECRET not in seen
    note = world.alice_case.events.get(kind=EventKind.NOTE)
    assert note.body == SECRET and not note.public and note.data["about"] == "priority"


def test_a_reason_marked_visible_is_shown(world, alice_reads):
    services.case_change_priority(
        case=world.alice_case,
        actor=world.engineer,
        priority="high",
        reason="Raised after your call this morning",
        now=world.now,
        reason_public=True,
    )
    assert "Raised after your call this morning" in alice_reads()


def test_internal_closing_why_reaches_neither_timeline_nor_mail(world, alice_reads):
    # R: B6, E1 — the closed mail quotes event.body: an internal why must not be in it.
    services.case_transition(
        case=world.alice_case,
        actor=world.engineer,
        action="close",
        to="redirected",
        close_reason="redirected",
        reason="Customer is abusive to our staff; redirect",
        now=world.now,
        reason_public=False,
    )
    assert "abusive" not in alice_reads()
    text = _mail_text()
    assert "Case closed" in text
    assert "abusive" not in text


def test_information_request_text_cannot_be_internal(world):
    # The mail says "we need more information:" followed by this text.
    with pytest.raises(PolicyViolation, match="visible to the customer") as caught:
        services.case_transition(
            case=world.alice_case,
            actor=world.engineer,
            action="request_info",
            to="info_required",
            reason="Send the dialer log",
            now=world.now,
            reason_public=False,
        )
    assert caught.value.field == "reason_public"


def test_outcome_note_is_internal_by_default(world, alice_reads):
    services.case_set_outcome(
        case=world.alice_case,
        actor=world.engineer,
        outcome="defect",
        change_request_id="CR-77",
        note="Dev says the pacing thread deadlocks",
        now=world.now,
    )
    seen = alice_reads()
    assert "Outcome: Defect" in seen and "deadlocks" not in seen


def test_a_contact_cannot_hide_their_own_words(world):
    with pytest.raises(NotPermitted):
        services.case_change_priority(
            case=world.alice_case,
            actor=world.alice,
            priority="medium",
            reason="x",
            now=world.now,
            reason_public=False,
        )


def test_console_forms_say_who_sees_each_text_with_defaults(client, world):
    client.force_login(world.engineer)
    html = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    for prefix, default in (("move", 0), ("prio", 1), ("outcome", 1)):  # 0 public, 1 internal
        assert f'id="{prefix}_visibility_{default}" checked' in html, prefix
        assert f'id="{prefix}_visibility_{1 - default}">' in html, prefix
    assert "Visible to the customer (quoted in the mail)" in html


def test_console_priority_post_keeps_the_reason_internal(client, world, alice_reads):
    client.force_login(world.engineer)
    response = client.post(
        url("console-case-priority", world.alice_case.number),
        {
            "priority": "high",
            "reason": SECRET,
            "visibility": "internal",
            "version": world.alice_case.version,
        },
    )
    assert response.status_code == 302
    assert SECRET not in alice_reads()
    staff_page = client.get(url("console-case-detail", world.alice_case.number)).content.decode()
    assert SECRET in staff_page and "Internal note on the priority change" in staff_page


def test_api_transition_reason_can_be_internal(world, alice_reads):
    from casedesk.accounts.services import api_token_create

    api = ApiClient(api_token_create(user=world.engineer, name="t", now=world.now))
    number = world.alice_case.number
    response = api.post(
        f"/cases/{number}/transitions",
        {
            "action": "work",
            "to": "engineering_request",
            "reason": "Waiting for R&D bandwidth",
            "reason_public": False,
            "version": world.alice_case.version,
        },
    )
    assert response.status_code == 200, response.content
    assert "R&D bandwidth" not in alice_reads()
    staff_timeline = api.get(f"/cases/{number}/events").content.decode()
    assert "R&D bandwidth" in staff_timeline
