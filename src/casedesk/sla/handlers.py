"""Deadline handlers for the SLA clock. Each re-checks the case before acting."""

from __future__ import annotations

import datetime as dt

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.cases.services import case_close_after_followups
from casedesk.notifications.services import notify_case_event, notify_case_events
from casedesk.policy.transitions import WAITING_ON_CUSTOMER, Status
from casedesk.scheduling.models import Deadline
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deferred_create

from .selectors import policy
from .services import FOLLOWUP, followup_schedule_step

FINAL_NOTICE = (
    "We have not heard from you since our request, so this case is now closed. If the problem "
    "persists, call support within {days} days to re-open it, or open a new case."
)


def _notify_reminders(events: list[CaseEvent]) -> None:
    """Queue the reminders' mails together; each event's ``at`` is its batch's ``now``."""
    notify_case_events(events=events, now=events[0].at)


@handles(FOLLOWUP)
def run_followup(deadline: Deadline, now: dt.datetime) -> str:
    """Reminder #1/#2, then close with the final notice (C5, B6)."""
    case = getattr(deadline, "locked_case", None) or (
        Case.objects.select_for_update().get(pk=deadline.case_id)
    )
    payload = deadline.payload
    if Status(case.status) not in WAITING_ON_CUSTOMER:
        return f"skipped: case is {case.status}"
    if case.production_down:
        return "skipped: Production Down cases are not followed up"
    if case.waiting_since is None or case.waiting_since.isoformat() != payload["started_at"]:
        return "skipped: a newer request restarted the timer"
    step = int(payload["step"])
    if payload["action"] == "close":
        notice = FINAL_NOTICE.format(days=policy(case.policy_version).reopen_window_days)
        closed = case_close_after_followups(case=case, now=now, notice=notice)
        event = CaseEvent.objects.create(
            case=closed,  # the closed row: the final notice carries its survey link
            at=now,
            actor=None,
            kind=EventKind.FOLLOW_UP,
            body=notice,
            data={"step": step, "final": True},
        )
        notify_case_event(event=event, now=now)  # E1: final notice (#3) with survey link
        return f"follow-up #{step}: case closed, final notice sent"
    body = (
        f"Reminder #{step}: we are waiting for your response to our last message. Reply to "
        "this case to continue; without a response the case will close automatically."
    )
    # One INSERT for the whole worker batch (see deferred_create): the reminders are most
    # of what a busy tick writes. The mails are queued once the event has its id, still
    # inside the batch's transaction, all of the batch's with one more INSERT.
    deferred_create(
        CaseEvent(
            case=case,
            at=now,
            actor=None,
            kind=EventKind.FOLLOW_UP,
            body=body,
            data={"step": step, "reason": payload.get("reason", "")},
        ),
        then_all=_notify_reminders,  # E1: follow-up #1/#2
    )
    started = dt.datetime.fromisoformat(payload["started_at"])
    followup_schedule_step(case=case, started_at=started, step=step + 1, now=now)
    return f"follow-up #{step}: reminder sent"
