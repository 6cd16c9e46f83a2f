"""Calls as records (H1, C3): queued → answered → ended, identified by PIN, tied to cases."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases.models import CaseEvent
from casedesk.core.errors import PolicyViolation
from casedesk.phone import selectors, services
from casedesk.phone.models import Call
from casedesk.policy.holdtime import HoldVerdict

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


def test_a_call_measures_its_hold_and_repeated_events_change_nothing(world, now):
    # R: H1, C3
    call = services.call_queued(now=now, external_id="pbx-1")
    assert services.call_queued(now=now + MIN, external_id="pbx-1").pk == call.pk
    services.call_identify(call=call, caller=world.alice)
    answered = services.call_answered(call=call, engineer=world.engineer, now=now + 4 * MIN)
    again = services.call_answered(call=call, engineer=world.manager, now=now + 9 * MIN)
    assert again.answered_at == answered.answered_at and again.engineer == world.engineer
    assert answered.hold_seconds == 240
    ended = services.call_ended(call=call, now=now + 20 * MIN)
    assert services.call_ended(call=call, now=now + 30 * MIN).ended_at == ended.ended_at
    call.refresh_from_db()
    assert call.caller == world.alice and call.region == world.acme_contract.region
    # Tuesday 14:00 UTC is business hours in Acme's region: 4 minutes beats the 10.
    assert selectors.call_hold(call).verdict == HoldVerdict.MET


def test_an_emergency_call_has_the_five_minute_target(world, now):
    # R: C3
    call = services.call_queued(now=now, emergency=True)
    call = services.call_answered(call=call, engineer=world.engineer, now=now + 6 * MIN)
    result = selectors.call_hold(call)
    assert result.verdict == HoldVerdict.BREACHED and result.target == 5 * MIN


def test_live_calls_list_emergencies_first_then_waiting_oldest_first(world, now):
    # R: H1
    answered = services.call_queued(now=now)
    services.call_answered(call=answered, engineer=world.engineer, now=now + MIN)
    waiting_old = services.call_queued(now=now + MIN)
    waiting_new = services.call_queued(now=now + 2 * MIN)
    emergency = services.call_queued(now=now + 3 * MIN, emergency=True)
    ended = services.call_queued(now=now - MIN)
    services.call_ended(call=ended, now=now)
    assert [c.pk for c in selectors.live_calls()] == [
        emergency.pk,
        waiting_old.pk,
        waiting_new.pk,
        answered.pk,
    ]


def test_identifying_refuses_staff_and_a_second_caller(world, now):
    call = services.call_queued(now=now, caller=world.alice)
    with pytest.raises(PolicyViolation):
        services.call_identify(call=call, caller=world.bob)
    with pytest.raises(PolicyViolation):
        services.call_queued(now=now, caller=world.engineer)
    abandoned = services.call_ended(call=services.call_queued(now=now), now=now + MIN)
    with pytest.raises(PolicyViolation):
        services.call_answered(call=abandoned, engineer=world.engineer, now=now + 2 * MIN)


def test_logging_a_call_puts_it_on_the_case_with_its_visibility(world, now):
    # R: H1, B5
    call, event = services.phone_log_call(
        engineer=world.engineer,
        caller=world.alice,
        case=world.alice_case,
        body="Called: gateway restarted, still failing.",
        public=False,
        now=now,
    )
    assert event.public is False and event.data["channel"] == "phone"
    assert event.data["call"] == call.pk and list(call.cases.all()) == [world.alice_case]
    assert call.answered_at == now and call.engineer == world.engineer


def test_a_call_cannot_be_logged_on_another_organisations_case(world, now):
    # R: security rule 3
    with pytest.raises(PolicyViolation):
        services.phone_log_call(
            engineer=world.engineer,
            caller=world.alice,
            case=world.gina_case,
            body="wrong case",
            public=True,
            now=now,
        )
    assert not Call.objects.exists()  # the whole step rolled back
    assert not CaseEvent.objects.filter(case=world.gina_case, body="wrong case").exists()
