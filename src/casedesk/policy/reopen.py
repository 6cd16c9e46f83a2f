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
    requested_at: dt.datetime | None = None,
) -> Decision:
    """Within the window, with new information; a follow-up close reopens by phone only.

    The window is ``window_days`` × 24 elapsed hours (C9). A contact's request made within
    it (``requested_at``) may be accepted by support afterwards (C9).
    """
    if not new_information.strip():
        return deny("Re-opening needs new supporting information.")
    deadline = reopen_deadline(closed_at, window_days)
    if requested_at is not None and actor is Actor.SUPPORT and requested_at <= deadline:
        return allow(
            f"Requested within {window_days} days of closure "
            f"(on {requested_at:%Y-%m-%d %H:%M} UTC)."
        )
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


def reopen_deadline(closed_at: dt.datetime, window_days: int) -> dt.datetime:
    """The last instant a re-open may be asked for: ``window_days`` × 24 hours (C9)."""
    return closed_at + dt.timedelta(days=window_days)
