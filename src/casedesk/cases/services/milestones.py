"""Support's milestone marks (C3, C4, C9): all information provided, root cause found, fix or
workaround delivered, and — Production Down — service restored (the end of the outage)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation
from casedesk.policy.calendars import format_duration
from casedesk.policy.sla import outage
from casedesk.sla.milestones import milestone_meet, milestone_start_root_cause, refresh_next_due

from ..models import Case, EventKind
from ._common import (
    _event,
    _lock,
    _reject_control_characters,
    _require_participant,
    _require_support,
    _touch,
)


def _open_case_for_support(
    case: Case, actor: User, expected_version: int | None, **texts: str
) -> Case:
    _require_participant(actor, case)
    _require_support(actor)
    _reject_control_characters(**texts)
    locked = _lock(case, expected_version)
    if locked.is_closed:
        raise PolicyViolation("The case is closed.")
    return locked


@transaction.atomic
def case_mark_all_info_provided(*, case: Case, actor: User, now: dt.datetime) -> Case:
    """C4: starts the root-cause clock; recorded once."""
    locked = _open_case_for_support(case, actor, None)
    if locked.all_info_at is not None:
        raise PolicyViolation(
            f"All necessary information was already marked provided at "
            f"{locked.all_info_at:%Y-%m-%d %H:%M} UTC."
        )
    locked.all_info_at = now
    milestone = milestone_start_root_cause(case=locked, now=now)
    _touch(locked, now, ["all_info_at", *refresh_next_due(locked)])
    _event(
        locked,
        kind=EventKind.ALL_INFO,
        actor=actor,
        now=now,
        data={"root_cause_due": milestone.target_at.isoformat(), "reason": milestone.reason},
    )
    return locked


@transaction.atomic
def case_mark_root_cause(
    *,
    case: Case,
    actor: User,
    summary: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Case:
    """C3: the root-cause milestone is met; Production Down starts its fix target."""
    if not summary.strip():
        raise PolicyViolation("Summarise the root cause.", field="summary")
    locked = _open_case_for_support(case, actor, expected_version, summary=summary)
    if locked.all_info_at is None:
        raise PolicyViolation("Mark all necessary information provided first (C4).")
    met = milestone_meet(case=locked, kind="root_cause", now=now)
    if met is None:
        raise PolicyViolation("The root cause was already recorded.")
    _touch(locked, now, refresh_next_due(locked))
    _event(
        locked,
        kind=EventKind.ROOT_CAUSE,
        actor=actor,
        now=now,
        body=summary.strip(),
        data={"on_time": now <= met.target_at},
    )
    return locked


@transaction.atomic
def case_mark_fix_delivered(
    *,
    case: Case,
    actor: User,
    note: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Case:
    """C3: the fix or workaround reached the customer; meets the dated fix target
    (Production Down; other priorities' fixes ship in a service update, with no target)."""
    if not note.strip():
        raise PolicyViolation("Say what was delivered.", field="note")
    locked = _open_case_for_support(case, actor, expected_version, note=note)
    met = milestone_meet(case=locked, kind="fix", now=now)
    if met is None:
        raise PolicyViolation(
            "This case has no running fix target: only a Production Down case has one, from "
            "its root cause on (C3); other fixes ship in a future service update.",
            field="note",
        )
    _touch(locked, now, refresh_next_due(locked))
    _event(
        locked,
        kind=EventKind.FIX_DELIVERED,
        actor=actor,
        now=now,
        body=note.strip(),
        data={"on_time": now <= met.target_at},
    )
    return locked


@transaction.atomic
def case_mark_service_restored(
    *,
    case: Case,
    actor: User,
    note: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Case:
    """C3: a Production Down outage ends; its length from first contact is recorded once."""
    locked = _open_case_for_support(case, actor, expected_version, note=note)
    if not locked.production_down:
        raise PolicyViolation("Service restored is recorded for Production Down cases (C3).")
    if locked.service_restored_at is not None:
        raise PolicyViolation(
            f"Service was already recorded restored at "
            f"{locked.service_restored_at:%Y-%m-%d %H:%M} UTC."
        )
    span = outage(locked.opened_at, now)
    locked.service_restored_at = now
    _touch(locked, now, ["service_restored_at"])
    _event(
        locked,
        kind=EventKind.SERVICE_RESTORED,
        actor=actor,
        now=now,
        body=note.strip(),
        data={"outage_minutes": round(span.total_seconds() / 60), "outage": format_duration(span)},
    )
    return locked
