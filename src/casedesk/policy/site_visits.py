"""Site visits (G4): when one may be requested, who approves it, and what it costs.

Support goes on site only when remote troubleshooting has run out: the case must be open and
the customer must already have sent the information remote troubleshooting needs (the case's
"all necessary information provided" mark, C4). A manager approves, never the person who asked
(four eyes on a cost the customer may be billed). A billable visit costs its travel plus the
daily rate per day on site; one that is not billable costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MAX_DAYS = 30
MAX_AMOUNT = Decimal("1000000")


@dataclass(frozen=True)
class VisitVerdict:
    allowed: bool
    reason: str
    field: str = ""


def visit_request_verdict(
    *,
    case_closed: bool,
    remote_info_received_at: datetime | None,
    requested_at: datetime,
    visit_on: date,
    days: int,
) -> VisitVerdict:
    """May a visit be requested now, for ``days`` days from ``visit_on``?"""
    if case_closed:
        return VisitVerdict(False, "The case is closed; re-open it before planning a visit.")
    if remote_info_received_at is None or remote_info_received_at > requested_at:
        return VisitVerdict(
            False,
            "A site visit can be requested only after the remote-troubleshooting information "
            "was received: mark the case “All necessary information provided” first (G4, C4).",
        )
    if not 1 <= days <= MAX_DAYS:
        return VisitVerdict(False, f"A visit lasts 1 to {MAX_DAYS} days.", "days")
    if visit_on < requested_at.date():
        return VisitVerdict(False, "The visit date is in the past.", "visit_on")
    return VisitVerdict(True, "Remote-troubleshooting information received; visit may go ahead.")


def visit_approval_verdict(
    *, approver_role: str, approver_id: int, requested_by_id: int, state: str
) -> VisitVerdict:
    """Only a manager decides, only a pending request, and never their own request."""
    if approver_role != "manager":
        return VisitVerdict(False, "Only a manager approves or declines a site visit.")
    if state != "requested":
        return VisitVerdict(False, "This visit was already decided.")
    if approver_id == requested_by_id:
        return VisitVerdict(False, "Another manager must decide a visit you requested yourself.")
    return VisitVerdict(True, "")


def visit_charge(
    *, billable: bool, days: int, daily_rate: Decimal, travel_cost: Decimal
) -> Decimal:
    """What the customer is billed: travel plus the daily rate per day; zero if not billable."""
    if daily_rate < 0 or travel_cost < 0:
        raise ValueError("rates cannot be negative")
    if not billable:
        return Decimal("0.00")
    return (travel_cost + daily_rate * days).quantize(Decimal("0.01"))
