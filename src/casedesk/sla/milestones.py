"""SLA milestones (C3, C4, C9): set targets, warn before a breach, record the breach, and
end with the case.

The warning fires when three quarters of the business time to the target has passed;
the breach fires at the target. Both are deadlines, so they survive restarts and run
once; both re-check the milestone and the case before acting, so nothing warns or
breaches after closure even if a cancellation raced a worker.

C9: closing settles every running milestone (met, missed or not applicable, see
``policy.sla.settle``) and cancels its deadlines; re-opening resumes those the closure
settled, with the same start and target (docs/adr/0007). A priority change moves a
running root-cause target to the new priority's, counted from the same start.
"""

from __future__ import annotations

import datetime as dt

from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.notifications.services import notify_case_event
from casedesk.policy.calendars import describe_due
from casedesk.policy.sla import Settlement, fix_due, root_cause_due, settle
from casedesk.scheduling.registry import handles
from casedesk.scheduling.services import deadline_schedule, deadlines_cancel

from .models import Milestone, MilestoneKind
from .selectors import UNASSIGNED_KIND, calendar_for, policy

WARN = "milestone_warning"
BREACH = "milestone_breach"
WARN_AT_FRACTION = 0.75


def _schedule(milestone: Milestone, now: dt.datetime) -> None:
    """Warning and breach deadlines; each only while still ahead and not yet announced.

    The key carries the scheduling instant, so a milestone resumed after a re-open gets
    fresh rows rather than finding the cancelled ones of its first run.
    """
    calendar = calendar_for(milestone.case.policy_version, milestone.case.region)
    span = calendar.business_time_between(milestone.started_at, milestone.target_at)
    warn_at = calendar.add_business_hours(milestone.started_at, span * WARN_AT_FRACTION)
    base = (
        f"{milestone.case_id}:{milestone.kind}:{milestone.target_at.isoformat()}:{now.isoformat()}"
    )
    plan = []
    if milestone.warned_at is None and warn_at > now:
        plan.append((WARN, warn_at))
    if milestone.breached_at is None:
        plan.append((BREACH, milestone.target_at))
    for kind, due in plan:
        deadline_schedule(
            kind=kind,
            key=f"{kind}:{base}",
            due_at=due,
            now=now,
            case_id=milestone.case_id,
            payload={"milestone": milestone.pk, "target_at": milestone.target_at.isoformat()},
        )


def refresh_next_due(case: Case) -> list[str]:
    """Keep ``case.next_due_at`` (the queue's sort key) at the earliest running target;
    returns the field to save."""
    case.next_due_at = (
        Milestone.objects.filter(case=case, met_at__isnull=True, settled_at__isnull=True)
        .order_by("target_at")
        .values_list("target_at", flat=True)
        .first()
    )
    return ["next_due_at"]


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
            "settled_at": None,
            "settlement": "",
        },
    )
    milestone.case = case
    _schedule(milestone, now)
    return milestone


def milestone_meet(*, case: Case, kind: str, now: dt.datetime) -> Milestone | None:
    """Record a milestone as met; for Production Down, the root cause starts the fix target."""
    milestone = Milestone.objects.filter(
        case=case, kind=kind, met_at__isnull=True, settled_at__isnull=True
    ).first()
    if milestone is None:
        return None
    milestone.met_at = now
    milestone.save(update_fields=["met_at"])
    deadlines_cancel(case_id=case.pk, kinds=[WARN, BREACH], now=now, why=f"{kind} met")
    if kind == MilestoneKind.ROOT_CAUSE:
        _start_fix(case, now, now)
    return milestone


def _start_fix(case: Case, root_cause_at: dt.datetime, now: dt.datetime) -> Milestone | None:
    """Production Down: the fix or workaround is due 7 × 24 h after the root cause (C3, C9)."""
    fix = fix_due(
        case.priority,
        case.production_down,
        root_cause_at,
        calendar_for(case.policy_version, case.region),
        policy(case.policy_version),
    )
    if fix.due_at is None:
        return None
    follow, _ = Milestone.objects.update_or_create(
        case=case,
        kind=MilestoneKind.FIX,
        defaults={
            "started_at": root_cause_at,
            "target_at": fix.due_at,
            "reason": fix.reason,
            "met_at": None,
            "breached_at": None,
            "warned_at": None,
            "settled_at": None,
            "settlement": "",
        },
    )
    follow.case = case
    _schedule(follow, now)
    return follow


