"""Status changes along the edges of the status table (B4) and the closing of a silent
case by the follow-up ladder (C5, B6); ``_common._apply_transition`` does the writing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation
from casedesk.policy.transitions import Action, Actor, CloseReason, SubStatus

from ..models import Case
from ..permissions import OWNER_ACTIONS, actor_for
from ._common import (
    _TEXT_IS_THE_MESSAGE,
    _apply_transition,
    _check_text_visibility,
    _lock,
    _reject_control_characters,
    _require_decider,
    _require_participant,
)


def _parse_sub_status(value: str | SubStatus) -> SubStatus:
    try:
        return SubStatus(value)
    except ValueError:
        raise PolicyViolation(f"Unknown sub-status “{value}”.", field="sub_status") from None


@transaction.atomic
def case_transition(
    *,
    case: Case,
    actor: User,
    action: Action | str,
    to: SubStatus | str,
    reason: str,
    now: dt.datetime,
    close_reason: CloseReason | str | None = None,
    expected_version: int | None = None,
    reason_public: bool = True,
) -> Case:
    """Move a case along an edge of the status table, recording who, when and why (B4).

    The why is shown to the customer unless support keeps it internal (``reason_public``,
    issue 11 item 3); asking for information or proposing a solution says what to the
    customer, so that text cannot be internal.
    """
    _require_participant(actor, case)
    try:
        action = Action(action)
        close = CloseReason(close_reason) if close_reason else None
    except ValueError:
        raise PolicyViolation("Unknown action or close reason.", field="action") from None
    if action in (Action.REOPEN, Action.REQUEST_REOPEN):
        raise PolicyViolation("Use re-open, which checks the re-open window.", field="action")
    if action is Action.HOLD_VOIP:
        raise PolicyViolation(
            "Use the VoIP readiness hold, which checks the site's assessments (G2).",
            field="action",
        )
    if action in OWNER_ACTIONS:
        _require_decider(actor, case)
    _reject_control_characters(reason=reason)
    if action is Action.CLOSE and not reason.strip():
        raise PolicyViolation("A closure comment is required.", field="reason")
    _check_text_visibility(actor, public=reason_public)
    if not reason_public and action in _TEXT_IS_THE_MESSAGE:
        raise PolicyViolation(
            f"“{action.label}” tells the customer what this text says; make it visible to "
            "the customer (or add an internal note separately).",
            field="reason_public",
        )
    locked = _lock(case, expected_version)
    _apply_transition(
        locked,
        action=action,
        actor_kind=actor_for(actor),
        actor=actor,
        to=_parse_sub_status(to),
        reason=reason.strip(),
        now=now,
        close_reason=close,
        reason_public=reason_public,
    )
    return locked


@transaction.atomic
def case_close_after_followups(*, case: Case, now: dt.datetime, notice: str) -> Case:
    """C5/B6: the system closes a silent case after the third follow-up."""
    locked = _lock(case, None)
    _apply_transition(
        locked,
        action=Action.CLOSE,
        actor_kind=Actor.SYSTEM,
        actor=None,
        to=SubStatus.RESOLVED,
        reason=notice,
        now=now,
        close_reason=CloseReason.NO_RESPONSE,
    )
    return locked
