"""The backlog of past days rebuilt from the case log (I1): exactly what the nightly
snapshot recorded when it ran, cell by cell — for a desk whose cases predate its first
snapshot (the demo)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases import services
from casedesk.cases.models import ACTIVE_Q, Case
from casedesk.reports import history
from casedesk.reports.models import BacklogSnapshot, BacklogTotal
from casedesk.reports.services import backlog_history_fill, backlog_snapshot_take, snapshot_due
from tests.factories import draft, quiet

from .conftest import at

pytestmark = pytest.mark.django_db
FIRST, LAST = dt.date(2026, 11, 24), dt.date(2026, 12, 4)


def recorded() -> tuple[list, list]:
    cells = sorted(  # no assignee sorts first
        (
            (*r[:5], r[5] or 0, *r[6:])
            for r in BacklogSnapshot.objects.values_list(
                "day",
                "region",
                "priority",
                "status_group",
                "age_band",
                "assignee",
                "organisation",
                "count",
            )
        ),
    )
    totals = sorted(
        BacklogTotal.objects.values_list(
            "day", "region", "priority", "status_group", "age_band", "count"
        )
    )
    return cells, totals


def life_of_a_desk(world):  # type: ignore[no-untyped-def]
    """Actions through the services, interleaved with the nightly snapshot at 00:05."""
    w = world
    acts = {
        dt.date(2026, 11, 25): lambda now: services.case_assign(
            case=w.alice_case, actor=w.manager, assignee=w.engineer, now=now
        ),
        dt.date(2026, 11, 26): lambda now: services.case_transition(
            case=w.alice_case,
            actor=w.engineer,
            action="request_info",
            to="info_required",
            reason="Logs, please.",
            now=now,
        ),
        dt.date(2026, 11, 27): lambda now: quiet(
            services.case_open(contact=w.carol, draft=draft(w.acme_contract, w.catalogue), now=now)
        ),
        dt.date(2026, 11, 28): lambda now: services.case_change_priority(
            case=w.gina_case,
            actor=w.engineer,
            priority="critical",
            production_down=True,
            emergency_criterion="server_down",
            reason="All agents down",
            now=now,
        ),
        dt.date(2026, 11, 30): lambda now: services.case_transition(
            case=w.carol_case,
            actor=w.engineer,
            action="close",
            to="cancelled",
            reason="Duplicate",
            close_reason="customer_request",
            now=now,
        ),
        dt.date(2026, 12, 2): lambda now: services.case_reopen(
            case=Case.objects.get(pk=w.carol_case.pk),
            actor=w.engineer,
            information="It was not a duplicate after all.",
            now=now,
        ),
        dt.date(2026, 12, 3): lambda now: services.case_assign(
            case=Case.objects.get(pk=w.alice_case.pk), actor=w.manager, assignee=None, now=now
        ),
        dt.date(2026, 12, 4): lambda now: services.case_assign(
            case=Case.objects.get(pk=w.alice_case.pk), actor=w.manager, assignee=w.manager, now=now
        ),
    }
    day = FIRST
    while day <= LAST:
        if day in acts:
            acts[day](dt.datetime.combine(day, dt.time(10, 30), tzinfo=dt.UTC))
        backlog_snapshot_take(day=day, at=snapshot_due(day))  # what the worker does
        day += dt.timedelta(days=1)


def test_the_rebuilt_days_are_what_the_nightly_snapshot_recorded(world):
    # R: I1 — assignment, status group, priority, closing and re-opening all replayed.
    life_of_a_desk(world)
    nightly = recorded()
    assert len({row[0] for row in nightly[1]}) == 11
    assert {row[-1] for row in nightly[1]} != {1}  # the desk did change over the days
    BacklogSnapshot.objects.all().delete()
    BacklogTotal.objects.all().delete()
    assert backlog_history_fill(start=FIRST, end=LAST, now=snapshot_due(LAST)) == 11
    assert recorded() == nightly


def test_recorded_days_stay_and_days_still_to_come_are_left_to_the_worker(world):
    # R: I1 — history is kept as it was: a day already recorded is not rewritten.
    life_of_a_desk(world)
    nightly = recorded()
    BacklogSnapshot.objects.filter(day__gte=dt.date(2026, 12, 1)).delete()
    BacklogTotal.objects.filter(day__gte=dt.date(2026, 12, 1)).delete()
    BacklogTotal.objects.filter(day=FIRST).update(count=99)  # "as it was then"
    before_run = snapshot_due(LAST) - dt.timedelta(minutes=1)  # Dec 4's run not yet due
    assert backlog_history_fill(start=FIRST, end=LAST, now=before_run) == 3
    cells, totals = recorded()
    assert {row[0] for row in totals} == {FIRST + dt.timedelta(days=n) for n in range(10)}
    assert {r[-1] for r in totals if r[0] == FIRST} == {99}
    assert cells == [row for row in nightly[0] if row[0] != LAST]
    assert backlog_history_fill(start=FIRST, end=LAST, now=before_run) == 0


def test_the_replay_counts_the_same_active_statuses_as_the_queue():
    assert frozenset(dict(ACTIVE_Q.children)["status__in"]) == history.ACTIVE


def test_a_case_opened_after_the_day_is_not_in_it():
    opened = at(2026, 11, 25, 0, 6)  # a minute after the Nov 24 run
    case = {
        "id": 1,
        "opened_at": opened,
        "region": "emea",
        "organisation_id": 7,
        "status": "open",
        "sub_status": "new",
        "priority": "low",
        "production_down": False,
        "assignee_id": None,
    }
    days = {d: snapshot_due(d) for d in (dt.date(2026, 11, 24), dt.date(2026, 11, 25))}
    cells = history.replay_cells([case], {}, days)
    assert sum(cells[dt.date(2026, 11, 24)].values()) == 0
    assert cells[dt.date(2026, 11, 25)] == {("emea", "low", "support", "0-1", None, 7): 1}
