"""Recording a case's outcome (B9): a defect carries its change request."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation

from ..models import Case, ChangeRequestStatus, EventKind, Outcome
from ._common import (
    _event_with_text,
    _lock,
    _reject_control_characters,
    _require_participant,
    _require_support,
    _touch,
)


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
    note_public: bool = False,
) -> Case:
    """B9: the outcome; a defect carries its change-request id and status. The note is for
    support unless ``note_public`` (engineering detail by default, issue 11 item 3)."""
    _require_participant(actor, case)
    _require_support(actor)
    _reject_control_characters(note=note)
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
    _event_with_text(
        locked,
        kind=EventKind.OUTCOME,
        actor=actor,
        now=now,
        text=note.strip(),
        text_public=note_public,
        field="note",
        data={
            "outcome": outcome,
            "outcome_label": Outcome(outcome).label,
            "change_request_id": locked.change_request_id,
            "change_request_status": locked.change_request_status,
            "hot_fix": hot_fix,
        },
    )
    return locked
