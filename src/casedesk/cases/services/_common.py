"""What every case service shares: the row lock, the version bump, the timeline event with
its notifications, the guards, and ``_apply_transition``, the one writer of status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casedesk.accounts.models import Role, User
from casedesk.core.errors import (
    NotFound,
    NotPermitted,
    PolicyViolation,
    StaleObject,
    TransitionNotAllowed,
)
from casedesk.core.rows import Inserter
from casedesk.notifications.services import notify_case_event
from casedesk.policy.text import has_c0_control
from casedesk.policy.transitions import (
    STATUS_OF,
    Action,
    Actor,
    CloseReason,
    SubStatus,
    check_transition,
)
from casedesk.sla.milestones import (
    milestone_meet,
    milestones_on_close,
    milestones_on_reopen,
    refresh_next_due,
)
from casedesk.sla.retention import retention_on_transition
from casedesk.sla.services import followups_on_transition

from ..models import Case, CaseEvent, EventKind
from ..permissions import NOT_YOURS, is_participant, may_decide

# Written on every action; see core.rows.Inserter.
_EVENTS = Inserter(CaseEvent)


def _event(
    case: Case,
    *,
    kind: str,
    actor: User | None,
    now: dt.datetime,
    body: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = _EVENTS.insert(
        CaseEvent(
            case=case, at=now, actor=actor, kind=kind, public=public, body=body, data=data or {}
        )
    )
    notify_case_event(event=event, now=now)  # E1: outbox rows in this transaction
    return event


# Staff actions whose text is the message to the customer (the mail quotes it): keeping it
# internal would ask for information without saying which (item 3).
_TEXT_IS_THE_MESSAGE = frozenset({Action.REQUEST_INFO, Action.PROPOSE_SOLUTION})


def _check_text_visibility(actor: User | None, *, public: bool) -> None:
    """Only support keeps the text of an action internal; a contact's words are public."""
    if not public and (actor is None or actor.role == Role.CONTACT):
        raise NotPermitted("Contacts cannot write internal notes.")


def _event_with_text(
    case: Case,
    *,
    kind: str,
    actor: User | None,
    now: dt.datetime,
    text: str,
    text_public: bool,
    field: str,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """A public event whose free text (a status change's why, a priority reason, an
    outcome note) the customer sees only when ``text_public`` (issue 11 item 3).

    Kept internal, the text goes into an internal note right after the event and the
    public event carries none, so no path that shows public events (portal, API, the mails
    that quote ``event.body``) can leak it: ``public`` stays the one flag that decides.
    """
    if text_public or not text:
        return _event(case, kind=kind, actor=actor, now=now, body=text, data=data)
    event = _event(
        case, kind=kind, actor=actor, now=now, data={**(data or {}), "text_internal": True}
    )
    _event(
        case,
        kind=EventKind.NOTE,
        actor=actor,
        now=now,
        body=text,
        public=False,
        data={"about": kind, "field": field, "event": event.pk},
    )
    return event


def _lock(case: Case, expected_version: int | None) -> Case:
    """The current row, locked for this transaction; refuse a write based on a stale read."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleObject(
            "This case was changed by someone else after you loaded it. Reload it, check the "
            "latest updates, and try again; nothing you entered was saved."
        )
    return locked


def _touch(case: Case, now: dt.datetime, fields: list[str]) -> None:
    case.version += 1
    case.updated_at = now
    case.save(update_fields=[*fields, "version", "updated_at"])


def _require_participant(actor: User, case: Case) -> None:
    if not is_participant(actor, case):
        raise NotFound("No such case.")


def _require_decider(actor: User, case: Case) -> None:
    """Closing, priority, escalation, re-open requests: the case's own contact or support
    (C9); a colleague who may only see the case is told so (403), not shown a 404."""
    _require_participant(actor, case)
    if not may_decide(actor, case):
        raise NotPermitted(NOT_YOURS)


def _require_support(actor: User) -> None:
    if actor.role == Role.CONTACT:
        raise NotPermitted("Only support staff may do this.")


def _reject_control_characters(**texts: str) -> None:
    """NUL and other C0 controls are never meant and PostgreSQL refuses NUL outright."""
    for field, text in texts.items():
        if has_c0_control(text):
            raise PolicyViolation("Remove the control characters from this text.", field=field)


def _apply_transition(
    case: Case,
    *,
    action: Action,
    actor_kind: Actor,
    actor: User | None,
    to: SubStatus,
    reason: str,
    now: dt.datetime,
    close_reason: CloseReason | None = None,
    extra_fields: list[str] | None = None,
    reason_public: bool = True,
) -> None:
    """The one writer of status (convention 3); ``case`` must already be locked.
    ``reason_public=False`` keeps the why for support (``_event_with_text``)."""
    verdict = check_transition(
        action=action,
        actor=actor_kind,
        status=case.status_enum,
        sub_status=case.sub_status_enum,
        to_sub_status=to,
        close_reason=close_reason,
    )
    if not verdict:
        raise TransitionNotAllowed(verdict.reason)
    before = (case.status_enum, case.sub_status_enum)
    case.status = STATUS_OF[to].value
    case.sub_status = to.value
    fields = ["status", "sub_status", *(extra_fields or [])]
    settled: dict[str, str] = {}
    if action is Action.CLOSE:
        case.closed_at = now
        case.close_reason = close_reason.value if close_reason else ""
        case.closed_by_followup = close_reason is CloseReason.NO_RESPONSE
        fields += ["closed_at", "close_reason", "closed_by_followup"]
        settled = milestones_on_close(case=case, now=now)  # C9: milestones end with the case
        fields.append("next_due_at")
    elif action is Action.REOPEN:
        case.closed_at = None
        case.close_reason = ""
        case.closed_by_followup = False
        fields += ["closed_at", "close_reason", "closed_by_followup"]
        fields += milestones_on_reopen(case=case, now=now)
    fields += followups_on_transition(case=case, action=action, now=now)
    retention_on_transition(case=case, action=action, now=now)
    if action is Action.PROPOSE_SOLUTION and milestone_meet(case=case, kind="fix", now=now):
        fields += refresh_next_due(case)
    _touch(case, now, fields)
    _event_with_text(
        case,
        kind=EventKind.TRANSITION,
        actor=actor,
        now=now,
        text=reason,
        text_public=reason_public,
        field="reason",
        data={
            "action": action.value,
            "from": [before[0].value, before[1].value],
            "to": [case.status, case.sub_status],
            "from_label": f"{before[0].label} / {before[1].label}",
            "to_label": f"{STATUS_OF[to].label} / {to.label}",
            "close_reason": close_reason.value if close_reason else "",
            **({"milestones": settled} if settled else {}),
        },
    )
