"""Reports as JSON (I1): the same figures as the console pages, scoped the same way —
managers and care everything, engineers their region's and their own cases, a contact
their organisation's."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from casedesk.api.routers.common import errors
from casedesk.api.schemas.reports import (
    BacklogOut,
    EscalationReportOut,
    FollowupOut,
    RangeQuery,
    SatisfactionOut,
    ServiceLevelOut,
    ServiceLevelQuery,
    ServiceLevelsQuery,
)
from casedesk.api.security import caller
from casedesk.core import clock
from casedesk.core.errors import NotPermitted
from casedesk.reports.backlog import backlog_report
from casedesk.reports.holdtimes import call_scope
from casedesk.reports.outcomes import escalation_report, followup_outcomes
from casedesk.reports.satisfaction import satisfaction
from casedesk.reports.selectors import report_scope, service_levels

router = Router(tags=["reports"])


def _scope(request: HttpRequest) -> Q:
    scope = report_scope(caller(request))
    if scope is None:
        raise NotPermitted("Reports are for support staff and contacts of an organisation.")
    return scope


@router.get(
    "/service-levels",
    response={200: ServiceLevelOut, **errors(401, 403, 422, 503)},
    summary="Service levels against the targets (I1, C3)",
)
def service_levels_json(request: HttpRequest, q: Query[ServiceLevelsQuery]) -> dict[str, Any]:
    """A contact gets the figures without the list of missed cases: those may be
    colleagues' cases they are not allowed to open (A3). The list is paged like the
    page's: ``misses_more`` says more follow, ``misses_next`` is where they start."""
    after = None
    if q.misses_after:
        case_id, kind = q.misses_after.split("-", 1)
        after = (int(case_id), kind)
    report = service_levels(
        scope=_scope(request),
        start=q.start,
        end=q.end,
        period=q.period,
        now=clock.now(),
        calls=call_scope(caller(request)),
        misses_after=after,
    )
    contact = caller(request).is_contact
    more = report.more_misses and not contact
    return {
        "start": report.start,
        "end": report.end,
        "period": report.period,
        "hold": report.hold_note,
        "by_priority": [r.as_dict() for r in report.by_priority],
        "by_region": [r.as_dict() for r in report.by_region],
        "by_product_group": [r.as_dict() for r in report.by_product_group],
        "trend": [{"start": b, "opened": n, "missed": m} for b, n, m in report.trend],
        "misses": [] if contact else [vars(m) for m in report.misses],
        "misses_more": more,
        "misses_next": f"{report.misses[-1].case_id}-{report.misses[-1].kind}" if more else None,
    }


@router.get(
    "/backlog",
    response={200: BacklogOut, **errors(401, 403, 422, 503)},
    summary="Open cases now by dimension and the recorded daily trend (I1)",
)
def backlog_json(request: HttpRequest, q: Query[RangeQuery]) -> dict[str, Any]:
    report = backlog_report(scope=_scope(request), start=q.start, end=q.end, now=clock.now())
    return {
        "at": report.at,
        "total": report.total,
        "by_dimension": {
            dim: [{"label": label, "open": n} for label, n in items]
            for dim, items in report.by_dimension.items()
        },
        "trend": [{"day": d, "open": n} for d, n in report.trend],
    }


@router.get(
    "/follow-ups",
    response={200: FollowupOut, **errors(401, 403, 422, 503)},
    summary="Follow-up outcomes: reminders, responses, automatic closes, re-openings (C5)",
)
def followups_json(request: HttpRequest, q: Query[ServiceLevelQuery]) -> dict[str, Any]:
    report = followup_outcomes(
        scope=_scope(request), start=q.start, end=q.end, period=q.period, now=clock.now()
    )
    return report.as_dict()


@router.get(
    "/escalations",
    response={200: EscalationReportOut, **errors(401, 403, 422, 503)},
    summary="Escalations: requested, eligible and refused by reason, outcomes (C6)",
)
def escalations_json(request: HttpRequest, q: Query[ServiceLevelQuery]) -> dict[str, Any]:
    report = escalation_report(
        scope=_scope(request), start=q.start, end=q.end, period=q.period, now=clock.now()
    )
    total = report.total
    return {
        **report.as_dict(),
        "refused_by_reason": [
            {"code": c, "label": label, "count": n} for c, label, n in report.extra["refusals"]
        ],
        "by_kind": [
            {"code": c, "label": label, "count": n} for c, label, n in report.extra["kinds"]
        ],
        "time_to_outcome": [
            {
                "outcome": m.split(".", 1)[1],
                "count": total.get(m),
                "average_hours": total.average_hours(m),
            }
            for m in ("escalation.in_progress", "escalation.resolved", "escalation.declined")
        ],
        "open_now": report.open_now,
    }


@router.get(
    "/satisfaction",
    response={200: SatisfactionOut, **errors(401, 403, 422, 503)},
    summary="Survey scores by priority, region, product, engineer and period (F7)",
)
def satisfaction_json(request: HttpRequest, q: Query[ServiceLevelQuery]) -> dict[str, Any]:
    """A contact gets the figures without the comments: those are colleagues' words on
    cases she may not be allowed to open (A3)."""
    report = satisfaction(
        scope=_scope(request), start=q.start, end=q.end, period=q.period, now=clock.now()
    )
    dims = report.by_dimension
    return {
        "start": report.start,
        "end": report.end,
        "period": report.period,
        "total": report.total.as_dict(),
        "trend": [r.as_dict() for r in report.trend],
        "by_priority": [r.as_dict() for r in dims["priority"]],
        "by_region": [r.as_dict() for r in dims["region"]],
        "by_product": [r.as_dict() for r in dims["product"]],
        "by_engineer": [r.as_dict() for r in dims["assignee"]],
        "distribution": [{"score": s, "responses": n} for s, n in report.distribution],
        "comments": [] if caller(request).is_contact else [vars(c) for c in report.comments],
    }
