"""Giving a case to an engineer, or back to the queue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import Role, User
from casedesk.core.errors import PolicyViolation
from casedesk.sla.alerts import unassigned_alert_cancel

from ..models import Case, EventKind
from ._common import _event, _lock, _require_participant, _require_support, _touch


@transaction.atomic
def case_assign(
    *, case: Case, actor: User, assignee: User | None, now: dt.datetime, reason: str = ""
) -> Case:
    """Give the case to an engineer (or take it back to the queue)."""
    _require_participant(actor, case)
    _require_support(actor)
    if assignee is not None and (not assignee.is_active or assignee.role == Role.CONTACT):
        raise PolicyViolation("Cases are assigned to support staff only.", field="assignee")
    locked = _lock(case, None)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    locked.assignee = assignee
    _touch(locked, now, ["assignee"])
    if assignee is not None:
        unassigned_alert_cancel(case=locked, now=now)
    _event(
        locked,
        kind=EventKind.ASSIGNMENT,
        actor=actor,
        now=now,
        body=reason,
        public=False,
        data={
            "to": assignee.pk if assignee else None,
            "to_name": assignee.full_name if assignee else "",
        },
    )
    return locked
