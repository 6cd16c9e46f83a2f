"""The clock's reactions to case changes: automated follow-up (C5) timers.

Called by ``cases.services`` inside the transaction that changes the case, so a
timer is started or stopped exactly when the change commits.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from casedesk.policy.followup import next_followup
from casedesk.policy.transitions import WAITING_ON_CUSTOMER, Action, Status
from casedesk.scheduling.services import deadline_ensure, deadlines_cancel

from .models import PolicyVersion
from .selectors import calendar_for, policy

if TYPE_CHECKING:
    from casedesk.cases.models import Case

FOLLOWUP = "followup"
STARTS_TIMER = frozenset({Action.REQUEST_INFO, Action.PROPOSE_SOLUTION})


def followup_schedule_step(
    *, case: Case, started_at: dt.datetime, step: int, now: dt.datetime
) -> str | None:
    """Schedule rung ``step`` (1-based) of the ladder; None when there is no such rung."""
    chosen = policy(case.policy_version)
    rung = next_followup(
        started_at,
        step - 1,
        calendar_for(case.policy_version, case.region),
        chosen,
        case.priority,
        case.production_down,
    )
    if rung is None:
        return None
    deadline_ensure(
        kind=FOLLOWUP,
        key=f"followup:{case.pk}:{started_at.isoformat()}:{rung.step}",
        due_at=rung.due_at,
        now=now,
        case_id=case.pk,
        payload={
            "started_at": started_at.isoformat(),
            "step": rung.step,
            "action": rung.action,
            "reason": rung.reason,
        },
    )
    return rung.reason


def followups_on_transition(*, case: Case, action: Action, now: dt.datetime) -> list[str]:
    """Start the timer on a request to the customer; stop it on anything that ends the wait.

    Returns the fields of ``case`` it changed (the caller saves them).
    """
    deadlines_cancel(case_id=case.pk, kinds=[FOLLOWUP], now=now, why=f"case {action.value}")
    waiting = Status(case.status) in WAITING_ON_CUSTOMER
    if action in STARTS_TIMER and waiting and not case.production_down:
        case.waiting_since = now
        followup_schedule_step(case=case, started_at=now, step=1, now=now)
        return ["waiting_since"]
    if not waiting and case.waiting_since is not None:
        case.waiting_since = None
        return ["waiting_since"]
    return []


def followups_on_priority(*, case: Case, now: dt.datetime) -> None:
    """Production Down cases are never followed up (B3, C5)."""
    if case.production_down:
        deadlines_cancel(
            case_id=case.pk,
            kinds=[FOLLOWUP],
            now=now,
            why="Production Down: no automated follow-up",
        )


def policy_version_save(
    *, data: dict[str, object], note: str, actor: object, now: dt.datetime
) -> PolicyVersion:
    """Save an edited policy as the next version (C1-C8 are data, not code)."""
    from django.db import transaction

    from casedesk.policy.defaults import SupportPolicy

    parsed = SupportPolicy.from_dict(data)  # raises ValueError/KeyError on bad input
    with transaction.atomic():
        last = PolicyVersion.objects.select_for_update().order_by("-number").first()
        return PolicyVersion.objects.create(
            number=(last.number if last else 0) + 1,
            data=parsed.to_dict(),
            note=note[:200],
            created_at=now,
            created_by=actor,
        )
