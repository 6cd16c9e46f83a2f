"""SLA milestone notices and the unassigned-case alert as one message to many staff
(issue 17 item 4 follow-up; B, C3, C9, E1, rule 7).

Like the centre's new-case notice: the managers (milestones) and the region's queue owners
(unassigned) get one outbox row with their addresses in the SMTP envelope only; the
assigned engineer still gets a milestone notice of her own. Who hears is exactly who the
rule names, once per event however often it is notified."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction

from casedesk.accounts.models import Role
from casedesk.cases import services
from casedesk.cases.models import CaseEvent, EventKind
from casedesk.notifications import services as notify
from casedesk.notifications.models import MessageState, OutboundMessage
from casedesk.notifications.sending import outbox_pump
from casedesk.scheduling.services import worker_tick
from casedesk.sla.models import Duty, RegionDuty
from tests.factories import make_user
from tests.scenarios.desk import at, desk_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_smtp_session")]
START = at(2026, 11, 24, 14)
WARNING = at(2026, 12, 7, 14)  # Medium, London: root cause due Thu 10 Dec 14:00
EVE, MAX, MIA = "eve@support.example", "max@support.example", "mia@support.example"


def tick(when: dt.datetime) -> int:
    with time_machine.travel(when, tick=False):
        return worker_tick(worker="t", now=when)


def rows_of(case, kind_prefix: str) -> list[tuple[str, list[str], list[str]]]:
    rows = OutboundMessage.objects.filter(case=case, kind__startswith=kind_prefix).order_by("id")
    return [(m.kind, m.to, sorted(m.bcc)) for m in rows]


def renotify(case, kind: str, when: dt.datetime) -> None:
    """The event notified again (a worker re-running its batch): nothing new is queued."""
    event = CaseEvent.objects.filter(case=case, kind=kind).latest("id")
    with transaction.atomic():
        notify.notify_case_event(event=event, now=when)


def warned(world, assignee, *, before=lambda: None):  # type: ignore[no-untyped-def]
    services.case_assign(case=world.alice_case, actor=world.manager, assignee=assignee, now=START)
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=START
    )
    before()
    assert tick(WARNING) == 1
    return case


def test_a_milestone_warning_is_one_message_to_the_managers_and_one_to_the_engineer(world, smtp):
    # R: C3, E1 — the engineer's own notice, the managers' together; nobody else: not
    # another engineer, not care, not an inactive manager, not the contact.
    make_user(MIA, role=Role.MANAGER)
    make_user("mo@support.example", role=Role.MANAGER, is_active=False)
    make_user("ed@support.example", role=Role.ENGINEER)
    case = warned(world, world.engineer)
    assert rows_of(case, "milestone") == [
        ("milestone_warning", [EVE], []),
        ("milestone_warning", [], [MAX, MIA]),
    ]
    renotify(case, EventKind.MILESTONE, WARNING)
    assert len(rows_of(case, "milestone")) == 2  # rule 7: once per event
    smtp.messages.clear()
    outbox_pump(worker="w", now=WARNING, limit=500)
    got = [r for r in smtp.messages if "SLA target" in (r.message["Subject"] or "")]
    assert sorted(sorted(r.rcpt_tos) for r in got) == [[EVE], [MAX, MIA]]
    own, together = sorted(got, key=lambda r: len(r.rcpt_tos))
    assert own.message["To"] == EVE
    assert together.message["To"] == "undisclosed-recipients:;"
    assert together.message["Bcc"] is None and together.message["Cc"] is None
    for address in (MAX, MIA):
        assert address.encode() not in together.data.lower()
    text = together.message.get_body(preferencelist=("plain",)).get_content()
    assert f"/console/cases/{case.number}/" in text and "Eve" in text  # who has the case
    assert set(OutboundMessage.objects.filter(case=case).values_list("state", flat=True)) == {
        MessageState.SENT
    }


def test_a_manager_with_the_case_is_told_once(world):
    # R: C3 — the assignee's own notice; the managers' message leaves her out.
    make_user(MIA, role=Role.MANAGER)
    case = warned(world, world.manager)
    assert rows_of(case, "milestone") == [
        ("milestone_warning", [MAX], []),
        ("milestone_warning", [], [MIA]),
    ]


def test_without_other_managers_only_the_engineers_notice_is_queued(world):
    def retire() -> None:
        world.manager.is_active = False
        world.manager.save()

    case = warned(world, world.engineer, before=retire)
    assert rows_of(case, "milestone") == [("milestone_warning", [EVE], [])]


@pytest.fixture
def owners(db):  # type: ignore[no-untyped-def]
    """EMEA's two queue owners; the Americas' own one; a manager who is not named."""
    cache.clear()
    quinn = make_user("quinn@support.example", role=Role.MANAGER, region="emea")
    rose = make_user("rose@support.example", role=Role.ENGINEER, region="emea")
    amy = make_user("amy@support.example", role=Role.MANAGER, region="americas")
    for user, region in ((quinn, "emea"), (rose, "emea"), (amy, "americas")):
        RegionDuty.objects.create(user=user, region=region, duty=Duty.QUEUE_OWNER)
    return ["quinn@support.example", "rose@support.example"]


def test_the_unassigned_alert_is_one_message_to_the_regions_queue_owners(owners, smtp):
    # R: B, C3 — only EMEA's queue owners, in the envelope only, once.
    desk = desk_at(START)
    when = at(2026, 11, 28, 3)
    case = desk.open(desk.world.alice, when, alert=True, priority="critical")
    desk.fires_at(when + dt.timedelta(minutes=10))
    assert rows_of(case, "unassigned") == [("unassigned", [], owners)]
    renotify(case, EventKind.UNASSIGNED, when + dt.timedelta(minutes=10))
    assert len(rows_of(case, "unassigned")) == 1
    smtp.messages.clear()
    outbox_pump(worker="w", now=when + dt.timedelta(minutes=10), limit=500)
    row = OutboundMessage.objects.get(case=case, kind="unassigned")
    [alert] = [r for r in smtp.messages if r.message["Message-ID"] == row.message_id]
    assert sorted(alert.rcpt_tos) == owners
    assert alert.message["To"] == "undisclosed-recipients:;"
    for address in owners:
        assert address.encode() not in alert.data.lower()


def test_many_queue_owners_are_split_into_messages_a_server_must_take(owners, monkeypatch):
    # R: RFC 5321 4.5.3.1.8 — at most MAX_RECIPIENTS envelope recipients per message.
    monkeypatch.setattr(notify, "MAX_RECIPIENTS", 1)
    desk = desk_at(START)
    when = at(2026, 11, 28, 3)
    case = desk.open(desk.world.alice, when, alert=True, priority="critical")
    desk.fires_at(when + dt.timedelta(minutes=10))
    assert rows_of(case, "unassigned") == [("unassigned", [], [o]) for o in owners]
