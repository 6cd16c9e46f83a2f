"""Maintenance and grace periods (A5): may a contract's contacts open cases today?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .decision import Decision, allow, deny

ACCOUNTS_RECEIVABLE = (
    "Maintenance on this contract is not paid through today. Please contact Accounts "
    "Receivable to settle the invoice; if an invoice is disputed, Customer Care can record "
    "a grace period."
)


@dataclass(frozen=True, slots=True)
class GraceWindow:
    invoice: str
    starts_on: dt.date
    ends_on: dt.date


def maintenance_decision(
    *, paid_through: dt.date | None, today: dt.date, grace: Iterable[GraceWindow] = ()
) -> Decision:
    if paid_through is not None and paid_through >= today:
        return allow(f"Maintenance paid through {paid_through.isoformat()}.")
    for window in grace:
        if window.starts_on <= today <= window.ends_on:
            return allow(
                f"Maintenance lapsed; support continues in the grace period for disputed "
                f"invoice {window.invoice} until {window.ends_on.isoformat()}."
            )
    return deny(ACCOUNTS_RECEIVABLE)
