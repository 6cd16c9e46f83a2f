"""Maintenance and grace periods (A5): may a contract's contacts open cases today?"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from .decision import Decision, allow, deny
from .regions import REGION_TIME_ZONES, Region

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


def site_time_zone(site_zone: str, region: str) -> str:
    """The site's own zone, else its contract region's centre, else UTC (C9)."""
    if site_zone:
        return site_zone
    try:
        return REGION_TIME_ZONES[Region(region)]
    except ValueError:
        return "UTC"


def local_date(now: dt.datetime, zone: str) -> dt.date:
    """The calendar date at ``zone`` at the instant ``now`` (aware); maintenance is paid
    through a date at the contract's site, not a UTC date (C9)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zoneinfo.ZoneInfo(zone)).date()
