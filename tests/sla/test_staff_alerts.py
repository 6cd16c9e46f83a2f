"""Urgent work reaches people (issue 11 item 2; B, B10, C2, C3, C9): who is mailed about a
new case, the queue owner's alert, the console's urgent banner and the queue's order."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from casedesk.accounts.models import Role
from casedesk.cases import selectors, services
from casedesk.cases.models import Case, EventKind
from casedesk.notifications.models import OutboundMessage
from casedesk.sla.models import Duty, RegionDuty
from tests.factories import make_user
from tests.scenarios.desk import at, desk_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    """Two centres' engineers, EMEA's on-call engineer and queue owner."""
    cache.clear()  # the centre's engineers are cached a minute (sla.staffing)
    people = {
        "london": make_user("lena@support.example", role=Role.ENGINEER, region="emea"),
        "newyork": make_user("nate@support.example", role=Role.ENGINEER, region="americas"),
        "oncall": make_user("olga@support.example", role=Role.ENGINEER, region="emea"),
        "owner": make_user("quinn@support.example", role=Role.MANAGER, region="emea"),
    }
    RegionDuty.objects.create(user=people["oncall"], region="emea", duty=Duty.ON_CALL)
    RegionDuty.objects.create(user=people["owner"], region="emea", duty=Duty.QUEUE_OWNER)
    return people


def mails(case, kind):
    """Everyone mailed ``kind`` about ``case``; a new case's notice is one message with
    the centre's engineers as envelope-only recipients (issue 17 item 4)."""
    rows = OutboundMessage.objects.filter(case=case, kind=kind)
    if kind in ("new_case", "urgent_case"):
        assert len(rows) <= 1 and all(not m.to for m in rows)
    return sorted(a for m in rows for a in m.recipients)


def test_new_case_mails_the_centre_on_shift_follow_the_sun(staff):
    """An EMEA Low case at Wed 25 Nov 2026 10:00 UTC goes to London; at 22:00 UTC London is
    closed and New York (17:00 EST) is on shift; on Sat 28 Nov nobody is in business hours,
    so London's own engineers serve it through on-call (C9)."""
    # R: B, C2, C9
    desk = desk_at(at(2026, 11, 24, 14))
    alice = desk.world.alice
    morning = desk.open(alice, at(2026, 11, 25, 10))
    assert mails(morning, "new_case") == ["lena@support.example", "olga@support.example"]
    evening = desk.open(alice, at(2026, 11, 25, 22))
    assert mails(evening, "new_case") == ["nate@support.example"]
    saturday = desk.open(alice, at(2026, 11, 28, 10))
    assert mails(saturday, "new_case") == ["lena@support.example", "olga@support.example"]
    assert mails(saturday, "opened") == ["alice@acme.example"]
    assert not OutboundMessage.objects.filter(kind="urgent_case").exists()


def test_production_down_wakes_the_on_call_at_night(staff):
    """Sat 28 Nov 2026 03:00 UTC, a Production Down case is opened: the contact
    gets "opened"; London's engineers and its on-call engineer get "URGENT"."""
    # R: B, C2, C3
    desk = desk_at(at(2026, 11, 24, 14))
    world = desk.world
    with time_machine.travel(at(2026, 11, 28, 3), tick=False):
        case = desk.open(
            world.alice,
            at(2026, 11, 28, 3),
            alert=True,
            priority="critical",
            production_down=True,
            emergency_criterion="server_down",
        )
    urgent = OutboundMessage.objects.filter(case=case, kind="urgent_case")
    assert mails(case, "urgent_case") == ["lena@support.example", "olga@support.example"]
    assert mails(case, "opened") == ["alice@acme.example"]
    assert urgent.first().context["extra"]["on_call"] is True


def test_unassigned_critical_case_reaches_the_queue_owner_after_ten_minutes(staff):
    # R: B, C3 — 10 elapsed minutes for a Critical case (policy data), any hour.
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, at(2026, 11, 28, 3), alert=True, priority="critical")
    taken = desk.open(desk.world.alice, at(2026, 11, 28, 3), alert=True, priority="critical")
    services.case_assign(
        case=taken, actor=staff["oncall"], assignee=staff["oncall"], now=at(2026, 11, 28, 3, 5)
    )
    desk.fires_at(at(2026, 11, 28, 3, 10))  # only the untaken case's alert
    assert mails(case, "unassigned") == ["quinn@support.example"]
    assert case.events.filter(kind=EventKind.UNASSIGNED, public=False).count() == 1
    assert not OutboundMessage.objects.filter(case=taken, kind="unassigned").exists()


