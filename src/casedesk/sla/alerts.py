"""A case nobody took goes to its region's queue owner (B, C2, C3).

Opening schedules one deadline per case (``policy.alerts.unassigned_alert_due``: 10
elapsed minutes for a Critical case, 30 business minutes otherwise, both policy data);
taking the case or closing it cancels it, and the handler re-checks both under the
case's row lock before alerting anyone.
"""

from __future__ import annotations

import datetime as dt

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.notifications.services import notify_case_event
from casedesk.policy.alerts import unassigned_alert_due
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_ensure, deadlines_cancel

from .selectors import UNASSIGNED_KIND, calendar_for, policy


def unassigned_alert_schedule(*, case: Case, now: dt.datetime) -> None:
    """One INSERT on the opening path; the key makes a second call a no-op."""
    due, why = unassigned_alert_due(
        case.priority,
        case.opened_at,
        calendar_for(case.policy_version, case.region),
        policy(case.policy_version).alerts,
    )
    deadline_ensure(
        kind=UNASSIGNED_KIND,
        key=f"{UNASSIGNED_KIND}:{case.pk}",
        due_at=due,
        now=now,
        case_id=case.pk,
        payload={"reason": why},
    )


def unassigned_alert_cancel(*, case: Case, now: dt.datetime) -> None:
    deadlines_cancel(case_id=case.pk, kinds=[UNASSIGNED_KIND], now=now, why="case assigned")


@handles(UNASSIGNED_KIND)
def run_unassigned(deadline: object, now: dt.datetime) -> str:
    case = getattr(deadline, "locked_case", None) or (
        Case.objects.select_for_update().get(pk=deadline.case_id)  # type: ignore[attr-defined]
    )
    if case.is_closed:
        return "skipped: case closed"
    if case.assignee_id is not None:
        return "skipped: case assigned"
    reason = deadline.payload.get("reason", "")  # type: ignore[attr-defined]
    event = CaseEvent.objects.create(
        case=case,
        at=now,
        actor=None,
        kind=EventKind.UNASSIGNED,
        public=False,
        body=f"Still unassigned {case.opened_at:%a %d %b %H:%M} UTC → now: {reason}.",
        data={"reason": reason},
    )
    notify_case_event(event=event, now=now)
    return "queue owner alerted"
