"""The conversation on a case (B5): customer updates, public replies, internal notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.policy.transitions import Action, Actor, Status, SubStatus

from ..models import Case, CaseEvent, EventKind
from ..permissions import actor_for
from ._common import (
    _apply_transition,
    _event,
    _lock,
    _reject_control_characters,
    _require_participant,
    _touch,
)


@transaction.atomic
def case_add_update(
    *,
    case: Case,
    actor: User,
    body: str,
    now: dt.datetime,
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """A contact's update, an engineer's public reply, or an internal note (B5).

    A customer update while the case waits on the customer moves it to
    Open / Customer Responded. ``data`` rides on the event (an e-mail reply's channel,
    sanitised HTML and quoted history).
    """
    _require_participant(actor, case)
    _reject_control_characters(body=body)
    text = body.strip()
    if not text:
        raise PolicyViolation("Write something first.", field="body")
    locked = _lock(case, None)
    if locked.is_closed:
        raise PolicyViolation(
            "This case is closed. Request to re-open it with the new information, or open a "
            "new case.",
            field="body",
        )
    kind_of_actor = actor_for(actor)
    if kind_of_actor is Actor.CONTACT:
        if internal:
            raise NotPermitted("Contacts cannot write internal notes.")
        event = _event(
            locked, kind=EventKind.CUSTOMER_UPDATE, actor=actor, now=now, body=text, data=data
        )
        if locked.status_enum in (Status.AWAITING_INFO, Status.SOLUTION_PROPOSED):
            _apply_transition(
                locked,
                action=Action.CUSTOMER_RESPONSE,
                actor_kind=Actor.CONTACT,
                actor=actor,
                to=SubStatus.CUSTOMER_RESPONDED,
                reason="Customer update received.",
                now=now,
            )
        else:
            _touch(locked, now, [])
        return event
    kind = EventKind.NOTE if internal else EventKind.REPLY
    event = _event(
        locked, kind=kind, actor=actor, now=now, body=text, public=not internal, data=data
    )
    _touch(locked, now, [])
    return event
