"""Holds (G2): a case parked until something outside it happens, and its release.

``case_transition`` refuses the hold edges: a hold has a rule of its own that only its
domain can check (a VoIP hold needs the site's readiness, ``obligations.services.voip_hold``),
so that domain checks it and then calls ``case_hold``. The release is the system answering
for the customer (the "customer responded" edge), so the case is back with support.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.policy.transitions import Action, Actor, SubStatus

from ..models import Case
from ._common import _apply_transition, _lock, _reject_control_characters, _require_support

HOLDS = {SubStatus.VOIP_READINESS_PENDING: Action.HOLD_VOIP}


@transaction.atomic
def case_hold(
    *,
    case: Case,
    actor: User,
    hold: SubStatus,
    reason: str,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Case:
    """Park the case in ``hold``; the caller has checked the hold's own rule. Support only;
    the why is told to the customer (they are the ones who can end the wait)."""
    _require_support(actor)
    _reject_control_characters(reason=reason)
    locked = _lock(case, expected_version)
    _apply_transition(
        locked,
        action=HOLDS[hold],
        actor_kind=Actor.SUPPORT,
        actor=actor,
        to=hold,
        reason=reason.strip(),
        now=now,
    )
    return locked


@transaction.atomic
def case_release_hold(*, case: Case, hold: SubStatus, reason: str, now: dt.datetime) -> bool:
    """Back to Open / Customer Responded if the case is still in ``hold`` (idempotent:
    a case someone already moved on is left alone and False is returned)."""
    locked = _lock(case, None)
    if locked.sub_status != hold.value:
        return False
    _apply_transition(
        locked,
        action=Action.CUSTOMER_RESPONSE,
        actor_kind=Actor.SYSTEM,
        actor=None,
        to=SubStatus.CUSTOMER_RESPONDED,
        reason=reason,
        now=now,
    )
    return True
