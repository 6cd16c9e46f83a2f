"""Every read of cutover notices (G1), scoped: a contact sees their organisation's only."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from casedesk.accounts.models import Site, User
from casedesk.cases.models import Case
from casedesk.sla.selectors import calendar_for, current_policy_number

from .models import CutoverNotice


def notices_visible_to(user: User) -> QuerySet[CutoverNotice]:
    qs = CutoverNotice.objects.select_related("site", "organisation", "filed_by")
    if user.is_contact:
        return qs.filter(organisation_id=user.organisation_id)
    return qs


def upcoming_cutovers(
    user: User, *, now: dt.datetime, region: str = "", days: int = 60
) -> list[CutoverNotice]:
    """Cutovers not yet over, soonest first, within ``days`` (the engineers' calendar)."""
    qs = notices_visible_to(user).filter(
        cutover_end__gte=now, cutover_start__lte=now + dt.timedelta(days=days)
    )
    if region:
        qs = qs.filter(region=region)
    return list(qs)


def sites_for(user: User) -> QuerySet[Site]:
    """The sites a user may file for: a contact's organisation's; every site for support."""
    qs = Site.objects.select_related("organisation")
    return qs.filter(organisation_id=user.organisation_id) if user.is_contact else qs


def notices_for_case(case: Case) -> list[CutoverNotice]:
    """Notices for the case's site whose window the case was opened in (G1)."""
    return list(
        CutoverNotice.objects.filter(
            site_id=case.site_id,
            cutover_start__lte=case.opened_at,
            cutover_end__gte=case.opened_at,
        )
    )


def with_after_hours(notices: list[CutoverNotice]) -> list[tuple[CutoverNotice, bool]]:
    """Each notice and whether its cutover starts outside business hours (weekend, night,
    holiday) in its region calendar: those need someone on call."""
    number = current_policy_number()
    return [
        (n, not calendar_for(number, n.region).is_working_time(n.cutover_start)) for n in notices
    ]
