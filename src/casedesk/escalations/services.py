"""Escalation: the system says eligible or not, why, and from when (C6); managers resolve."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from casedesk.accounts.models import Role, User
from casedesk.cases.models import Case, CaseEvent, EventKind
from casedesk.cases.permissions import NOT_YOURS, is_participant, may_decide
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.notifications.services import notify_case_event
from casedesk.policy.escalation import Eligibility, escalation_eligibility
from casedesk.sla.selectors import calendar_for, policy

from .models import Escalation, EscalationKind, EscalationState

SUPPORT_ROLES = (Role.ENGINEER, Role.CARE, Role.MANAGER)


def last_support_update(case: Case) -> dt.datetime:
    """When support last told the customer something (reply or status change)."""
    latest = (
        CaseEvent.objects.filter(
            case=case, public=True, kind__in=[EventKind.REPLY, EventKind.TRANSITION]
        )
        .exclude(actor__role=Role.CONTACT)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return latest or case.opened_at


def escalation_check(
    *, case: Case, kind: str, now: dt.datetime, significant_impact: bool = False
) -> Eligibility:
    if kind not in EscalationKind.values:
        raise PolicyViolation("Choose an escalation or a root-cause request.", field="kind")
    if case.is_closed:
        return Eligibility(
            False, "Closed cases are not escalated; re-open it first.", None, "closed"
        )
    return escalation_eligibility(
        case.priority,
        case.production_down,
        # A root-cause request counts analysis time, not quiet time: skip the query.
        last_support_update(case) if kind == EscalationKind.STANDARD else case.opened_at,
        now,
        calendar_for(case.policy_version, case.region),
        case.deployment,  # type: ignore[arg-type]
        kind,  # type: ignore[arg-type]
        case.all_info_at,
        significant_impact,
        policy(case.policy_version),
    )


def escalation_subject(case: Case) -> str:
    """The template's subject line: "Customer – Case No. – Description" (C6)."""
    return f"{case.organisation.name} – {case.number} – {case.subject}"[:300]


def case_product_version(case: Case) -> tuple[str, str]:
    """Product and "major/patch" as the template records them."""
    version = case.major_version.name if case.major_version else "—"
    patch = f"/{case.patch.name}" if case.patch else ""
    return str(case.product or ""), f"{version}{patch}"


@dataclass(frozen=True, kw_only=True)
class EscalationRequest:
    kind: str
    reason: str
    summary: str
    expectations: str
    critical_dates: str = ""
    significant_impact: bool = False


class Refused(PolicyViolation):
    """The system said no (C6); ``code`` is the reason the reports count it under."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code


def escalation_request(
    *, case: Case, actor: User, request: EscalationRequest, now: dt.datetime
) -> Escalation:
    """Record an eligible request, or the refusal of an ineligible one (C6, I1: the
    escalations report counts requests, eligible and refused by reason), and say why."""
    try:
        return _escalation_record(case=case, actor=actor, request=request, now=now)
    except Refused as refused:
        _refusal_record(case=case, actor=actor, kind=request.kind, refused=refused, now=now)
        raise


@transaction.atomic
def _refusal_record(
    *, case: Case, actor: User, kind: str, refused: Refused, now: dt.datetime
) -> None:
    """An internal timeline entry: who asked, for what, and why the system said no."""
    CaseEvent.objects.create(
        case_id=case.pk,
        at=now,
        actor=actor,
        kind=EventKind.ESCALATION,
        public=False,
        body=str(refused),
        data={"refused": True, "kind": kind, "code": refused.code},
    )


@transaction.atomic
def _escalation_record(
    *, case: Case, actor: User, request: EscalationRequest, now: dt.datetime
) -> Escalation:
    if not is_participant(actor, case):
        raise NotFound("No such case.")
    if not may_decide(actor, case):
        raise NotPermitted(NOT_YOURS)  # C9: the case's own contact or support
    locked = Case.objects.select_for_update().get(pk=case.pk)
    verdict = escalation_check(
        case=locked, kind=request.kind, now=now, significant_impact=request.significant_impact
    )
    if not verdict:
        raise Refused(verdict.reason, code=verdict.code or "other", field="kind")
    for name in ("reason", "summary", "expectations"):
        if not getattr(request, name).strip():
            raise PolicyViolation(f"The {name} is required.", field=name)
    if Escalation.objects.filter(
        case=locked,
        kind=request.kind,
        state__in=[EscalationState.OPEN, EscalationState.IN_PROGRESS],
    ).exists():
        raise Refused(
            "This case already has an open request of that kind.", code="already_open", field="kind"
        )
    version = locked.major_version.name if locked.major_version else "—"
    patch = f"/{locked.patch.name}" if locked.patch else ""
    escalation = Escalation.objects.create(
        case=locked,
        kind=request.kind,
        requested_by=actor,
        requested_at=now,
        eligibility=verdict.reason,
        subject=escalation_subject(locked),
        reason=request.reason.strip(),
        summary=request.summary.strip(),
        critical_dates=request.critical_dates.strip(),
        expectations=request.expectations.strip(),
    )
    event = CaseEvent.objects.create(
        case=locked,
        at=now,
        actor=actor,
        kind=EventKind.ESCALATION,
        body=request.reason.strip(),
        data={
            "escalation": escalation.pk,
            "kind": request.kind,
            "state": "open",
            "eligibility": verdict.reason,
            "product": str(locked.product or ""),
            "version": f"{version}{patch}",
        },
    )
    notify_case_event(event=event, now=now)  # E4: to the management address
    return escalation


@transaction.atomic
def escalation_resolve(
    *, escalation: Escalation, actor: User, state: str, outcome: str, now: dt.datetime
) -> Escalation:
    """A manager works the escalation to an outcome (C6)."""
    if actor.role != Role.MANAGER:
        raise NotPermitted("Escalations are worked by support managers.")
    if state not in (
        EscalationState.IN_PROGRESS,
        EscalationState.RESOLVED,
        EscalationState.DECLINED,
    ):
        raise PolicyViolation("Choose in progress, resolved or declined.", field="state")
    locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if locked.state in (EscalationState.RESOLVED, EscalationState.DECLINED):
        raise PolicyViolation("This escalation already has its outcome.")
    if state != EscalationState.IN_PROGRESS and not outcome.strip():
        raise PolicyViolation("Record the outcome.", field="outcome")
    locked.state = state
    locked.handled_by = actor
    locked.outcome = outcome.strip()
    if state != EscalationState.IN_PROGRESS:
        locked.closed_at = now
    locked.save(update_fields=["state", "handled_by", "outcome", "closed_at"])
    event = CaseEvent.objects.create(
        case_id=locked.case_id,
        at=now,
        actor=actor,
        kind=EventKind.ESCALATION,
        body=outcome.strip(),
        data={"escalation": locked.pk, "state": state, "kind": locked.kind},
    )
    notify_case_event(event=event, now=now)  # C6: the requester hears the outcome
    return locked
