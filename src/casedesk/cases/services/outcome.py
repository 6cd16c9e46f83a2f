"""Recording a case's outcome (B9): a defect carries its change request."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation

from ..models import Case, ChangeRequestStatus, EventKind, Outcome
from ._common import _event, _lock, _require_participant, _require_support, _touch


@transaction.atomic
def case_set_outcome(
    *,
    case: Case,
    actor: User,
    outcome: str,
    now: dt.datetime,
    change_request_id: str = "",
    change_request_status: str = "",
    hot_fix: bool = False,
    note: str = "",
) -> Case:
    """B9: the outcome; a defect carries its change-request id and status."""
    _require_participant(actor, case)
    _require_support(actor)
    if outcome not in Outcome.values:
        raise PolicyViolation("Choose an outcome.", field="outcome")
    if change_request_status and change_request_status not in ChangeRequestStatus.values:
        raise PolicyViolation("Unknown change-request status.", field="change_request_status")
    if outcome == Outcome.DEFECT and not change_request_id.strip():
        raise PolicyViolation(
            "A defect is tracked as a change request: give its id.", field="change_request_id"
        )
    locked = _lock(case, None)
    locked.outcome = outcome
    locked.change_request_id = change_request_id.strip()
    locked.change_request_status = change_request_status or (
        ChangeRequestStatus.SUBMITTED if outcome == Outcome.DEFECT else ""
    )
    locked.hot_fix = hot_fix
    _touch(locked, now, ["outcome", "change_request_id", "change_request_status", "hot_fix"])
    _event(
        locked,
        kind=EventKind.OUTCOME,
        actor=actor,
        now=now,
        body=note.strip(),
        data={
            "outcome": outcome,
            "outcome_label": Outcome(outcome).label,
            "change_request_id": locked.change_request_id,
            "change_request_status": locked.change_request_status,
            "hot_fix": hot_fix,
        },
    )
    return locked
