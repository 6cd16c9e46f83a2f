"""Everything done to an existing case, each a thin call to one ``cases.services`` function.

Parse (schemas) → authorise (``find_case`` → ``selectors.access_case``, 404 for anything
not visible) → call the service with ``now=clock.now()`` → serialise the case as the
caller now sees it. The services check the status table, the policies and the version
(``expected_version`` where a service takes one, else ``unchanged_since``: the same rule,
in the same transaction as the write).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from casedesk.api import serializers
from casedesk.api.routers.common import (
    CASE_WRITE_ERRORS,
    engineer_by_email,
    find_case,
    reload,
    unchanged_since,
)
from casedesk.api.schemas.cases import (
    AllInfoIn,
    AssignIn,
    CaseDetailOut,
    CloseIn,
    EventOut,
    FixDeliveredIn,
    OutcomeIn,
    PriorityIn,
    ReopenIn,
    RootCauseIn,
    ServiceRestoredIn,
    TransitionIn,
    UpdateIn,
)
from casedesk.api.security import caller
from casedesk.cases import services
from casedesk.core import clock
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.policy.transitions import Action, CloseReason, SubStatus

router = Router(tags=["case actions"])

_DETAIL = {200: CaseDetailOut, **CASE_WRITE_ERRORS}
_DEFAULT_CLOSE_REASON = {
    SubStatus.RESOLVED: CloseReason.SOLUTION_ACCEPTED,
    SubStatus.CANCELLED: CloseReason.CUSTOMER_REQUEST,
}


@router.post(
    "/{number}/updates", response={201: EventOut, **CASE_WRITE_ERRORS}, summary="Post an update"
)
def post_update(request: HttpRequest, number: str, payload: UpdateIn) -> Status[dict[str, Any]]:
    """B5: a contact's update (moves a waiting case back to support), an engineer's public
    reply, or an internal note (support staff only)."""
    user = caller(request)
    case = find_case(user, number)
    with unchanged_since(case, payload.version):
        event = services.case_add_update(
            case=case, actor=user, body=payload.body, now=clock.now(), internal=payload.internal
        )
    return Status(201, serializers.event(user, event))


@router.post("/{number}/transitions", response=_DETAIL, summary="Change status")
def transition(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    """B4: take one edge of the status table; see ``available_actions`` on the case."""
    user = caller(request)
    case = find_case(user, number)
    services.case_transition(
        case=case,
        actor=user,
        action=payload.action,
        to=payload.to,
        reason=payload.reason,
        now=clock.now(),
        close_reason=payload.close_reason,
        expected_version=payload.version,
        reason_public=payload.reason_public,
    )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/close", response=_DETAIL, summary="Close")
def close(request: HttpRequest, number: str, payload: CloseIn) -> dict[str, Any]:
    """B6: close as Resolved or Cancelled with a closure comment."""
    user = caller(request)
    case = find_case(user, number)
    if not payload.comment.strip():
        raise PolicyViolation("A closure comment is required.", field="comment")
    sub_status = SubStatus(payload.sub_status)
    services.case_transition(
        case=case,
        actor=user,
        action=Action.CLOSE,
        to=sub_status,
        reason=payload.comment,
        now=clock.now(),
        close_reason=payload.close_reason or _DEFAULT_CLOSE_REASON[sub_status],
        expected_version=payload.version,
        reason_public=payload.comment_public,
    )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/reopen", response=_DETAIL, summary="Re-open or request to re-open")
def reopen(request: HttpRequest, number: str, payload: ReopenIn) -> dict[str, Any]:
    """B7: within the re-open window of the case's policy and with new information; from the
    case's own contact this is a request support accepts, even after the window (C9)."""
    user = caller(request)
    case = find_case(user, number)
    with unchanged_since(case, payload.version):
        services.case_reopen(
            case=case, actor=user, information=payload.information, now=clock.now()
        )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/priority", response=_DETAIL, summary="Change priority")
