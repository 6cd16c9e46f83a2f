"""Escalation to management (C6): eligibility per kind with its reason and date, and requests.

A request that is not eligible is a 422 whose detail is the system's reason.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from casedesk.api.routers.common import (
    CASE_READ_ERRORS,
    CASE_WRITE_ERRORS,
    find_case,
    unchanged_since,
)
from casedesk.api.schemas.escalations import EscalationIn, EscalationOut, EscalationStatusOut
from casedesk.api.security import caller
from casedesk.core import clock
from casedesk.escalations.models import Escalation
from casedesk.escalations.selectors import case_escalations, escalation_options
from casedesk.escalations.services import (
    EscalationRequest,
    Refused,
    case_product_version,
    escalation_request,
)

router = Router(tags=["escalations"])


def _escalation(e: Escalation) -> dict[str, Any]:
    product, version = case_product_version(e.case)
    return {
        "id": e.pk,
        "kind": e.kind,
        "state": e.state,
        "subject": e.subject,
        "case_number": e.case.number,
        "product": product,
        "version": version,
        "requested_at": e.requested_at,
        "requested_by": e.requested_by.full_name,
        "eligibility": e.eligibility,
        "reason": e.reason,
        "summary": e.summary,
        "critical_dates": e.critical_dates,
        "expectations": e.expectations,
        "outcome": e.outcome,
        "closed_at": e.closed_at,
    }


@router.get(
    "/{number}/escalation",
    response={200: EscalationStatusOut, **CASE_READ_ERRORS},
    summary="Escalation eligibility",
)
def escalation_status(request: HttpRequest, number: str) -> dict[str, Any]:
    """C6: for each kind (escalation, root-cause request) whether the case may be escalated
    now, why, and from when; plus the case's requests and their outcomes. Where a rule needs
    significant business impact, the verdict assumes the caller says so
    (``needs_significant_impact``)."""
    user = caller(request)
    case = find_case(user, number)
    escalations = case_escalations(case)
    options = escalation_options(case, clock.now(), escalations)
    for e in escalations:
        e.case = case
    return {
        "case_number": case.number,
        "options": [
            {
                "kind": o.kind,
                "label": o.label,
                "eligible": o.verdict.eligible,
                "reason": o.verdict.reason,
                "eligible_from": o.verdict.eligible_from,
                "needs_significant_impact": o.needs_significant_impact,
                "active_escalation_id": o.active.pk if o.active else None,
            }
            for o in options
        ],
        "escalations": [_escalation(e) for e in escalations],
    }


@router.post(
    "/{number}/escalations",
    response={201: EscalationOut, **CASE_WRITE_ERRORS},
    summary="Request escalation",
)
def escalation_create(
    request: HttpRequest, number: str, payload: EscalationIn
) -> Status[dict[str, Any]]:
    """C6: send the escalation template to support management; 422 with the reason when the
    case is not eligible (yet)."""
    user = caller(request)
    case = find_case(user, number)
    refused: Refused | None = None
    with unchanged_since(case, payload.version):
        try:
            escalation = escalation_request(
                case=case,
                actor=user,
                request=EscalationRequest(**payload.model_dump(exclude={"version"})),
                now=clock.now(),
            )
        except Refused as exc:  # keep the recorded refusal (I1): leave the block, then 422
            refused = exc
    if refused is not None:
        raise refused
    escalation.case = case
    return Status(201, _escalation(escalation))
