"""Every read of site work, scoped: a contact sees only their own organisation's notices and
diagrams, and of a visible case only the visits a manager approved; support sees all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.core.errors import NotFound
from casedesk.obligations.models import CutoverNotice
from casedesk.obligations.selectors import notices_visible_to
from casedesk.policy.cutover_window import WindowFlags, cutover_window_flags
from casedesk.sla.selectors import calendar_for, current_policy_number

from .models import CutoverDiagram, ScopeRouting, SiteVisit, VisitState


def visits_for_case(user: User, case: Case) -> list[SiteVisit]:
    """``case`` must already be one ``user`` may see (``access_case``)."""
    qs = SiteVisit.objects.filter(case=case).select_related("requested_by", "decided_by")
    if not user.is_support:
        qs = qs.filter(state=VisitState.APPROVED)
    return list(qs)


def visits_to_decide(user: User, limit: int = 100) -> list[SiteVisit]:
    """Requests awaiting a manager, oldest first, then approved visits still to come."""
    if not user.is_support:
        return []
    return list(
        SiteVisit.objects.filter(state=VisitState.REQUESTED)
        .select_related("case", "site", "organisation", "requested_by")
        .order_by("requested_at", "id")[:limit]
    )


def access_visit(user: User, visit_id: int) -> SiteVisit:
    """Support only: a contact asking by id gets the same NotFound as a missing visit."""
    visit = (
        SiteVisit.objects.select_related("case", "site", "requested_by").filter(pk=visit_id).first()
        if user.is_support
        else None
    )
    if visit is None:
        raise NotFound("No such site visit.")
    return visit


def routing_for(case: Case) -> ScopeRouting | None:
    return ScopeRouting.objects.filter(case=case).select_related("routed_by").first()


def access_notice(user: User, notice_id: int) -> CutoverNotice:
    notice = notices_visible_to(user).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("No such cutover notice.")
    return notice


def diagram_of(user: User, notice_id: int) -> CutoverDiagram:
    """The diagram if ``user`` may see its notice; otherwise NotFound, like a missing one."""
    diagram = (
        CutoverDiagram.objects.select_related("notice")
        .filter(notice__in=notices_visible_to(user).values("pk"), notice_id=notice_id)
        .first()
    )
    if diagram is None:
        raise NotFound("No such diagram.")
    return diagram


def diagrams_by_notice(notice_ids: list[int]) -> dict[int, CutoverDiagram]:
    return {d.notice_id: d for d in CutoverDiagram.objects.filter(notice_id__in=notice_ids)}


@dataclass(frozen=True)
class CutoverRow:
    notice: CutoverNotice
    flags: WindowFlags
    diagram: CutoverDiagram | None


def cutover_calendar(notices: list[CutoverNotice]) -> list[tuple[dt.date, list[CutoverRow]]]:
    """The engineers' calendar (G1): notices grouped by their start's local date in the
    site's region, each with its after-hours, weekend and holiday flags and its diagram."""
    number = current_policy_number()
    diagrams = diagrams_by_notice([n.pk for n in notices])
    days: dict[dt.date, list[CutoverRow]] = {}
    for n in notices:
        calendar = calendar_for(number, n.region)
        flags = cutover_window_flags(n.cutover_start, n.cutover_end, calendar)
        day = n.cutover_start.astimezone(calendar.zone).date()
        days.setdefault(day, []).append(CutoverRow(n, flags, diagrams.get(n.pk)))
    return sorted(days.items())
