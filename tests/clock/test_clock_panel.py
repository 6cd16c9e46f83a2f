"""The clock on the case pages (C3, C4, C5) and follow-the-sun in the console queue (C2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casedesk.cases import services

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _frozen(time_machine, now):
    time_machine.move_to(now, tick=False)


def page(client, user, name, number):
    client.force_login(user)
    return client.get(reverse(name, args=[number])).content.decode()


def test_milestone_in_business_time_on_both_pages(client, world):
    """All info Tue 24 Nov 2026 14:00 London (GMT); Medium root cause 12 business days →
    Thu 10 Dec 14:00."""
    # R: C3, C4
    services.case_mark_all_info_provided(case=world.alice_case, actor=world.engineer, now=world.now)
    text = "Due in 12 business days, Thu 10 Dec 14:00 London time"
    console = page(client, world.engineer, "console-case-detail", world.alice_case.number)
    assert text in console and "Root cause" in console and "12 business days" in console
    portal = page(client, world.alice, "portal-case-detail", world.alice_case.number)
    assert text in portal


def test_sao_paulo_case_shows_local_time_and_next_reminder(client, world):
    """Gina's Brazil case: support asks for info Tue 24 Nov 2026 14:00 UTC (11:00 São Paulo).
    Reminder #1 after 2 business days → Thu 26 Nov 11:00 São Paulo time."""
    # R: C5, C1
    services.case_transition(
        case=world.gina_case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Please send the trace",
        now=world.now,
    )
    portal = page(client, world.gina, "portal-case-detail", world.gina_case.number)
    assert "Reminder #1, due in 2 business days, Thu 26 Nov 11:00 São Paulo time" in portal
    assert "Business time in São Paulo time" in portal
    assert "Served now by the <strong>Brazil</strong> centre" in portal


def test_production_down_says_no_followup(client, world):
    # R: C5, B3
    case = world.open_case(
        world.alice,
        priority="critical",
        production_down=True,
        emergency_criterion="server_down",
    )
    services.case_transition(
        case=case,
        actor=world.engineer,
        action="request_info",
        to="info_required",
        reason="Logs?",
        now=world.now,
    )
    console = page(client, world.engineer, "console-case-detail", case.number)
    assert "never followed up automatically" in console and "Reminder #1" not in console


def test_queue_shows_and_filters_by_the_centre_serving_now(client, world):
    """Tue 24 Nov 2026 14:00 UTC: London (14:00) and São Paulo (11:00) are open; Sydney
    (01:00 Wed) is closed, so the London centre serves Asia-Pacific cases too (C2)."""
    # R: C2, B10
    client.force_login(world.engineer)
    url = reverse("console-queue")
    everything = client.get(url, {"state": "open"}).content.decode()
    assert "served by Brazil" in everything and "served by Europe" in everything
    brazil = client.get(url, {"state": "open", "centre": "brazil"}).content.decode()
    assert world.gina_case.number in brazil and world.alice_case.number not in brazil
    emea = client.get(url, {"state": "open", "centre": "emea"}).content.decode()
    assert world.alice_case.number in emea and world.gina_case.number not in emea
    japan = client.get(url, {"state": "open", "centre": "japan"}).content.decode()
    assert world.alice_case.number not in japan and world.gina_case.number not in japan
    assert client.get(url, {"centre": "mars"}).status_code == 200  # ignored, not a 500
