"""Product version lifecycle (F1, T48): may a case be opened on a version this old?

Pure. Before end of support: fine. Between end of support and end of life: the case is
opened, with a warning that only best-effort help is given and an upgrade is advised.
From end of life on: refused for support cases (admin cases — licences, access — are
always allowed, they are not about the product's behaviour).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Support(StrEnum):
    SUPPORTED = "supported"
    BEST_EFFORT = "best_effort"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class LifecycleVerdict:
    support: Support
    allowed: bool
    reason: str

    @property
    def warn(self) -> bool:
        return self.allowed and self.support is not Support.SUPPORTED


def version_support(
    *,
    version: str,
    end_of_support: dt.date | None,
    end_of_life: dt.date | None,
    today: dt.date,
    admin_case: bool = False,
) -> LifecycleVerdict:
    """The verdict for opening a case on ``version`` on ``today`` (dates are inclusive ends)."""
    if end_of_life is not None and today > end_of_life:
        reason = (
            f"Version {version} reached end of life on {end_of_life:%d %b %Y} and is no longer "
            "supported. Upgrade to a supported version; see the resource centre for releases."
        )
        return LifecycleVerdict(Support.ENDED, admin_case, reason)
    if end_of_support is not None and today > end_of_support:
        reason = (
            f"Version {version} passed end of support on {end_of_support:%d %b %Y}: help is "
            "best effort, fixes are made only in supported versions, and an upgrade is advised."
        )
        return LifecycleVerdict(Support.BEST_EFFORT, True, reason)
    return LifecycleVerdict(Support.SUPPORTED, True, f"Version {version} is supported.")


def expires_soon(expires: dt.date | None, today: dt.date, *, notice_days: int = 60) -> bool:
    """A licence is flagged this many days ahead of its expiry (F2)."""
    return expires is not None and today <= expires <= today + dt.timedelta(days=notice_days)
