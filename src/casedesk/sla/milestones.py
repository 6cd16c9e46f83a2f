"""SLA milestones (C3, C4): set targets, warn before a breach, record the breach.

The warning fires when three quarters of the business time to the target has passed;
the breach fires at the target. Both are deadlines, so they survive restarts and run
once; both re-check the milestone before acting.
"""

from __future__ import annotations

import datetime as dt

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.notifications.services import notify_case_event
from casedesk.policy.calendars import describe_due
from casedesk.policy.sla import fix_due, root_cause_due
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_schedule, deadlines_cancel

from .models import Milestone, MilestoneKind
from .selectors import calendar_for, policy

WARN = "milestone_warning"
BREACH = "milestone_breach"
WARN_AT_FRACTION = 0.75


def _schedule(milestone: Milestone, now: dt.datetime) -> None:
    calendar = calendar_for(milestone.case.policy_version, milestone.case.region)
    span = calendar.business_time_between(milestone.started_at, milestone.target_at)
    warn_at = calendar.add_business_hours(milestone.started_at, span * WARN_AT_FRACTION)
    base = f"{milestone.case_id}:{milestone.kind}:{milestone.target_at.isoformat()}"
    for kind, due in ((WARN, warn_at), (BREACH, milestone.target_at)):
        deadline_schedule(
            kind=kind,
            key=f"{kind}:{base}",
            due_at=due,
            now=now,
            case_id=milestone.case_id,
            payload={"milestone": milestone.pk, "target_at": milestone.target_at.isoformat()},
        )


def milestone_start_root_cause(*, case: Case, now: dt.datetime) -> Milestone:
    """C4: the root-cause clock starts at "all necessary information provided"."""
    due = root_cause_due(
        case.priority,
        case.production_down,
        now,
        calendar_for(case.policy_version, case.region),
        policy(case.policy_version),
    )
    milestone, _ = Milestone.objects.update_or_create(
        case=case,
        kind=MilestoneKind.ROOT_CAUSE,
        defaults={
            "started_at": now,
            "target_at": due.due_at,
            "reason": due.reason,
            "met_at": None,
            "breached_at": None,
            "warned_at": None,
        },
    )
    milestone.case = case
    _schedule(milestone, now)
    return milestone


def milestone_meet(*, case: Case, kind: str, now: dt.datetime) -> Milestone | None:
    """Record a milestone as met; for Production Down, the root cause starts the fix target."""
    milestone = Milestone.objects.filter(case=case, kind=kind, met_at__isnull=True).first()
    if milestone is None:
        return None
    milestone.met_at = now
    milestone.save(update_fields=["met_at"])
    deadlines_cancel(case_id=case.pk, kinds=[WARN, BREACH], now=now, why=f"{kind} met")
    if kind == MilestoneKind.ROOT_CAUSE:
        fix = fix_due(
            case.priority,
            case.production_down,
            now,
            calendar_for(case.policy_version, case.region),
            policy(case.policy_version),
        )
        if fix.due_at is not None:
            follow = Milestone.objects.create(
                case=case,
                kind=MilestoneKind.FIX,
                started_at=now,
                target_at=fix.due_at,
                reason=fix.reason,
            )
            follow.case = case
            _schedule(follow, now)
    return milestone


def describe(milestone: Milestone, now: dt.datetime) -> str:
    """ "due in 3 business days, Thu 26 Nov 14:00 São Paulo time" (C3), or met/breached."""
    if milestone.met_at:
        late = " (after the target)" if milestone.met_at > milestone.target_at else ""
        return f"met {milestone.met_at:%a %d %b %H:%M} UTC{late}"
    calendar = calendar_for(milestone.case.policy_version, milestone.case.region)
    return describe_due(milestone.target_at, now, calendar)


def _pending_milestone(payload: dict[str, str]) -> Milestone | None:
    milestone = Milestone.objects.select_related("case").filter(pk=payload["milestone"]).first()
    if milestone is None or milestone.met_at is not None:
        return None
    if milestone.target_at.isoformat() != payload["target_at"]:
        return None  # re-targeted since this deadline was set
    return milestone


def _notice(milestone: Milestone, now: dt.datetime, text: str, data: dict[str, object]) -> None:
    event = CaseEvent.objects.create(
        case=milestone.case,
        at=now,
        actor=None,
        kind=EventKind.MILESTONE,
        public=False,
        body=text,
        data=data,
    )
    notify_case_event(event=event, now=now)  # C3: engineer and managers are mailed


@handles(WARN)
def run_warning(deadline: object, now: dt.datetime) -> str:
    milestone = _pending_milestone(deadline.payload)  # type: ignore[attr-defined]
    if milestone is None:
        return "skipped: milestone met or re-targeted"
    milestone.warned_at = now
    milestone.save(update_fields=["warned_at"])
    _notice(
        milestone,
        now,
        f"{milestone.get_kind_display()} target approaching: {describe(milestone, now)}.",
        {"milestone": milestone.kind, "warning": True},
    )
    return f"warning for {milestone.kind}"


@handles(BREACH)
def run_breach(deadline: object, now: dt.datetime) -> str:
    milestone = _pending_milestone(deadline.payload)  # type: ignore[attr-defined]
    if milestone is None:
        return "skipped: milestone met or re-targeted"
    milestone.breached_at = now
    milestone.save(update_fields=["breached_at"])
    _notice(
        milestone,
        now,
        f"{milestone.get_kind_display()} target breached "
        f"(was due {milestone.target_at:%a %d %b %H:%M} UTC). The assigned engineer and the "
        "support manager are notified.",
        {"milestone": milestone.kind, "breach": True},
    )
    return f"breach of {milestone.kind}"
