"""Support's milestone marks (C3, C4): all information provided, root cause found."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casedesk.accounts.models import User
from casedesk.core.errors import PolicyViolation
from casedesk.sla.milestones import milestone_meet, milestone_start_root_cause

from ..models import Case, EventKind
from ._common import _event, _lock, _require_participant, _require_support, _touch


@transaction.atomic
def case_mark_all_info_provided(*, case: Case, actor: User, now: dt.datetime) -> Case:
    """C4: starts the root-cause clock; recorded once."""
    _require_participant(actor, case)
    _require_support(actor)
    locked = _lock(case, None)
    if locked.is_closed:
        raise PolicyViolation("The case is closed.")
    if locked.all_info_at is not None:
        raise PolicyViolation(
            f"All necessary information was already marked provided at "
            f"{locked.all_info_at:%Y-%m-%d %H:%M} UTC."
        )
    locked.all_info_at = now
    _touch(locked, now, ["all_info_at"])
    milestone = milestone_start_root_cause(case=locked, now=now)
    _event(
        locked,
        kind=EventKind.ALL_INFO,
        actor=actor,
        now=now,
        data={"root_cause_due": milestone.target_at.isoformat(), "reason": milestone.reason},
    )
    return locked


@transaction.atomic
def case_mark_root_cause(*, case: Case, actor: User, summary: str, now: dt.datetime) -> Case:
    """C3: the root-cause milestone is met; Production Down starts its fix target."""
    _require_participant(actor, case)
    _require_support(actor)
    if not summary.strip():
        raise PolicyViolation("Summarise the root cause.", field="summary")
    locked = _lock(case, None)
    if locked.all_info_at is None:
        raise PolicyViolation("Mark all necessary information provided first (C4).")
    met = milestone_meet(case=locked, kind="root_cause", now=now)
    if met is None:
        raise PolicyViolation("The root cause was already recorded.")
    _touch(locked, now, [])
    _event(
        locked,
        kind=EventKind.ROOT_CAUSE,
        actor=actor,
        now=now,
        body=summary.strip(),
        data={"on_time": now <= met.target_at},
    )
    return locked
