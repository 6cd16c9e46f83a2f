"""The console phone screen (H1, C3): PIN → caller, one-step log and open, live calls first."""

from __future__ import annotations

import pytest

from casedesk.accounts.models import User
from casedesk.cases.models import Case, CaseEvent
from casedesk.core import clock
from casedesk.phone import services
from casedesk.phone.models import Call

from .helpers import open_form_data, url

pytestmark = pytest.mark.django_db


def test_pin_shows_the_caller_their_organisation_maintenance_and_open_cases(as_user, world):
    # R: H1
    client = as_user(world.engineer)
    response = client.get(url("console-phone"), {"pin": world.alice.support_pin})
    body = response.content.decode()
    assert response.status_code == 200
    assert world.alice.full_name in body and "Acme" in body and "Covered" in body
    # The organisation's open cases, not another organisation's.
    assert world.alice_case.number in body and world.carol_case.number in body
    assert world.gina_case.number not in body


def test_bad_and_unknown_pins_are_form_errors(as_user, world):
    client = as_user(world.engineer)
    assert client.get(url("console-phone"), {"pin": "12ab"}).status_code == 400
    taken = set(User.objects.values_list("support_pin", flat=True))
    unused = next(p for p in (f"{i:06d}" for i in range(1000)) if p not in taken)
    response = client.get(url("console-phone"), {"pin": unused})
    assert response.status_code == 404 and "PIN" in response.content.decode()


def test_contacts_cannot_reach_the_phone_screen(as_user, world):
    client = as_user(world.alice)
    assert client.get(url("console-phone")).status_code == 404
    response = client.post(url("console-phone-log"), {"contact_id": world.alice.pk})
    assert response.status_code == 404
    assert not Call.objects.exists()


def test_log_a_live_call_on_a_case_in_one_step(as_user, world):
    # R: H1, C3
    call = services.call_queued(now=clock.now(), external_id="pbx-9")
    client = as_user(world.engineer)
    response = client.post(
        url("console-phone-log"),
        {
            "contact_id": world.alice.pk,
            "call_id": call.pk,
            "case": world.alice_case.number,
            "body": "Walked through the trunk settings.",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.caller == world.alice and call.engineer == world.engineer
    assert call.answered_at is not None and list(call.cases.all()) == [world.alice_case]
    event = CaseEvent.objects.get(case=world.alice_case, body="Walked through the trunk settings.")
    assert event.public and event.data["call"] == call.pk


def test_logging_on_another_organisations_case_is_refused(as_user, world):
    client = as_user(world.engineer)
    response = client.post(
        url("console-phone-log"),
        {
            "contact_id": world.alice.pk,
            "case": world.gina_case.number,
            "body": "nope",
            "visibility": "internal",
        },
    )
    assert response.status_code == 400
    assert not Call.objects.exists()


def test_open_a_case_for_the_caller_in_one_step(as_user, world):
    # R: H1, B2
    client = as_user(world.engineer)
    data = open_form_data(world, subject="Phones dead after the cutover")
    response = client.post(url("console-phone-open"), {"contact_id": world.alice.pk, **data})
    assert response.status_code == 302
    case = Case.objects.get(subject="Phones dead after the cutover")
    assert case.channel == "phone" and case.contact == world.alice
    call = Call.objects.get()
    assert list(call.cases.all()) == [case] and call.engineer == world.engineer
    bad = client.post(url("console-phone-open"), {"contact_id": world.alice.pk})
    assert bad.status_code == 400


def test_live_calls_come_first_emergencies_on_top_on_the_phone_screen_and_queue(as_user, world):
    # R: H1
    now = clock.now()
    services.call_queued(now=now, caller=world.carol)
    services.call_queued(now=now, caller=world.gina, emergency=True)
    client = as_user(world.engineer)
    body = client.get(url("console-phone")).content.decode()
    live = body[body.index('id="live-calls"') :]
    assert live.index(world.gina.full_name) < live.index(world.carol.full_name)
    assert "Emergency" in live
    queue = client.get(url("console-queue")).content.decode()
    assert queue.index('id="queue-live-calls"') < queue.index(world.alice_case.number)


def test_answer_then_end_a_call_from_the_screen(as_user, world):
    # R: C3
    call = services.call_queued(now=clock.now(), caller=world.alice)
    client = as_user(world.engineer)
    assert client.post(url("console-phone-answer", call.pk)).status_code == 302
    assert client.post(url("console-phone-end", call.pk)).status_code == 302
    call.refresh_from_db()
    assert call.answered_at and call.ended_at and call.engineer == world.engineer
    body = client.get(url("console-phone")).content.decode()
    assert "recent-calls" in body and "Held 0 min" in body


def test_call_logs_appear_on_the_timeline_with_their_visibility(as_user, world):
    # R: H1, B5 (issue 14 item 7): the customer sees the public log of their own call only.
    now = clock.now()
    for text, public in (("Told them the patch is out.", True), ("Caller sounded upset.", False)):
        services.phone_log_call(
            engineer=world.engineer,
            caller=world.alice,
            case=world.alice_case,
            body=text,
            public=public,
            now=now,
        )
    staff = as_user(world.engineer).get(url("console-case-detail", world.alice_case.number))
    body = staff.content.decode()
    assert "Phone call" in body and "Caller sounded upset." in body and "via phone" in body
    customer = as_user(world.alice).get(url("portal-case-detail", world.alice_case.number))
    body = customer.content.decode()
    assert "Phone call" in body and "Told them the patch is out." in body
    assert "Caller sounded upset." not in body
    other = as_user(world.gina).get(url("portal-case-detail", world.alice_case.number))
    assert other.status_code == 404
