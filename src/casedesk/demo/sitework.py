"""The demo's site work (issue 14 item 8; G1, G4-G6): a topology diagram on the first upcoming
cutover, an approved billable site visit, one waiting for a manager, and a case about a
customisation routed to professional services."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from casedesk.cases.models import Case
from casedesk.cases.services import case_mark_all_info_provided
from casedesk.obligations.models import CutoverNotice
from casedesk.policy.transitions import Status
from casedesk.sitework.services import (
    VisitDraft,
    case_route_out_of_scope,
    cutover_diagram_store,
    site_visit_decide,
    site_visit_request,
)

from .reference import Desk

DIAGRAM = b"""<svg xmlns="http://www.w3.org/2000/svg" width="360" height="120">
<rect x="10" y="40" width="90" height="40" fill="none" stroke="black"/>
<text x="20" y="65">PBX</text>
<rect x="140" y="40" width="90" height="40" fill="none" stroke="black"/>
<text x="150" y="65">CC 9.3</text>
<rect x="270" y="40" width="80" height="40" fill="none" stroke="black"/>
<text x="280" y="65">SIP</text>
<line x1="100" y1="60" x2="140" y2="60" stroke="black"/>
<line x1="230" y1="60" x2="270" y2="60" stroke="black"/>
</svg>
"""


def seed_sitework(desk: Desk, *, now: dt.datetime) -> None:
    notice = CutoverNotice.objects.order_by("cutover_start", "pk").first()
    if notice is not None:
        cutover_diagram_store(
            notice=notice,
            actor=notice.filed_by,
            filename="northwind-topology.svg",
            stream=io.BytesIO(DIAGRAM),
            now=now,
            content_type="image/svg+xml",
        )
    elena, martin = desk.people["elena"], desk.people["martin"]
    # Open support cases of customers still under maintenance, oldest first.
    open_cases = list(
        Case.objects.filter(status=Status.OPEN, production_down=False).order_by("pk")[:3]
    )
    if len(open_cases) < 3:
        return
    visited, waiting, routed = open_cases[0], open_cases[1], open_cases[2]
    for case, approve in ((visited, True), (waiting, False)):
        case.refresh_from_db()
        if case.all_info_at is None:
            case_mark_all_info_provided(case=case, actor=elena, now=now - dt.timedelta(hours=3))
        visit = site_visit_request(
            case=case,
            actor=elena,
            draft=VisitDraft(
                reason="Remote traces show the media gateway's DSP card failing under load; "
                "swap it on site and re-test the trunks.",
                visit_on=now.date() + dt.timedelta(days=3 if approve else 8),
                days=1 if approve else 2,
                travel_cost=Decimal("180.00"),
                daily_rate=Decimal("950.00"),
            ),
            now=now - dt.timedelta(hours=2),
        )
        if approve:
            site_visit_decide(
                visit=visit,
                actor=martin,
                approve=True,
                note="Approved: billable under the maintenance terms.",
                now=now - dt.timedelta(hours=1),
            )
    routed.refresh_from_db()
    case_route_out_of_scope(
        case=routed,
        actor=elena,
        kind="customisation",
        vendor="",
        now=now - dt.timedelta(minutes=30),
    )
