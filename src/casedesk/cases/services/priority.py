"""Changing a case's priority and its Production Down flag (B8, B3)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation
from casedesk.policy.priority import (
    EmergencyCriterion,
    Priority,
    priority_change_decision,
    production_down_decision,
)
from casedesk.policy.sla import urgency_rank
from casedesk.policy.transitions import Actor
from casedesk.sla.milestones import milestones_on_priority
from casedesk.sla.services import followups_on_priority

from ..models import Case, EventKind
from ..permissions import actor_for
from ._common import (
    _check_text_visibility,
    _event_with_text,
    _lock,
    _require_decider,
    _touch,
)


@transaction.atomic
def case_change_priority(
    *,
    case: Case,
    actor: User,
    priority: Priority | str,
    reason: str,
    now: dt.datetime,
    production_down: bool | None = None,
    emergency_criterion: str | None = None,
    expected_version: int | None = None,
    reason_public: bool | None = None,
) -> Case:
    """B8: Low → Medium by the case's own contact with a work note (C9: not a colleague);
    everything else by support.

    Support's reason is internal unless ``reason_public`` (it is triage talk such as "40
    agents affected; raising", issue 11 item 3); a contact's work note is their own words
    and always public.
    """
    _require_decider(actor, case)
    if reason_public is None:
        reason_public = actor_for(actor) is Actor.CONTACT
    _check_text_visibility(actor, public=reason_public)
    try:
        requested = Priority(priority)
        criterion = EmergencyCriterion(emergency_criterion) if emergency_criterion else None
    except ValueError:
        raise PolicyViolation(
            "Unknown priority or emergency criterion.", field="priority"
        ) from None
    locked = _lock(case, expected_version)
    if locked.is_closed:
        raise PolicyViolation("The priority of a closed case cannot change.")
    kind = actor_for(actor)
    down = locked.production_down if production_down is None else production_down
    if kind is Actor.CONTACT and production_down is not None:
        raise PolicyViolation(
            "Production Down is set by support after a phone call.", field="production_down"
        )
    if requested is not Priority.CRITICAL:
        down, criterion = False, None
    elif criterion is None and down:
        criterion = (
            EmergencyCriterion(locked.emergency_criterion) if locked.emergency_criterion else None
        )
    unchanged = requested.value == locked.priority and down == locked.production_down
    if unchanged:
        raise PolicyViolation(f"The case is already {requested.label}.", field="priority")
    if requested.value != locked.priority:
        verdict = priority_change_decision(
            actor=kind, current=locked.priority_enum, requested=requested, reason=reason
        )
        if not verdict:
            raise PolicyViolation(verdict.reason, field="priority")
    elif not reason.strip():
        raise PolicyViolation("A priority change needs a reason.", field="reason")
    flag = production_down_decision(priority=requested, production_down=down, criterion=criterion)
    if not flag:
        raise PolicyViolation(flag.reason, field="emergency_criterion")
    before = {"priority": locked.priority, "production_down": locked.production_down}
    locked.priority = requested.value
    locked.production_down = down
    locked.emergency_criterion = criterion.value if criterion else ""
    locked.urgency = urgency_rank(requested, down)
    moved = milestones_on_priority(case=locked, now=now)  # C9: the target follows the priority
    _touch(locked, now, ["priority", "production_down", "emergency_criterion", "urgency", *moved])
    followups_on_priority(case=locked, now=now)
    _event_with_text(
        locked,
        kind=EventKind.PRIORITY,
        actor=actor,
        now=now,
        text=reason.strip(),
        text_public=reason_public,
        field="reason",
        data={
            "from": before["priority"],
            "to": requested.value,
            "production_down_from": before["production_down"],
            "production_down": down,
        },
    )
    return locked