def change_priority(request: HttpRequest, number: str, payload: PriorityIn) -> dict[str, Any]:
    """B8: a contact may ask Low → Medium with a reason; the rest is support's call."""
    user = caller(request)
    case = find_case(user, number)
    services.case_change_priority(
        case=case,
        actor=user,
        priority=payload.priority,
        reason=payload.reason,
        now=clock.now(),
        production_down=payload.production_down,
        emergency_criterion=payload.emergency_criterion,
        expected_version=payload.version,
        reason_public=payload.reason_public,
    )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/outcome", response=_DETAIL, summary="Record the outcome")
def set_outcome(request: HttpRequest, number: str, payload: OutcomeIn) -> dict[str, Any]:
    """B9 (support staff): education, configuration, enhancement, defect (with its change
    request), fix or workaround; optionally an engineering special."""
    user = caller(request)
    case = find_case(user, number)
    with unchanged_since(case, payload.version):
        services.case_set_outcome(
            case=case,
            actor=user,
            outcome=payload.outcome,
            now=clock.now(),
            change_request_id=payload.change_request_id,
            change_request_status=payload.change_request_status,
            hot_fix=payload.hot_fix,
            note=payload.note,
            note_public=payload.note_public,
        )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/assign", response=_DETAIL, summary="Assign")
def assign(request: HttpRequest, number: str, payload: AssignIn) -> dict[str, Any]:
    """Support staff: give the case to an engineer, or ``null`` to put it back in the queue."""
    user = caller(request)
    case = find_case(user, number)
    if user.is_contact:
        # Refuse before looking the e-mail up, so contacts cannot probe staff addresses.
        raise NotPermitted("Only support staff may do this.")
    assignee = engineer_by_email(payload.assignee_email) if payload.assignee_email else None
    with unchanged_since(case, payload.version):
        services.case_assign(
            case=case, actor=user, assignee=assignee, now=clock.now(), reason=payload.reason
        )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/all-info", response=_DETAIL, summary="All information provided")
def all_info(request: HttpRequest, number: str, payload: AllInfoIn | None = None) -> dict[str, Any]:
    """C4 (support staff): all necessary information is in; starts the root-cause clock."""
    user = caller(request)
    case = find_case(user, number)
    with unchanged_since(case, payload.version if payload else None):
        services.case_mark_all_info_provided(case=case, actor=user, now=clock.now())
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/root-cause", response=_DETAIL, summary="Root cause found")
def root_cause(request: HttpRequest, number: str, payload: RootCauseIn) -> dict[str, Any]:
    """C3 (support staff): meets the root-cause target; for Production Down it starts the
    fix-or-workaround target, 7 × 24 hours later (C9). Needs all information marked first."""
    user = caller(request)
    case = find_case(user, number)
    services.case_mark_root_cause(
        case=case,
        actor=user,
        summary=payload.summary,
        now=clock.now(),
        expected_version=payload.version,
    )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/fix-delivered", response=_DETAIL, summary="Fix or workaround delivered")
def fix_delivered(request: HttpRequest, number: str, payload: FixDeliveredIn) -> dict[str, Any]:
    """C3 (support staff): meets the running fix target of a Production Down case; other
    priorities' fixes ship in a service update and have none (422)."""
    user = caller(request)
    case = find_case(user, number)
    services.case_mark_fix_delivered(
        case=case, actor=user, note=payload.note, now=clock.now(), expected_version=payload.version
    )
    return serializers.case_detail(user, reload(user, case))


@router.post("/{number}/service-restored", response=_DETAIL, summary="Service restored")
def service_restored(
    request: HttpRequest, number: str, payload: ServiceRestoredIn
) -> dict[str, Any]:
    """C3 (support staff, Production Down only): the outage ends now; its length from first
    contact is recorded once."""
    user = caller(request)
    case = find_case(user, number)
    services.case_mark_service_restored(
        case=case, actor=user, note=payload.note, now=clock.now(), expected_version=payload.version
    )
    return serializers.case_detail(user, reload(user, case))
