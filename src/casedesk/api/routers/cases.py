"""Reading and opening cases: list, open, detail, timeline (B2, B10, B11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from casedesk.api import serializers
from casedesk.api.routers.common import (
    CASE_READ_ERRORS,
    CASE_WRITE_ERRORS,
    contact_by_email,
    errors,
    find_case,
    reload,
    unchanged_since,
)
from casedesk.api.schemas.cases import (
    CaseDetailOut,
    CaseListOut,
    CaseListQuery,
    CaseOpenIn,
    EventOut,
    FollowOnIn,
)
from casedesk.api.security import caller
from casedesk.cases import selectors
from casedesk.cases.models import Channel
from casedesk.cases.services import CaseDraft, case_open, case_open_follow_on
from casedesk.core import clock
from casedesk.core.errors import PolicyViolation

if TYPE_CHECKING:
    from casedesk.accounts.models import User
    from casedesk.cases.models import Case

router = Router(tags=["cases"])

# Body fields that are not part of the draft itself.
_OPENER_FIELDS = {"contact_email", "channel", "version"}


@router.get("", response={200: CaseListOut, **errors(401, 422, 503)}, summary="List cases")
def list_cases(request: HttpRequest, filters: Query[CaseListQuery]) -> dict[str, Any]:
    """B10: my open/closed cases; all of my organisation's with A3; support queues."""
    user = caller(request)
    queue = filters.scope == "queue"
    if queue and user.is_contact:
        raise PolicyViolation("The queue is for support staff.", field="query.scope")
    # The queue's own default is "waiting on support"; lists default to open cases.
    state = filters.state or ("" if queue else "open")
    case_filters = selectors.CaseFilters(
        scope=filters.scope,
        state=state,
        priority=filters.priority or "",
        product_group=filters.product_group,
        region=filters.region or "",
        sub_status=filters.sub_status or "",
        assignee=filters.assignee or "",
        q=filters.q,
        sort=filters.sort or "",
        page=filters.page,
    )
    if queue:
        return serializers.case_page(selectors.engineer_queue(user, case_filters))
    return serializers.case_page(selectors.list_cases(user, case_filters))


def _opener(user: User, contact_email: str | None, channel: str | None) -> tuple[User, str]:
    """Who the case is for and how it reached us; only support may choose either (rule 4)."""
    if user.is_contact:
        if contact_email is not None or channel is not None:
            raise PolicyViolation(
                "Contacts open cases for themselves; only support staff name another "
                "contact or the channel.",
                field="contact_email" if contact_email is not None else "channel",
            )
        return user, Channel.API
    if contact_email is None:
        raise PolicyViolation("Name the contact the case is opened for.", field="contact_email")
    return contact_by_email(contact_email), channel or Channel.PHONE


def _draft(fields: dict[str, Any]) -> CaseDraft:
    return CaseDraft(
        **{k: v for k, v in fields.items() if v is not None and k not in _OPENER_FIELDS}
    )


@router.post(
    "",
    response={201: CaseDetailOut, **errors(400, 401, 403, 413, 422, 503)},
    summary="Open a case",
)
def open_case(request: HttpRequest, payload: CaseOpenIn) -> Status[dict[str, Any]]:
    """B2: open a case on one of your contracts; support staff open one for a contact."""
    user = caller(request)
    contact, channel = _opener(user, payload.contact_email, payload.channel)
    case = case_open(
        contact=contact,
        draft=_draft(payload.model_dump()),
        now=clock.now(),
        opened_by=user,
        channel=channel,
    )
    # The new instance already carries its contract, site, contact and catalogue rows;
    # serialising it directly saves re-reading it through the 11-table visibility join.
    detail = serializers.case_detail(user, case)
    detail["warnings"] = [case.lifecycle_warning] if case.lifecycle_warning else []
    return Status(201, detail)


@router.get("/{number}", response={200: CaseDetailOut, **CASE_READ_ERRORS}, summary="A case")
def case_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    user = caller(request)
    return serializers.case_detail(user, find_case(user, number))


@router.get(
    "/{number}/events", response={200: list[EventOut], **CASE_READ_ERRORS}, summary="Timeline"
)
def case_events(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """B4/B5: who did what, when and why; internal notes only for support staff."""
    user = caller(request)
    case = find_case(user, number)
    return [serializers.event(user, ev) for ev in selectors.case_timeline(user, case)]


def _follow_on_defaults(old: Case) -> dict[str, Any]:
    return {
        "contract_id": old.contract_id,
        "kind": old.kind,
        "sub_type": old.sub_type or None,
        "admin_category": old.admin_category or None,
        "product_id": old.product_id,
        "major_version_id": old.major_version_id,
        "patch_id": old.patch_id,
        "environment": old.environment,
        "subject": f"Follow-on to {old.number}: {old.subject}"[:200],
    }


@router.post(
    "/{number}/follow-on",
    response={201: CaseDetailOut, **CASE_WRITE_ERRORS},
    summary="Open a follow-on",
)
def follow_on(request: HttpRequest, number: str, payload: FollowOnIn) -> Status[dict[str, Any]]:
    """B7: after the re-open window, a new case linked to this one.

    Fields left out are taken from the earlier case (contract, product, version, kind).
    """
    user = caller(request)
    old = find_case(user, number)
    contact_email = payload.contact_email
    if not user.is_contact and contact_email is None:
        contact_email = old.contact.email
    contact, channel = _opener(user, contact_email, payload.channel)
    fields = _follow_on_defaults(old)
    fields.update({k: v for k, v in payload.model_dump().items() if v is not None})
    with unchanged_since(old, payload.version):
        case = case_open_follow_on(
            old_case=old,
            contact=contact,
            draft=_draft(fields),
            now=clock.now(),
            opened_by=user,
            channel=channel,
        )
    return Status(201, serializers.case_detail(user, reload(user, case)))
