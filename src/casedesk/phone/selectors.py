"""Every read of calls (H1, C3): the live list, emergencies first, and what the phone screen
shows about a caller."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import QuerySet

from casedesk.accounts.models import Contract, Role, User
from casedesk.accounts.selectors import contracts_with_maintenance
from casedesk.cases.models import Case
from casedesk.policy.decision import Decision
from casedesk.policy.holdtime import HoldResult, hold_verdict
from casedesk.policy.transitions import Status
from casedesk.sla.selectors import calendar_for, current_policy_number

from .models import Call, TelephonyToken


def live_calls() -> list[Call]:
    """Calls not ended: emergencies first, then unanswered before answered, oldest first (H1)."""
    qs = Call.objects.filter(ended_at__isnull=True).select_related(
        "caller", "caller__organisation", "engineer"
    )
    return sorted(qs, key=lambda c: (not c.emergency, c.answered_at is not None, c.queued_at))


def recent_calls(limit: int = 50) -> QuerySet[Call]:
    return Call.objects.select_related("caller", "caller__organisation", "engineer")[:limit]


def call_by_external_id(external_id: str) -> Call | None:
    return Call.objects.filter(external_id=external_id).select_related("caller").first()


def open_cases_of(caller: User) -> list[Case]:
    """The open cases of the caller's organisation, most urgent first (the phone screen)."""
    return list(
        Case.objects.filter(organisation_id=caller.organisation_id)
        .exclude(status=Status.CLOSED)
        .select_related("contact")
        .order_by("urgency", "opened_at")
    )


def open_cases_of_contact(caller: User) -> list[Case]:
    """The caller's own open cases (what the IVR may read back to them)."""
    return [case for case in open_cases_of(caller) if case.contact_id == caller.pk]


@dataclass(frozen=True)
class CallerCard:
    caller: User
    contracts: list[tuple[Contract, Decision]]
    open_cases: list[Case]

    @property
    def under_maintenance(self) -> bool:
        return any(decision.allowed for _, decision in self.contracts)


def caller_card(caller: User, now: dt.datetime) -> CallerCard:
    """Maintenance is judged by each contract's site-local date (C9)."""
    return CallerCard(caller, contracts_with_maintenance(caller, now), open_cases_of(caller))


def call_hold(call: Call) -> HoldResult:
    """The call's hold against C3, in its region's calendar (default region if unidentified)."""
    production_down = call.emergency or any(c.production_down for c in call.cases.all())
    return hold_verdict(
        production_down=production_down,
        queued_at=call.queued_at,
        answered_at=call.answered_at,
        calendar=calendar_for(current_policy_number(), call.region),
    )


def telephony_token_for(raw: str) -> TelephonyToken | None:
    """The live telephony token behind a bearer string, looked up by digest (rule 12)."""
    if not raw.startswith("cdt_") or len(raw) > 200:
        return None
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return TelephonyToken.objects.filter(digest=digest, revoked_at__isnull=True).first()


def contact_by_pin(pin: str) -> User | None:
    """The one active contact with this PIN, or None — for a PIN nobody has and for one two
    contacts share alike, so the answer never tells the two apart. The same single query
    runs whatever the PIN (no early return), so timing does not either."""
    found = list(
        User.objects.filter(role=Role.CONTACT, is_active=True, support_pin=pin)
        .select_related("organisation")
        .order_by("pk")[:2]
    )
    return found[0] if len(found) == 1 else None


def caller_by_pin(pin: str, now: dt.datetime) -> CallerCard | None:
    """The caller's card for a PIN, or None. A miss runs the same queries as a match (on an
    unsaved contact of no organisation), so how long the answer takes says nothing either."""
    contact = contact_by_pin(pin)
    card = caller_card(contact or User(role=Role.CONTACT, organisation=None), now)
    return card if contact is not None else None
