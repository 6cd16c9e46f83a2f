"""Every milestone can be met and closure settles it (issue 11 item 1; C3, C4, C9)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from casedesk.cases import services
from casedesk.cases.models import Case, EventKind
from casedesk.core.errors import PolicyViolation
from casedesk.notifications.models import OutboundMessage
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.services import worker_tick
from casedesk.sla.models import Milestone
from casedesk.sla.selectors import case_clock

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(*parts):
    return dt.datetime(*parts, tzinfo=UTC)


def tick(when):
    with time_machine.travel(when, tick=False):
        return worker_tick(worker="t", now=when)


def close(world, case, when, sub_status="resolved", reason="solution_accepted"):
    return services.case_transition(
        case=case,
        actor=world.engineer,
        action="close",
        to=sub_status,
        reason="Closed on the customer's word",
        close_reason=reason,
        now=when,
    )


def milestone_mails():
    return OutboundMessage.objects.filter(kind__in=["milestone_warning", "milestone_breach"])


def test_closing_before_the_target_settles_it_not_applicable_and_nothing_fires(world):
    """Medium, London: all info Tue 24 Nov 2026 14:00 → root cause due Thu 10 Dec 14:00.
    Closed Fri 27 Nov: not applicable; the warning (Mon 7 Dec) and breach never fire."""
    # R: C9, C3
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    assert case.next_due_at == at(2026, 12, 10, 14)
    case = close(world, case, at(2026, 11, 27, 9))
    m = Milestone.objects.get(case=case)
    assert (m.settlement, m.settled_at) == ("not_applicable", at(2026, 11, 27, 9))
    assert Case.objects.get(pk=case.pk).next_due_at is None
    clock_kinds = ["milestone_warning", "milestone_breach", "case.unassigned"]
    assert not Deadline.objects.filter(
        case=case, state=DeadlineState.PENDING, kind__in=clock_kinds
    ).exists()
    event = case.events.filter(kind=EventKind.TRANSITION).last()
    assert event.data["milestones"] == {"root_cause": "not_applicable"}
    assert tick(at(2026, 12, 20)) == 0  # (the C7 purge comes on 27 Dec)
    assert not milestone_mails().exists()
    text = case_clock(case, at(2026, 12, 21)).milestones[0].text
    assert text.startswith("not applicable") and "overdue" not in text


def test_closing_after_the_target_is_missed_without_a_late_breach_mail(world):
    """The breach deadline was due Thu 10 Dec 14:00 but no worker ran before the case closed
    on Fri 11 Dec: the closure records "missed"; the late worker mails nobody."""
    # R: C9
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    close(world, case, at(2026, 12, 11, 9))
    assert Milestone.objects.get(case=case).settlement == "missed"
    assert tick(at(2026, 12, 11, 10)) == 0
    assert not milestone_mails().exists()
    text = case_clock(Case.objects.get(pk=case.pk), at(2027, 1, 5)).milestones[0].text
    assert text.startswith("missed: due Thu 10 Dec 14:00") and "overdue" not in text


def test_handlers_refuse_a_closed_case_even_if_a_deadline_survived(world):
    """Defence in depth: a breach deadline left pending (a cancellation that raced a
    worker) finds the case closed and does nothing."""
    # R: C9
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    close(world, case, at(2026, 11, 27, 9))
    Milestone.objects.filter(case=case).update(settled_at=None, settlement="")
    Deadline.objects.filter(case=case, kind="milestone_breach").update(
        state=DeadlineState.PENDING, finished_at=None, outcome=""
    )
    assert tick(at(2026, 12, 10, 14)) == 1
    d = Deadline.objects.get(case=case, kind="milestone_breach")
    assert "case closed" in d.outcome
    assert not case.events.filter(kind=EventKind.MILESTONE).exists()
    assert not milestone_mails().exists()


def test_reopening_resumes_the_settled_milestone_with_its_own_target(world):
    """ADR 0008: closed Fri 27 Nov (not applicable), re-opened by phone Tue 1 Dec: the root
    cause runs again towards Thu 10 Dec 14:00, and breaches there."""
    # R: C4, C9, B7
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    close(world, case, at(2026, 11, 27, 9))
    case = services.case_reopen(
        case=Case.objects.get(pk=case.pk),
        actor=world.engineer,
        information="The dialler stopped again after the restart",
        now=at(2026, 12, 1, 9),
    )
    m = Milestone.objects.get(case=case)
    assert m.running and m.target_at == at(2026, 12, 10, 14)
    assert Case.objects.get(pk=case.pk).next_due_at == at(2026, 12, 10, 14)
    assert tick(at(2026, 12, 10, 14)) == 2  # the warning (due Mon 7 Dec) and the breach
    m.refresh_from_db()
    assert m.breached_at == at(2026, 12, 10, 14)


def test_priority_change_moves_the_root_cause_target_from_the_same_start(world):
    """C9: Medium all info Tue 24 Nov 2026 14:00 (12 business days → Thu 10 Dec). Raised to
    High on Fri 27 Nov: 9 business days from the same start → Mon 7 Dec 14:00."""
    # R: C9, C3
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    case = services.case_change_priority(
        case=case,
        actor=world.engineer,
        priority="high",
        reason="Agents cannot log in",
        now=at(2026, 11, 27, 10),
    )
    m = Milestone.objects.get(case=case)
    assert m.target_at == at(2026, 12, 7, 14) and "9 business days" in m.reason
    assert Case.objects.get(pk=case.pk).next_due_at == at(2026, 12, 7, 14)
    assert tick(at(2026, 12, 7, 14)) == 2  # the old deadlines were cancelled, new ones fire
    cancelled = Deadline.objects.filter(case=case, state=DeadlineState.CANCELLED)
    assert cancelled.filter(kind__startswith="milestone_").count() == 2


def test_production_down_marks_root_cause_fix_and_service_restored(world):
    """PD opened Tue 24 Nov 2026 14:00; restored 14:42 (outage 42 min); all info 15:00; root
    cause Fri 27 Nov 12:00 → fix due 7 × 24 h later, Fri 4 Dec 12:00; delivered Wed 2 Dec."""
    # R: C3, C9
    case = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    assert case.urgency == 0
    case = services.case_mark_service_restored(
        case=case, actor=world.engineer, note="Failover to the backup", now=at(2026, 11, 24, 14, 42)
    )
    event = case.events.get(kind=EventKind.SERVICE_RESTORED)
    assert event.data["outage_minutes"] == 42 and event.public
    with pytest.raises(PolicyViolation, match="already"):
        services.case_mark_service_restored(
            case=case, actor=world.engineer, note="", now=at(2026, 11, 24, 15)
        )
    assert "outage 42 min from first contact" in case_clock(case, at(2026, 11, 25)).outage
    services.case_mark_all_info_provided(case=case, actor=world.engineer, now=at(2026, 11, 24, 15))
    services.case_mark_root_cause(
        case=case, actor=world.engineer, summary="Disk full", now=at(2026, 11, 27, 12)
    )
    fix = Milestone.objects.get(case=case, kind="fix")
    assert fix.target_at == at(2026, 12, 4, 12)
    assert Case.objects.get(pk=case.pk).next_due_at == at(2026, 12, 4, 12)
    services.case_mark_fix_delivered(
        case=case, actor=world.engineer, note="Hot fix 9.2.1.4", now=at(2026, 12, 2, 9)
    )
    fix.refresh_from_db()
    assert fix.met_at == at(2026, 12, 2, 9)
    assert Case.objects.get(pk=case.pk).next_due_at is None


def test_marks_refused_where_they_do_not_apply(world):
    # R: C3 — no dated fix outside Production Down; no outage outside it; nothing on a closed case.
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    with pytest.raises(PolicyViolation, match="no running fix target"):
        services.case_mark_fix_delivered(
            case=case, actor=world.engineer, note="Patch", now=at(2026, 11, 25)
        )
    with pytest.raises(PolicyViolation, match="Production Down"):
        services.case_mark_service_restored(
            case=case, actor=world.engineer, note="", now=at(2026, 11, 25)
        )
    close(world, case, at(2026, 11, 26))
    with pytest.raises(PolicyViolation, match="closed"):
        services.case_mark_root_cause(
            case=case, actor=world.engineer, summary="Found it", now=at(2026, 11, 27)
        )


def test_lowering_production_down_makes_a_running_fix_target_not_applicable(world):
    # R: C3, C9 — High fixes ship in a service update: no dated fix target any more.
    case = world.open_case(
        world.alice, priority="critical", production_down=True, emergency_criterion="server_down"
    )
    services.case_mark_all_info_provided(case=case, actor=world.engineer, now=at(2026, 11, 24, 15))
    services.case_mark_root_cause(
        case=case, actor=world.engineer, summary="Disk full", now=at(2026, 11, 25, 12)
    )
    case = services.case_change_priority(
        case=Case.objects.get(pk=case.pk),
        actor=world.engineer,
        priority="high",
        reason="Backup server carries the load",
        now=at(2026, 11, 25, 13),
    )
    fix = Milestone.objects.get(case=case, kind="fix")
    assert fix.settlement == "not_applicable" and case.urgency == 2
    assert Case.objects.get(pk=case.pk).next_due_at is None


def test_console_page_records_root_cause_and_a_stale_form_gets_409(client, world, time_machine):
    # R: C3 — from the console case page, with the version the engineer read.
    time_machine.move_to(at(2026, 11, 25, 10), tick=False)
    case = services.case_mark_all_info_provided(
        case=world.alice_case, actor=world.engineer, now=at(2026, 11, 24, 14)
    )
    client.force_login(world.engineer)
    detail = reverse("console-case-detail", args=[case.number])
    page = client.get(detail).content.decode()
    assert "Root cause found" in page and "Service restored" not in page
    url = reverse("console-case-root-cause", args=[case.number])
    stale = client.post(url, {"summary": "Pacing bug", "version": 1})
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    empty = client.post(url, {"summary": " ", "version": case.version})
    assert empty.status_code == 400 and "Summarise the root cause" in empty.content.decode()
    ok = client.post(url, {"summary": "Pacing bug", "version": case.version})
    assert ok.status_code == 302
    page = client.get(detail).content.decode()
    assert 'pill pill--ok">met' in page and "Root cause found" not in page


def test_api_marks_with_version_and_milestones_in_the_case(world):
    # R: C3, C9 — the API records the marks and shows the milestones.
    from casedesk.accounts.services import api_token_create
    from tests.api.conftest import ApiClient

    with time_machine.travel(at(2026, 11, 24, 14), tick=False):
        case = world.open_case(
            world.alice,
            priority="critical",
            production_down=True,
            emergency_criterion="server_down",
        )
        api = ApiClient(api_token_create(user=world.engineer, name="t", now=world.now))
        base = f"/cases/{case.number}"
        assert api.post(f"{base}/service-restored", {"version": 1}).status_code == 200
        assert api.post(f"{base}/all-info").status_code == 200
        stale = api.post(f"{base}/root-cause", {"summary": "Disk full", "version": 1})
        assert stale.status_code == 409
        body = api.get(base).json()
        done = api.post(f"{base}/root-cause", {"summary": "Disk full", "version": body["version"]})
        assert done.status_code == 200, done.content
        body = done.json()
        assert body["service_restored_at"] is not None
        kinds = {m["kind"]: m for m in body["milestones"]}
        assert kinds["root_cause"]["met_at"] and kinds["fix"]["met_at"] is None
        contact = ApiClient(api_token_create(user=world.alice, name="t", now=world.now))
        refused = contact.post(f"{base}/fix-delivered", {"note": "x"})
        assert refused.status_code == 403
