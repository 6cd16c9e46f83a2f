"""Sites, their VoIP readiness assessments and change records over the API (G2, G3).

The same reads and writes as the pages (``obligations.sites``, ``obligations.voip``,
``obligations.changes``): a contact sees and files for their own organisation's sites only
(and only the contracts care limited them to), sees no internal record, and a site they
may not see is the same 404 as a missing one (rule 3). Measurement files are posted as
``multipart/form-data``; a bad one is refused whole (422) with one error per bad row.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from casedesk.api import serializers
from casedesk.api.routers.common import CASE_WRITE_ERRORS, errors, find_case, reload
from casedesk.api.schemas.cases import CaseDetailOut
from casedesk.api.schemas.sites import (
    ChangeRecordIn,
    ChangeRecordOut,
    SiteReadinessOut,
    VoipAssessmentIn,
    VoipAssessmentOut,
    VoipHoldIn,
)
from casedesk.api.security import caller
from casedesk.core import clock
from casedesk.core.errors import PolicyViolation
from casedesk.obligations import sites
from casedesk.obligations.changes import ChangeDraft, change_record
from casedesk.obligations.measurements import MAX_FILE_BYTES
from casedesk.obligations.voip import voip_assessment_record, voip_assessment_upload, voip_hold
from casedesk.policy.voip import LineMeasurement

router = Router(tags=["sites"])

READ = errors(401, 503)
ONE = errors(401, 404, 422, 503)
WRITE = errors(400, 401, 403, 404, 413, 422, 503)


def _site(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "organisation": s.organisation.name,
        "voip_ready": s.latest_passed,
        "latest_assessment_at": s.latest_at,
    }


def _assessment(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "site_id": a.site_id,
        "measured_at": a.measured_at,
        "passed": a.passed,
        "reason": a.reason,
        "source": a.source,
        "filename": a.filename,
        "notes": a.notes,
        "public": a.public,
        "filed_by": a.filed_by.full_name,
        "filed_at": a.filed_at,
        "lines": [
            {
                "stream": line.stream,
                "codec": line.codec,
                "latency_ms": line.latency_ms,
                "jitter_ms": line.jitter_ms,
                "loss_pct": line.loss_pct,
                "rtp_dscp": line.rtp_dscp,
                "sip_dscp": line.sip_dscp,
                "bandwidth_kbps": line.bandwidth_kbps,
                "passed": line.passed,
                "failures": list(line.failures),
            }
            for line in a.lines.all()
        ],
    }


_CHANGE_FIELDS = (
    "performed_at",
    "engineer",
    "short_description",
    "summary",
    "outcome",
    "test_environment",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "backup_taken",
    "backup_details",
    "public",
    "filed_at",
)


def _change(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "site_id": c.site_id,
        "filed_by": c.filed_by.full_name,
        **{f: getattr(c, f) for f in _CHANGE_FIELDS},
    }


@router.get("/sites", response={200: list[SiteReadinessOut], **READ}, summary="Sites you may see")
def site_list(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    """Your organisation's sites (support staff: all, at most 200; ``q`` filters by site or
    organisation name), each with its VoIP readiness (G2)."""
    rows = sites.sites_with_readiness(caller(request), query=q.strip()[:100])
    return [_site(s) for s in rows]


@router.get(
    "/sites/{site_id}/voip-assessments",
    response={200: list[VoipAssessmentOut], **ONE},
    summary="A site's VoIP readiness assessments",
)
def assessment_list(request: HttpRequest, site_id: int) -> list[dict[str, Any]]:
    """Newest first, each line with its verdict and the failed checks in words (G2)."""
    user = caller(request)
    site = sites.access_site(user, site_id)
    return [_assessment(a) for a in sites.assessments_for(user, site)]


@router.post(
    "/sites/{site_id}/voip-assessments",
    response={201: VoipAssessmentOut, **WRITE},
    summary="Record a VoIP readiness assessment",
)
def assessment_create(
    request: HttpRequest, site_id: int, payload: VoipAssessmentIn
) -> Status[dict[str, Any]]:
    """Typed measurements, one per RTP stream, checked against the policy's thresholds; a
    passing assessment releases the site's cases held for VoIP readiness."""
    user = caller(request)
    site = sites.access_site(user, site_id)
    assessment = voip_assessment_record(
        actor=user,
        site=site,
        lines=[LineMeasurement(**line.model_dump()) for line in payload.lines],
        measured_at=payload.measured_at,
        notes=payload.notes,
        public=payload.public,
        now=clock.now(),
    )
    return Status(201, _assessment(sites.access_assessment(user, assessment.pk)))


@router.post(
    "/sites/{site_id}/voip-assessments/upload",
    response={201: VoipAssessmentOut, **WRITE},
    summary="Upload a VoIP measurement file (CSV or JSON)",
)
def assessment_upload(
    request: HttpRequest,
    site_id: int,
    file: File[UploadedFile],
    public: Form[bool] = True,
) -> Status[dict[str, Any]]:
    """``multipart/form-data`` with ``file`` (.csv or .json, at most 1 MB; see the README
    for the columns). A file with any bad row is refused whole: 422 with one error per row
    and field, nothing stored."""
    user = caller(request)
    site = sites.access_site(user, site_id)
    if file.size is not None and file.size > MAX_FILE_BYTES:
        raise PolicyViolation(f"The file is larger than {MAX_FILE_BYTES // 1000} kB.", field="file")
    assessment = voip_assessment_upload(
        actor=user,
        site=site,
        filename=file.name or "",
        data=file.read(MAX_FILE_BYTES + 1),
        public=public,
        now=clock.now(),
    )
    return Status(201, _assessment(sites.access_assessment(user, assessment.pk)))


@router.get(
    "/sites/{site_id}/changes",
    response={200: list[ChangeRecordOut], **ONE},
    summary="A site's change-control records",
)
def change_list(request: HttpRequest, site_id: int) -> list[dict[str, Any]]:
    """Newest first, with the plan (G3)."""
    user = caller(request)
    site = sites.access_site(user, site_id)
    return [_change(c) for c in sites.changes_for(user, site)]


@router.post(
    "/sites/{site_id}/changes",
    response={201: ChangeRecordOut, **WRITE},
    summary="Record a change",
)
def change_create(
    request: HttpRequest, site_id: int, payload: ChangeRecordIn
) -> Status[dict[str, Any]]:
    user = caller(request)
    site = sites.access_site(user, site_id)
    data = payload.model_dump()
    public = data.pop("public")
    change = change_record(
        actor=user, site=site, draft=ChangeDraft(**data), public=public, now=clock.now()
    )
    return Status(201, _change(change))


@router.post(
    "/cases/{number}/voip-hold",
    response={200: CaseDetailOut, **CASE_WRITE_ERRORS},
    summary="Hold a VoIP case until its site passes",
)
def case_voip_hold(request: HttpRequest, number: str, payload: VoipHoldIn) -> dict[str, Any]:
    """Support only (G2): a VoIP case on a site without a passing readiness assessment goes
    to Awaiting Info / VoIP Readiness Pending; the next passing assessment releases it."""
    user = caller(request)
    case = find_case(user, number)
    voip_hold(
        actor=user,
        case=case,
        reason=payload.reason,
        now=clock.now(),
        expected_version=payload.version,
    )
    return serializers.case_detail(user, reload(user, case))
