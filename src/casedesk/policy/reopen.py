"""Re-opening a closed case (B7, C7)."""

from __future__ import annotations

import datetime as dt

from .decision import Decision, allow, deny
from .transitions import Actor

DEFAULT_REOPEN_WINDOW_DAYS = 30


def reopen_decision(
    *,
    actor: Actor,
    closed_at: dt.datetime,
    now: dt.datetime,
    closed_by_followup: bool,
    new_information: str,
    window_days: int = DEFAULT_REOPEN_WINDOW_DAYS,
) -> Decision:
    """Within the window, with new information; a follow-up close reopens by phone only."""
    if not new_information.strip():
        return deny("Re-opening needs new supporting information.")
    deadline = closed_at + dt.timedelta(days=window_days)
    if now > deadline:
        return deny(
            f"This case closed more than {window_days} days ago; open a new case "
            f"linked to it instead."
        )
    if closed_by_followup and actor is Actor.CONTACT:
        return deny(
            "This case was closed after the automated follow-ups; please call support "
            "to re-open it."
        )
    return allow(f"Within {window_days} days of closure (until {deadline:%Y-%m-%d %H:%M} UTC).")
