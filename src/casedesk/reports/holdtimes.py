"""Hold time for the service-level report (C3, H1): the phone app's calls, queued → answered,
averaged per priority beside the targets (Production Down under 5 minutes 24/7, the others
under 10 minutes when queued in business hours; ``policy.holdtime`` decides each call).

A call's priority is Production Down when it was an emergency or concerns a Production Down
case, else the most urgent priority among the cases it concerns; a call about no case is
counted under "No case" (its target: 10 minutes in business hours). Calls are chosen by the
UTC day they were queued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from casedesk.accounts.models import Role
from casedesk.phone.models import Call
from casedesk.policy.holdtime import HoldVerdict, hold_verdict
from casedesk.policy.priority import Priority
from casedesk.sla.selectors import calendar_for, current_policy_number

from .cells import day_bounds

PD = "production_down"
NO_CASE = "no_case"
URGENCY = [PD, *(p.value for p in Priority)]  # most urgent first
NO_CALLS = "no calls recorded"


def call_scope(user: Any) -> Q | None:
    """The calls a viewer's figures cover, as ``report_scope`` for cases: managers and care
    all, engineers their region's and the ones they answered, a contact her organisation's."""
    role = getattr(user, "role", None)
    if role in (Role.MANAGER, Role.CARE):
        return Q()
    if role == Role.ENGINEER:
        own = Q(engineer_id=user.pk)
        return own | Q(region=user.region) if user.region else own
    if role == Role.CONTACT and user.organisation_id:
        return Q(caller__organisation_id=user.organisation_id)
    return None


@dataclass
class HoldFigures:
    calls: int = 0
    answered: int = 0
    seconds: float = 0.0
    met: int = 0
    missed: int = 0
    no_target: int = 0
    unanswered: int = 0

    @property
    def average_minutes(self) -> float | None:
        return self.seconds / self.answered / 60 if self.answered else None

    def text(self) -> str:
        if not self.calls:
            return NO_CALLS
        if self.average_minutes is None:
            return f"{self.calls} calls, none answered"
        return f"{self.average_minutes:.1f} min average over {self.answered} answered calls"

    def as_dict(self) -> dict[str, Any]:
        return {
            "hold": self.text(),
            "hold_calls": self.calls,
            "hold_avg_minutes": self.average_minutes,
            "hold_met": self.met,
            "hold_missed": self.missed,
            "hold_no_target": self.no_target,
            "hold_unanswered": self.unanswered,
        }


def call_group(emergency: bool, cases: list[tuple[str, bool]]) -> str:
    """The priority a call is counted under (module docstring)."""
    if emergency or any(pd for _, pd in cases):
        return PD
    ranks = [URGENCY.index(p) for p, _ in cases if p in URGENCY]
    return URGENCY[min(ranks)] if ranks else NO_CASE


def hold_times(*, scope: Q, start: dt.date, end: dt.date) -> dict[str, HoldFigures]:
    """Hold figures per priority group (and ``all``) for calls queued ``start``–``end``."""
    lo, hi = day_bounds(start, end)
    calls = Call.objects.filter(scope, queued_at__gte=lo, queued_at__lt=hi)
    rows = list(calls.values("pk", "queued_at", "answered_at", "emergency", "region"))
    linked: dict[int, list[tuple[str, bool]]] = {}
    through = Call.cases.through.objects.filter(call_id__in=[r["pk"] for r in rows])
    for link in through.values("call_id", "case__priority", "case__production_down"):
        pair = (link["case__priority"], link["case__production_down"])
        linked.setdefault(link["call_id"], []).append(pair)
    out: dict[str, HoldFigures] = {"all": HoldFigures()}
    policy_number = current_policy_number()
    for r in rows:
        group = call_group(r["emergency"], linked.get(r["pk"], []))
        verdict = hold_verdict(
            production_down=group == PD,
            queued_at=r["queued_at"],
            answered_at=r["answered_at"],
            calendar=calendar_for(policy_number, r["region"]),
        )
        for figures in (out.setdefault(group, HoldFigures()), out["all"]):
            figures.calls += 1
            if verdict.hold is not None:
                figures.answered += 1
                figures.seconds += verdict.hold.total_seconds()
            if verdict.verdict == HoldVerdict.MET:
                figures.met += 1
            elif verdict.verdict == HoldVerdict.BREACHED:
                figures.missed += 1
            elif verdict.verdict == HoldVerdict.NO_TARGET:
                figures.no_target += 1
            else:
                figures.unanswered += 1
    return out
