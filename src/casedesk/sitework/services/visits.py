"""Site visits (G4): requested by support on a case once the remote-troubleshooting
information is in, decided by a manager; both checked by ``policy.site_visits``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.cases.models import Case
from casedesk.cases.permissions import is_participant
from casedesk.core.errors import NotFound, NotPermitted, PolicyViolation
from casedesk.policy.site_visits import (
    MAX_AMOUNT,
    visit_approval_verdict,
    visit_request_verdict,
)

from ..models import SiteVisit, VisitState


@dataclass(frozen=True)
class VisitDraft:
    reason: str
    visit_on: dt.date
    days: int = 1
    billable: bool = True
    travel_cost: Decimal = Decimal("0")
    daily_rate: Decimal = Decimal("0")
    currency: str = "EUR"


def _check_amounts(draft: VisitDraft) -> None:
    for name in ("travel_cost", "daily_rate"):
        value = getattr(draft, name)
        if not Decimal("0") <= value < MAX_AMOUNT:
            raise PolicyViolation(f"Give an amount from 0 to {MAX_AMOUNT:,}.", field=name)
    if len(draft.currency) != 3 or not draft.currency.isalpha() or not draft.currency.isascii():
        raise PolicyViolation("A currency is three letters, e.g. EUR.", field="currency")
    if not draft.reason.strip():
        raise PolicyViolation("Say why someone must go on site.", field="reason")


@transaction.atomic
def site_visit_request(
    *, case: Case, actor: User, draft: VisitDraft, now: dt.datetime
) -> SiteVisit:
    """Support asks for a visit; refused until the case holds the remote-troubleshooting
    information (its C4 mark), and on a closed case."""
    locked = Case.objects.select_for_update().select_related("contract__site").get(pk=case.pk)
    if not is_participant(actor, locked):
        raise NotFound("No such case.")
    if not actor.is_support:
        raise NotPermitted("Support requests site visits.")
    _check_amounts(draft)
    verdict = visit_request_verdict(
        case_closed=locked.is_closed,
        remote_info_received_at=locked.all_info_at,
        requested_at=now,
        visit_on=draft.visit_on,
        days=draft.days,
    )
    if not verdict.allowed:
        raise PolicyViolation(verdict.reason, field=verdict.field or None)
    site = locked.contract.site
    return SiteVisit.objects.create(
        case=locked,
        site=site,
        organisation_id=site.organisation_id,
        requested_by=actor,
        requested_at=now,
        reason=draft.reason.strip(),
        visit_on=draft.visit_on,
        days=draft.days,
        billable=draft.billable,
        travel_cost=draft.travel_cost,
        daily_rate=draft.daily_rate,
        currency=draft.currency.upper(),
        remote_info_received_at=locked.all_info_at,
    )


@transaction.atomic
def site_visit_decide(
    *, visit: SiteVisit, actor: User, approve: bool, note: str, now: dt.datetime
) -> SiteVisit:
    """A manager approves or declines a pending request, never their own (G4)."""
    locked = SiteVisit.objects.select_for_update().get(pk=visit.pk)
    verdict = visit_approval_verdict(
        approver_role=actor.role,
        approver_id=actor.pk,
        requested_by_id=locked.requested_by_id,
        state=locked.state,
    )
    if not verdict.allowed:
        raise NotPermitted(verdict.reason)
    if not approve and not note.strip():
        raise PolicyViolation("Say why the visit is declined.", field="note")
    locked.state = VisitState.APPROVED if approve else VisitState.DECLINED
    locked.decided_by = actor
    locked.decided_at = now
    locked.decision_note = note.strip()
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return locked
