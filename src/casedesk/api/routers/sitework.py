"""Cutover notices (G1), site visits (G4), routing out of support (G5, G6) and the merged case
timeline (item 7), scoped as the pages are: a contact lists, reads and files only their own
organisation's notices and sees of their visible cases only approved visits; support sees all;
a manager decides visits. Anything not visible is the same 404 as a missing one (rule 3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from casedesk.api import serializers
from casedesk.api.routers.common import CASE_READ_ERRORS, CASE_WRITE_ERRORS, errors, find_case
from casedesk.api.schemas.sitework import (
    CutoverIn,
    CutoverOut,
    CutoverQuery,
    DiagramOut,
    RoutingIn,
    RoutingOut,
    TimelineItemOut,
    VisitDecisionIn,
    VisitIn,
    VisitOut,
)
from casedesk.api.security import caller
from casedesk.cases.permissions import can_see_internal
from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.obligations import selectors as obligations
from casedesk.obligations.services import CutoverDraft
from casedesk.sitework import selectors, services
from casedesk.sitework.models import CutoverDiagram, ScopeRouting, SiteVisit
from casedesk.sitework.timeline import TimelineEntry, case_timeline_with_records
from casedesk.web.downloads import stored_file_response

router = Router(tags=["site work"])
READ = errors(401, 404, 422, 503)
WRITE = errors(400, 401, 403, 404, 413, 422, 503)


def _diagram(d: CutoverDiagram | None, notice_id: int) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "filename": d.filename,
        "size": d.size,
        "sha256": d.sha256,
        "uploaded_at": d.uploaded_at,
        "download_url": f"/api/v1/cutovers/{notice_id}/diagram",
    }


def _cutover(row: selectors.CutoverRow) -> dict[str, Any]:
    n = row.notice
    return {
        "id": n.pk,
        "organisation": n.organisation.name,
        "site_id": n.site_id,
        "site": n.site.name,
        "region": n.region,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        **{
            f: getattr(n, f)
            for f in (
                "technician",
                "product_line",
                "installation_date",
                "cutover_start",
                "cutover_end",
                "site_contact",
                "vendor_contact",
                "checklist",
                "line_configuration",
                "current_products",
                "planned_products",
                "um_platform",
                "filed_at",
                "earliest_allowed",
                "late_warning",
            )
        },
        "filed_by": n.filed_by.full_name,
        "window": {
            "after_hours": row.flags.after_hours,
            "weekend": row.flags.weekend,
            "holiday": row.flags.holiday,
        },
        "diagram": _diagram(row.diagram, n.pk),
    }


def _rows(notices: list[Any]) -> list[dict[str, Any]]:
    return [_cutover(r) for _, rows in selectors.cutover_calendar(notices) for r in rows]


@router.get("/cutovers", response={200: list[CutoverOut], **READ}, summary="Upcoming cutovers")
def cutover_list(request: HttpRequest, q: Query[CutoverQuery]) -> list[dict[str, Any]]:
    """Cutovers not yet over within ``days``, soonest first (a contact: their organisation's),
    with the window's after-hours, weekend and holiday flags in the site's region calendar."""
    notices = obligations.upcoming_cutovers(
        caller(request), now=clock.now(), region=q.region or "", days=q.days
    )
    return _rows(notices)


@router.post("/cutovers", response={201: CutoverOut, **WRITE}, summary="File a cutover notice")
def cutover_create(request: HttpRequest, payload: CutoverIn) -> Status:
    """At least 5 business days ahead in the site's region calendar: refused (422, with the
    earliest allowed date) or accepted with ``late_warning``, as the policy says (G1)."""
    user = caller(request)
    site = obligations.sites_for(user).filter(pk=payload.site_id).first()
    if site is None:
        raise NotFound("No such site.")
    notice = services.cutover_file_with_diagram(
        actor=user, site=site, draft=CutoverDraft(**payload.to_draft_fields()), now=clock.now()
    )
    return Status(201, _rows([selectors.access_notice(user, notice.pk)])[0])


@router.get("/cutovers/{notice_id}", response={200: CutoverOut, **READ}, summary="A cutover notice")
def cutover_detail(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    return _rows([selectors.access_notice(caller(request), notice_id)])[0]


@router.post(
    "/cutovers/{notice_id}/diagram",
    response={201: DiagramOut, **WRITE},
    summary="Upload the network topology diagram",
)
def cutover_diagram_upload(
    request: HttpRequest, notice_id: int, file: File[UploadedFile]
) -> Status:
    """Multipart ``file``, up to 25 MB; replaces an earlier diagram."""
    user = caller(request)
    notice = selectors.access_notice(user, notice_id)
    diagram = services.cutover_diagram_store(
        notice=notice,
        actor=user,
        filename=file.name or "diagram",
        stream=file,
        now=clock.now(),
        content_type=file.content_type or "",
    )
    return Status(201, _diagram(diagram, notice.pk))


@router.get(
    "/cutovers/{notice_id}/diagram",
    response={200: None, **errors(401, 404, 410, 422, 503)},
    summary="Download the network topology diagram",
)
def cutover_diagram_download(request: HttpRequest, notice_id: int) -> HttpResponse:
    return stored_file_response(selectors.diagram_of(caller(request), notice_id))


def _visit(v: SiteVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "case": v.case.number,
        "site": v.site.name,
        "state": v.state,
        "reason": v.reason,
        "visit_on": v.visit_on,
        "days": v.days,
        "billable": v.billable,
        "travel_cost": v.travel_cost,
        "daily_rate": v.daily_rate,
        "charge": v.charge,
        "currency": v.currency,
        "requested_by": v.requested_by.full_name,
        "requested_at": v.requested_at,
        "decided_by": v.decided_by.full_name if v.decided_by else None,
        "decided_at": v.decided_at,
        "decision_note": v.decision_note,
    }


@router.get(
    "/cases/{number}/site-visits",
    response={200: list[VisitOut], **CASE_READ_ERRORS},
    summary="A case's site visits",
)
def visit_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Support sees every request; a contact only the visits a manager approved."""
    user = caller(request)
    return [_visit(v) for v in selectors.visits_for_case(user, find_case(user, number))]


