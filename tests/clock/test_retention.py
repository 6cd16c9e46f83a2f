"""Retention (C7, D4) and the re-open window (B7) on the real worker."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from casedesk.cases import services
from casedesk.cases.models import EventKind
from casedesk.core.errors import PolicyViolation
from casedesk.files.models import Attachment
from casedesk.files.services import attachment_store
from casedesk.files.storage import get_storage
from casedesk.scheduling.models import Deadline, DeadlineState
from casedesk.scheduling.services import worker_tick
from casedesk.sla.retention import PURGE

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def attach(world, case, now):
    return attachment_store(
        case=case,
        actor=world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"x" * 1000),
        source="browser",
        now=now,
    )


def close(world, case, now):
    return services.case_transition(
        case=case,
        actor=world.engineer,
        action="close",
        to="resolved",
        reason="Fixed by 9.2.2",
        close_reason="solution_accepted",
        now=now,
    )


def test_close_schedules_purge_at_30_days_and_reopen_cancels_it(world):
    """Closed Wed 25 Nov 2026 10:00 → purge due Fri 25 Dec 10:00 (30 calendar days, C7)."""
    # R: C7, D4, B7
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    case = close(world, world.alice_case, closed_at)
    purge = Deadline.objects.get(case=case, kind=PURGE)
    assert purge.due_at == dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    from casedesk.sla.selectors import case_clock

    timers = [t.text for t in case_clock(case, closed_at).timers]
    assert timers == [
        "Attachments are removed Fri 25 Dec 10:00 London time (30 days after closure)"
    ]
    services.case_reopen(
        case=case, actor=world.engineer, information="Crash is back", now=closed_at.replace(day=28)
    )
    purge.refresh_from_db()
    assert purge.state == DeadlineState.CANCELLED
    assert worker_tick(worker="t", now=dt.datetime(2027, 1, 5, tzinfo=UTC)) == 0


def test_worker_purges_bytes_and_reopen_asks_for_the_files_again(world, client, time_machine):
    """Attached Tue 24 Nov, closed Wed 25 Nov 10:00, purged Fri 25 Dec 10:00 by the worker
    (not a minute earlier). On Mon 28 Dec the 30-day re-open window (ended 25 Dec 10:00) is
    over, for support too: a new linked case is the way (B7)."""
    # R: C7, D4, B7
    case = world.alice_case
    att = attach(world, case, world.now)
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    close(world, case, closed_at)
    assert worker_tick(worker="t", now=dt.datetime(2026, 12, 25, 9, 59, tzinfo=UTC)) == 0
    assert get_storage().size(att.storage_key) == 1000
    assert worker_tick(worker="t", now=dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC)) == 1
    att.refresh_from_db()
    assert att.purged_at == dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert not get_storage().local_path(att.storage_key).exists()  # the bytes are gone
    purged = case.events.get(kind=EventKind.FILES_PURGED)
    assert purged.public and "30 days" in purged.body
    with pytest.raises(PolicyViolation, match="more than 30 days"):
        services.case_reopen(
            case=case,
            actor=world.engineer,
            information="Back again",
            now=dt.datetime(2026, 12, 28, 9, 0, tzinfo=UTC),
        )


def test_reopen_after_a_shorter_retention_asks_for_files(world, client, time_machine):
    """With retention at 30 days and re-open at 30 days, a purge and a re-open can only meet
    at the window's last instant: closed Wed 25 Nov 10:00, purged Fri 25 Dec 10:00, support
    re-opens at that same minute (still inside the window) → the timeline and the portal ask
    for the files again."""
    # R: C7, B7
    case = world.alice_case
    attach(world, case, world.now)
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    close(world, case, closed_at)
    at = dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert worker_tick(worker="t", now=at) == 1
    services.case_reopen(case=case, actor=world.engineer, information="Crash is back", now=at)
    notice = case.events.filter(kind=EventKind.FILES_PURGED).last()
    assert notice.data["reupload"] and "upload them again" in notice.body
    time_machine.move_to(at, tick=False)
    client.force_login(world.alice)
    page = client.get(reverse("portal-case-detail", args=[case.number])).content.decode()
    assert "Please upload your files again" in page
    assert Attachment.objects.filter(case=case, purged_at__isnull=False).count() == 1


def test_purge_skips_a_case_closed_again_since(world):
    # R: C7 — a stale purge of an earlier closure never removes files of the later one.
    case = world.alice_case
    attach(world, case, world.now)
    first = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    close(world, case, first)
    services.case_reopen(case=case, actor=world.engineer, information="again", now=first)
    # Simulate the race: the cancelled purge row is made pending again, as if a worker had
    # claimed it before the re-open cancelled it.
    Deadline.objects.filter(kind=PURGE).update(state=DeadlineState.PENDING)
    second = dt.datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    close(world, case, second)
    assert worker_tick(worker="t", now=dt.datetime(2026, 12, 26, tzinfo=UTC)) == 1
    done = Deadline.objects.get(key__contains=first.isoformat())
    assert done.outcome.startswith("skipped")
    assert not Attachment.objects.filter(purged_at__isnull=False).exists()


@pytest.fixture
def fresh_policy_cache():
    """Versions are cached by number; numbers repeat across rolled-back tests."""
    from casedesk.sla.selectors import _parsed

    _parsed.cache_clear()
    yield
    _parsed.cache_clear()


def test_reopen_window_comes_from_the_case_policy(world, fresh_policy_cache):
    # R: B7 — the window is policy data: a 10-day policy refuses on day 11.
    from casedesk.policy.defaults import DEFAULT_POLICY
    from casedesk.sla.services import policy_version_save

    data = DEFAULT_POLICY.to_dict() | {"reopen_window_days": 10}
    version = policy_version_save(data=data, note="short window", actor=None, now=world.now)
    case = world.open_case(world.alice, priority="medium")
    assert case.policy_version == version.number
    closed_at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    close(world, case, closed_at)
    with pytest.raises(PolicyViolation, match="more than 10 days"):
        services.case_reopen(
            case=case,
            actor=world.alice,
            information="Still broken",
            now=closed_at + dt.timedelta(days=11),
        )


def test_backfill_schedules_purges_for_cases_closed_before(world):
    # R: C7, D4 — closed cases with files and no purge deadline get one (once).
    from django.core.management import call_command

    case = world.alice_case
    attach(world, case, world.now)
    close(world, case, dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    Deadline.objects.filter(kind=PURGE).delete()  # as if closed before retention existed
    out = io.StringIO()
    call_command("retention_schedule", stdout=out)
    assert "scheduled 1 purge" in out.getvalue()
    assert Deadline.objects.get(kind=PURGE).due_at == dt.datetime(2026, 12, 25, 10, tzinfo=UTC)
    call_command("retention_schedule", stdout=out)
    assert Deadline.objects.filter(kind=PURGE).count() == 1
