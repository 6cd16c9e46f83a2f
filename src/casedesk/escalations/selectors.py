"""Reads of escalations: the managers' queue, a case's requests, and what a case may ask for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import can_view_case
from casedesk.core.errors import NotFound
from casedesk.policy.escalation import Eligibility
from casedesk.sla.selectors import policy

from .models import Escalation, EscalationKind, EscalationState

ACTIVE = (EscalationState.OPEN, EscalationState.IN_PROGRESS)


def escalation_queue(*, state: str = "active") -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related("case", "case__organisation", "requested_by")
    if state == "active":
        return qs.filter(state__in=[EscalationState.OPEN, EscalationState.IN_PROGRESS]).order_by(
            "requested_at"
        )
    return qs.filter(state=state)


def case_escalations(case: Case) -> list[Escalation]:
    """Every request of one case, newest first (the caller has already been allowed the case)."""
    return list(case.escalations.select_related("requested_by", "handled_by"))


def access_escalation(user: User, escalation_id: int) -> Escalation:
    """The escalation if ``user`` may see its case; otherwise NotFound, like a missing one."""
    escalation = (
        Escalation.objects.select_related("case", "case__organisation", "requested_by")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or not can_view_case(user, escalation.case):
        raise NotFound("No such escalation.")
    return escalation


@dataclass(frozen=True)
class EscalationOption:
    """One kind of request as the case page offers it: eligible or not, why, from when."""

    kind: str
    label: str
    verdict: Eligibility
    needs_significant_impact: bool
    active: Escalation | None

    @property
    def may_request(self) -> bool:
        return bool(self.verdict) and self.active is None


def escalation_options(
    case: Case, now: dt.datetime, escalations: list[Escalation] | None = None
) -> list[EscalationOption]:
    """C6 for both kinds. Where the rule needs significant business impact the verdict is
    the one the contact gets when they say so, and the page tells them it is a condition.
    ``escalations``: the case's requests when the caller already has them (saves a query)."""
    from .services import escalation_check  # services import selectors' neighbours

    rule = policy(case.policy_version).escalation.rule_for(case.priority, case.production_down)
    if escalations is None:
        escalations = case_escalations(case)
    active = {e.kind: e for e in escalations if e.state in ACTIVE}
    options = []
    for kind, label in EscalationKind.choices:
        needs_impact = kind == EscalationKind.STANDARD and rule.requires_significant_impact
        verdict = escalation_check(case=case, kind=kind, now=now, significant_impact=needs_impact)
        options.append(EscalationOption(kind, label, verdict, needs_impact, active.get(kind)))
    return options