@router.post(
    "/cases/{number}/site-visits",
    response={201: VisitOut, **CASE_WRITE_ERRORS},
    summary="Request a site visit",
)
def visit_request(request: HttpRequest, number: str, payload: VisitIn) -> Status:
    """Support only, and only once the case is marked all necessary information provided
    (the remote-troubleshooting information, C4); a manager then decides (G4)."""
    user = caller(request)
    case = find_case(user, number)
    visit = services.site_visit_request(
        case=case,
        actor=user,
        draft=services.VisitDraft(**payload.model_dump()),
        now=clock.now(),
    )
    return Status(201, _visit(visit))


@router.post(
    "/site-visits/{visit_id}/decision",
    response={200: VisitOut, **WRITE},
    summary="Approve or decline a site visit",
)
def visit_decide(request: HttpRequest, visit_id: int, payload: VisitDecisionIn) -> dict[str, Any]:
    """A manager other than the requester; a contact gets 404, other staff 403."""
    user = caller(request)
    visit = services.site_visit_decide(
        visit=selectors.access_visit(user, visit_id),
        actor=user,
        approve=payload.approve,
        note=payload.note,
        now=clock.now(),
    )
    return _visit(visit)


def _routing(r: ScopeRouting) -> dict[str, Any]:
    return {
        "case": r.case.number,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "route_to": r.route_to,
        "answer": r.answer,
        "routed_at": r.routed_at,
    }


@router.post(
    "/cases/{number}/routing",
    response={201: RoutingOut, **CASE_WRITE_ERRORS},
    summary="Route a case out of support",
)
def case_route(request: HttpRequest, number: str, payload: RoutingIn) -> Status:
    """Support only: a customisation goes to professional services (G6), a third-party
    product not bought from us to its vendor (G5); the case closes as Redirected with the
    handbook's answer. A product that is in scope is refused with the reason (422)."""
    user = caller(request)
    routing = services.case_route_out_of_scope(
        case=find_case(user, number),
        actor=user,
        kind=payload.kind,
        vendor=payload.vendor,
        now=clock.now(),
        expected_version=payload.version,
    )
    return Status(201, _routing(routing))


def _item(user: Any, item: Any) -> dict[str, Any]:
    if not isinstance(item, TimelineEntry):
        return serializers.event(user, item)
    return {
        "id": None,
        "at": item.at,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "summary": item.summary,
        "public": item.public,
        "body": item.body,
        "actor": (
            {"full_name": item.actor.full_name, "role": item.actor.role} if item.actor else None
        ),
        "data": item.data if can_see_internal(user) else None,
    }


@router.get(
    "/cases/{number}/timeline",
    response={200: list[TimelineItemOut], **CASE_READ_ERRORS},
    summary="Timeline with cutover notices, site visits and routing",
)
def case_timeline(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The events (as ``/events``) plus the records kept beside the case, each with its
    visibility: a contact sees the public ones only."""
    user = caller(request)
    case = find_case(user, number)
    return [_item(user, i) for i in case_timeline_with_records(user, case)]
