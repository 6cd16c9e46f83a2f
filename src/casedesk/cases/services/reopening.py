"""Re-opening a closed case within the window (B7), or a follow-on case after it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation, TransitionNotAllowed
from casedesk.policy.reopen import reopen_decision
from casedesk.policy.transitions import Action, Actor, SubStatus
from casedesk.sla.selectors import policy

from ..models import Case, CaseEvent, Channel, EventKind
from ..permissions import actor_for
from ._common import (
    _apply_transition,
    _event,
    _lock,
    _reject_control_characters,
    _require_decider,
    _require_participant,
)
from .opening import CaseDraft, case_open


def reopen_requested_at(case: Case) -> dt.datetime | None:
    """When the contact asked to re-open this closure, if a request is pending (C9)."""
    if case.sub_status != SubStatus.CUSTOMER_REQUESTED_REOPEN:
        return None
    return (
        CaseEvent.objects.filter(
            case=case,
            kind=EventKind.TRANSITION,
            data__action=Action.REQUEST_REOPEN.value,
            at__gte=case.closed_at,
        )
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )


@transaction.atomic
def case_reopen(*, case: Case, actor: User, information: str, now: dt.datetime) -> Case:
    """B7: within the case policy's window and with new information.

    From the portal this is a request (Closed / Customer Requested Re-open) that support
    accepts, also after the window if it was made within it (C9); support re-opens directly
    (by phone), including cases closed by follow-up. Only the case's own contact asks (C9).
    """
    _require_decider(actor, case)
    _reject_control_characters(information=information)
    locked = _lock(case, None)
    if not locked.is_closed or locked.closed_at is None:
        raise TransitionNotAllowed("Only a closed case can be re-opened.")
    kind = actor_for(actor)
    verdict = reopen_decision(
        actor=kind,
        closed_at=locked.closed_at,
        now=now,
        closed_by_followup=locked.closed_by_followup,
        new_information=information,
        window_days=policy(locked.policy_version).reopen_window_days,
        requested_at=reopen_requested_at(locked),
    )
    if not verdict:
        raise PolicyViolation(verdict.reason, field="information")
    _event(
        locked,
        kind=EventKind.CUSTOMER_UPDATE if kind is Actor.CONTACT else EventKind.REPLY,
        actor=actor,
        now=now,
        body=information.strip(),
    )
    if kind is Actor.CONTACT:
        _apply_transition(
            locked,
            action=Action.REQUEST_REOPEN,
            actor_kind=kind,
            actor=actor,
            to=SubStatus.CUSTOMER_REQUESTED_REOPEN,
            reason=verdict.reason,
            now=now,
        )
    else:
        _apply_transition(
            locked,
            action=Action.REOPEN,
            actor_kind=kind,
            actor=actor,
            to=SubStatus.INVESTIGATION,
            reason=verdict.reason,
            now=now,
        )
    return locked


def case_open_follow_on(
    *,
    old_case: Case,
    contact: User,
    draft: CaseDraft,
    now: dt.datetime,
    opened_by: User | None = None,
    channel: str = Channel.WEB,
) -> Case:
    """B7: after the re-open window, a new case linked to the old one."""
    _require_participant(opened_by or contact, old_case)
    if not old_case.is_closed:
        raise PolicyViolation("The earlier case is still open; update it instead.")
    return case_open(
        contact=contact,
        draft=draft,
        now=now,
        opened_by=opened_by,
        channel=channel,
        linked_from=old_case,
    )