def _running(case: Case) -> list[Milestone]:
    found = list(Milestone.objects.filter(case=case, met_at__isnull=True, settled_at__isnull=True))
    for m in found:
        m.case = case
    return found


def milestones_on_close(*, case: Case, now: dt.datetime) -> dict[str, str]:
    """C9: settle every running milestone and cancel its deadlines; kind → settlement."""
    settled = {}
    for m in _running(case):
        m.settlement = settle(met_at=None, target_at=m.target_at, closed_at=now).value
        m.settled_at = now
        m.save(update_fields=["settlement", "settled_at"])
        settled[m.kind] = m.settlement
    deadlines_cancel(
        case_id=case.pk, kinds=[WARN, BREACH, UNASSIGNED_KIND], now=now, why="case closed"
    )
    case.next_due_at = None
    return settled


def milestones_on_reopen(*, case: Case, now: dt.datetime) -> list[str]:
    """ADR 0008: the milestones the closure settled run again with their own start and
    target (C4 counts from all information, and the time closed is not paused); a met one
    stays met. A target passed meanwhile breaches at the next worker tick."""
    resumed = Milestone.objects.filter(case=case, met_at__isnull=True, settled_at__isnull=False)
    for m in resumed:
        m.case = case
        m.settled_at, m.settlement = None, ""
        m.save(update_fields=["settled_at", "settlement"])
        _schedule(m, now)
    return refresh_next_due(case)


def milestones_on_priority(*, case: Case, now: dt.datetime) -> list[str]:
    """C9: a running root-cause target moves to the new priority's row, counted from the
    same start; a breach the new target undoes is cleared. The Production Down fix target
    follows the flag: lowered, a running one is not applicable; raised after the root
    cause, it starts from the root cause."""
    chosen = policy(case.policy_version)
    calendar = calendar_for(case.policy_version, case.region)
    milestones = {m.kind: m for m in Milestone.objects.filter(case=case)}
    for m in milestones.values():
        m.case = case
    root = milestones.get(MilestoneKind.ROOT_CAUSE)
    if root is not None and root.running:
        due = root_cause_due(case.priority, case.production_down, root.started_at, calendar, chosen)
        if due.due_at != root.target_at:
            deadlines_cancel(case_id=case.pk, kinds=[WARN, BREACH], now=now, why="re-targeted")
            root.target_at, root.reason = due.due_at, due.reason
            if due.due_at > now:
                root.breached_at = None
                root.warned_at = None
            root.save(update_fields=["target_at", "reason", "breached_at", "warned_at"])
            _schedule(root, now)
    fix = milestones.get(MilestoneKind.FIX)
    has_fix_target = fix_due(case.priority, case.production_down, now, calendar, chosen).due_at
    if fix is not None and fix.running and has_fix_target is None:
        fix.settled_at, fix.settlement = now, Settlement.NOT_APPLICABLE.value
        fix.save(update_fields=["settled_at", "settlement"])
    elif has_fix_target is not None and root is not None and root.met_at and fix is None:
        _start_fix(case, root.met_at, now)
    return refresh_next_due(case)


def describe(milestone: Milestone, now: dt.datetime) -> str:
    """ "due in 3 business days, Thu 26 Nov 14:00 São Paulo time" (C3), or met/breached."""
    if milestone.met_at:
        late = " (after the target)" if milestone.met_at > milestone.target_at else ""
        return f"met {milestone.met_at:%a %d %b %H:%M} UTC{late}"
    if milestone.settled_at:
        closed = f"{milestone.settled_at:%a %d %b %H:%M} UTC"
        return f"{milestone.get_settlement_display()}: the case closed {closed}"
    calendar = calendar_for(milestone.case.policy_version, milestone.case.region)
    return describe_due(milestone.target_at, now, calendar)


def _pending_milestone(payload: dict[str, str]) -> Milestone | None:
    milestone = Milestone.objects.select_related("case").filter(pk=payload["milestone"]).first()
    if milestone is None or not milestone.running or milestone.case.is_closed:
        return None  # met, settled by closure, or the case is closed (C9)
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
        return "skipped: milestone met, settled or re-targeted, or case closed"
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
        return "skipped: milestone met, settled or re-targeted, or case closed"
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
