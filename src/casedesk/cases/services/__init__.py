"""Every write to a case (convention 1): one transaction, explicit arguments, an audit event.

Each function locks the case row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
``IMMEDIATE`` transaction already serialises writers), checks the policy tables, writes,
bumps ``version`` and appends a ``CaseEvent``. A caller that passes ``expected_version``
gets ``StaleObject`` instead of overwriting a change it has not seen.

One module per thing done to a case: ``opening`` (B2, B3), ``status`` (B4, C5),
``conversation`` (B5), ``reopening`` (B7), ``priority`` (B8), ``outcome`` (B9),
``assignment``, ``milestones`` (C3, C4), ``holds`` (G2). ``_common`` holds what they share:
the row lock, the version bump, the timeline event and the one writer of status. Submodules import
``_common``, ``opening`` (for ``CaseDraft``/``case_open``) and other apps' services,
selectors and ``policy/``; never this package's ``__init__`` and never an interface.
Callers import from here.
"""

from .assignment import case_assign
from .conversation import case_add_update
from .holds import case_hold, case_release_hold
from .milestones import (
    case_mark_all_info_provided,
    case_mark_fix_delivered,
    case_mark_root_cause,
    case_mark_service_restored,
)
from .opening import CaseDraft, case_open
from .outcome import case_set_outcome
from .priority import case_change_priority
from .reopening import case_open_follow_on, case_reopen
from .status import case_close_after_followups, case_transition

__all__ = [
    "CaseDraft",
    "case_add_update",
    "case_assign",
    "case_change_priority",
    "case_close_after_followups",
    "case_hold",
    "case_mark_all_info_provided",
    "case_mark_fix_delivered",
    "case_mark_root_cause",
    "case_mark_service_restored",
    "case_open",
    "case_open_follow_on",
    "case_release_hold",
    "case_reopen",
    "case_set_outcome",
    "case_transition",
]