def test_low_case_alert_waits_30_business_minutes_over_christmas(staff):
    """London, Low, opened Thu 24 Dec 2026 17:50 GMT: 10 business minutes that day; Fri 25
    Christmas; Sat, Sun; Mon 28 Dec the Boxing Day substitute; so Tue 29 Dec 08:20 GMT."""
    # R: B, C1, C3
    desk = desk_at(at(2026, 12, 1, 9))
    case = desk.open(desk.world.alice, at(2026, 12, 24, 17, 50), alert=True)
    desk.fires_at(at(2026, 12, 29, 8, 20))
    assert mails(case, "unassigned") == ["quinn@support.example"]


def test_sydney_alert_across_dst_start_and_labour_day(staff):
    """Sydney, Low, opened Fri 2 Oct 2026 17:50 AEST (07:50 UTC): 10 minutes that day; DST
    starts Sun 4 Oct; Mon 5 Oct is Labour Day (NSW); Tue 6 Oct 08:20 AEDT = Mon 21:20 UTC.
    Nobody named a queue owner for Asia-Pacific, so the support managers are told."""
    # R: B, C1 (DST, holidays), C3
    desk = desk_at(at(2026, 9, 1, 9))
    sydney = desk.contact("apac")
    case = desk.open(sydney, at(2026, 10, 2, 7, 50), alert=True)
    desk.fires_at(at(2026, 10, 5, 21, 20))
    assert mails(case, "unassigned") == ["max@support.example", "quinn@support.example"]


def test_closing_cancels_the_queue_owner_alert(staff):
    # R: C9 — nothing mails after closure.
    desk = desk_at(at(2026, 11, 24, 14))
    case = desk.open(desk.world.alice, at(2026, 11, 25, 10), alert=True, priority="critical")
    services.case_transition(
        case=case,
        actor=desk.engineer,
        action="close",
        to="cancelled",
        reason="Opened by mistake",
        close_reason="customer_request",
        now=at(2026, 11, 25, 10, 2),
    )
    assert desk.tick(at(2026, 11, 26)) == 0
    assert not OutboundMessage.objects.filter(kind="unassigned").exists()


def test_console_banner_counts_urgent_unassigned_cases(client, world):
    # R: B, C3 — on every console page, for staff only.
    for _ in range(2):
        world.open_case(world.gina, priority="critical")
    pd = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    client.force_login(world.engineer)
    page = client.get(reverse("console-escalations")).content.decode()
    assert "3 urgent cases unassigned" in page and "priority=critical" in page
    services.case_assign(case=pd, actor=world.engineer, assignee=world.engineer, now=world.now)
    page = client.get(reverse("console-queue")).content.decode()
    assert "2 urgent cases unassigned" in page
    client.force_login(world.gina)
    assert "urgent case" not in client.get(reverse("portal-case-list")).content.decode()


def test_queue_puts_the_most_urgent_first_and_shows_the_total(client, world, monkeypatch):
    """30 older Low cases and a new Production Down one: the PD case heads page 1 (it sat
    alone on page 2 before); "due" orders by the nearest milestone target."""
    # R: B10, C3
    for i in range(30):
        world.open_case(world.gina, subject=f"Bulk {i}")
    world.now += dt.timedelta(hours=1)
    pd = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    client.force_login(world.engineer)
    with time_machine.travel(world.now, tick=False):
        page = client.get(reverse("console-queue")).content.decode()
    assert page.index(pd.subject) < page.index("Bulk 0")
    assert "<strong>34</strong> cases in this view" in page
    first = selectors.engineer_queue(world.engineer, selectors.CaseFilters(scope="all"))
    assert first.items[0] == pd
    services.case_mark_all_info_provided(case=world.carol_case, actor=world.engineer, now=world.now)
    due = selectors.engineer_queue(world.engineer, selectors.CaseFilters(scope="all", sort="due"))
    assert due.items[0] == world.carol_case
    monkeypatch.setattr(selectors, "COUNT_CAP", 20)
    capped = selectors.engineer_queue(
        world.engineer, selectors.CaseFilters(scope="all"), count=True
    )
    assert capped.total == 21 and capped.total_text == "20+"
    assert Case.objects.get(pk=pd.pk).urgency == 0
