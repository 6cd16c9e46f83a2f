"""The case timeline with the records kept beside it (item 7): the case's own events, plus the
cutover notice for its site whose window it was opened in (G1), the site's VoIP assessments and
changes around it (G2, G3), its site visits (G4) and its routing out of support (G5, G6), each
with its visibility.

These records are not case events, so they are merged in when read rather than copied into
the audit trail: a notice filed or a visit decided later still shows, and nothing about them
mails the customer. ``TimelineEntry`` quacks like a ``CaseEvent`` where the timeline template
and the API read one (``at``, ``kind``, ``summary``, ``body``, ``public``, ``actor``, ``data``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from casedesk.accounts.models import User
from casedesk.cases.models import Case, CaseEvent
from casedesk.cases.permissions import can_see_internal
from casedesk.cases.selectors import case_timeline
from casedesk.obligations.models import CutoverNotice
from casedesk.obligations.selectors import notices_for_case
from casedesk.obligations.sites import SiteEntry, case_site_entries

from .models import SiteVisit, VisitState
from .selectors import routing_for, visits_for_case

KIND_LABELS = {
    "cutover": "Cutover notice",
    "voip_assessment": "VoIP readiness",
    "site_change": "Site change",
    "site_visit": "Site visit",
    "routing": "Routed out of support",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    summary: str
    body: str = ""
    public: bool = True
    actor: User | None = None
    data: dict[str, Any] = field(default_factory=dict)
    pk: None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _visit_entries(visits: list[SiteVisit]) -> list[TimelineEntry]:
    entries = []
    for v in visits:
        what = f"{v.days} day{'s' if v.days != 1 else ''} from {v.visit_on:%a %d %b %Y}"
        cost = (
            f"billable: travel {v.travel_cost} + {v.days} × {v.daily_rate} = {v.charge} "
            f"{v.currency}"
            if v.billable
            else "not billable"
        )
        data = {"site_visit": v.pk, "state": v.state}
        entries.append(
            TimelineEntry(
                v.requested_at,
                "site_visit",
                f"Site visit requested: {what}",
                f"{v.reason}\n({cost})",
                public=False,
                actor=v.requested_by,
                data=data,
            )
        )
        if v.decided_at is not None:
            approved = v.state == VisitState.APPROVED
            entries.append(
                TimelineEntry(
                    v.decided_at,
                    "site_visit",
                    f"Site visit {'approved' if approved else 'declined'}: {what}, {cost}",
                    v.decision_note,
                    public=approved,
                    actor=v.decided_by,
                    data=data,
                )
            )
    return entries


def case_timeline_with_records(
    user: User,
    case: Case,
    *,
    notices: list[CutoverNotice] | None = None,
    visits: list[SiteVisit] | None = None,
    site_entries: list[SiteEntry] | None = None,
) -> list[CaseEvent | TimelineEntry]:
    """``case_timeline`` (already scoped) plus the records above the user may see, by time;
    a case event and a record at the same moment keep the event first. A page that already
    read the case's ``notices``, ``visits`` or ``site_entries`` (as ``user`` may see them)
    passes them in."""
    items: list[CaseEvent | TimelineEntry] = list(case_timeline(user, case))
    for n in notices_for_case(case) if notices is None else notices:
        items.append(
            TimelineEntry(
                case.opened_at,
                "cutover",
                f"Opened during a cutover at {n.site.name}: {n.get_kind_display()}, "
                f"{n.cutover_start:%Y-%m-%d %H:%M} – {n.cutover_end:%Y-%m-%d %H:%M} UTC",
                f"{n.product_line} · technician {n.technician} · site contact {n.site_contact}",
                actor=n.filed_by,
                data={"cutover_notice": n.pk},
            )
        )
    items.extend(_visit_entries(visits_for_case(user, case) if visits is None else visits))
    routing = routing_for(case) if case.is_closed else None  # routing always closes the case
    if routing is not None:
        items.append(
            TimelineEntry(
                routing.routed_at,
                "routing",
                f"{routing.get_kind_display()}: routed to {routing.route_to}",
                "",  # the answer itself is the closing comment, already on the timeline
                actor=routing.routed_by,
                data={"route_to": routing.route_to, "kind": routing.kind},
            )
        )
    items.extend(  # the site's VoIP assessments and changes around the case (G2, G3)
        TimelineEntry(e.at, e.kind, e.summary, e.body, e.public, e.actor, e.data)
        for e in (case_site_entries(user, case) if site_entries is None else site_entries)
    )
    if not can_see_internal(user):
        items = [i for i in items if i.public]
    return sorted(items, key=lambda i: (i.at, isinstance(i, TimelineEntry)))
