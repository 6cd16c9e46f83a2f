"""The clock jumps by hours while deadlines are pending (issue 15 item 13; C5, rule 7).

Whether a deadline is due follows the application's one clock (``core.clock``, moved here
with time_machine); claims and their leases follow the database's. Moving the clock back
and forth never fires a deadline twice, early, or not at all.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.db.models.functions import Now

from casedesk.cases.models import CaseEvent, EventKind
from casedesk.core import clock
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.registry import HANDLERS
from casedesk.scheduling.services import deadline_schedule, deadlines_claim, worker_tick

pytestmark = pytest.mark.django_db

HOURS = 6


@pytest.fixture
def fired():
    """A deadline kind whose effect is one timeline note naming it."""

    def run(deadline, now):
        CaseEvent.objects.create(
            case_id=deadline.case_id, at=now, kind=EventKind.NOTE, body=deadline.key, public=False
        )
        return "noted"

    HANDLERS["test_note"] = run
    yield lambda: sorted(
        CaseEvent.objects.filter(kind=EventKind.NOTE).values_list("body", flat=True)
    )
    del HANDLERS["test_note"]


def _schedule(world, start: dt.datetime) -> list[str]:
    keys = [f"note:{hour}" for hour in range(1, HOURS + 1)]
    for hour, key in enumerate(keys, start=1):
        deadline_schedule(
            kind="test_note",
            key=key,
            due_at=start + dt.timedelta(hours=hour),
            now=start,
            case_id=world.alice_case.pk,
        )
    return keys


def test_moving_the_clock_back_and_forth_fires_each_deadline_once(world, fired):
    start = world.now
    keys = _schedule(world, start)
    # (hours from start, what must have fired by then): back and forth by hours.
    steps = [(2.5, 2), (-3, 2), (5.5, 5), (1, 5), (-12, 5), (10, 6), (3, 6)]
    for hours, count in steps:
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            worker_tick(worker="w", now=clock.now())
            worker_tick(worker="w", now=clock.now())  # a second tick at the same moment
        assert fired() == sorted(keys[:count]), hours
    assert not Deadline.objects.filter(kind="test_note").exclude(state=DeadlineState.DONE)


def test_a_dead_workers_claim_lapses_even_when_the_clock_went_back(world, fired, settings):
    # A worker claims the due deadlines and dies; the clock then goes back two hours (NTP
    # step, a VM restored). The lease lapses by the database's clock all the same, and the
    # next worker runs them; before, the claim held for the two hours plus the lease.
    settings.DEADLINE_LEASE_SECONDS = 1
    start = world.now
    keys = _schedule(world, start - dt.timedelta(hours=HOURS + 3))  # all due 3 h ago or more
    with time_machine.travel(start, tick=False):
        assert len(deadlines_claim(worker="dead", now=clock.now())) == HOURS
    live = Deadline.objects.filter(kind="test_note", claimed_until__gte=Now())
    patience = time.monotonic() + 60
    while live.exists():  # a real second passes on the database's clock
        assert time.monotonic() < patience, "the lease never lapsed"
        time.sleep(0.05)
    with time_machine.travel(start - dt.timedelta(hours=2), tick=False):
        assert worker_tick(worker="w", now=clock.now()) == HOURS
    assert fired() == sorted(keys)
