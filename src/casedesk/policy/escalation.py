"""Escalation-to-management eligibility, explained (R: C6).

The system never just says "no": every answer carries the reason and, when waiting
would help, the moment the case becomes eligible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from casedesk.policy.calendars import BusinessCalendar, format_local
from casedesk.policy.decision import Decision
from casedesk.policy.sla import Priority, check_production_down

__all__ = [
    "Deployment",
    "Eligibility",
    "EscalationKind",
    "EscalationPolicy",
    "EscalationRule",
    "HasEscalationPolicy",
    "escalation_eligibility",
]

Deployment = Literal["cloud", "premise"]
EscalationKind = Literal["standard", "root_cause"]


@dataclass(frozen=True)
class EscalationRule:
    """When a case of one priority may be escalated (R: C6).

    ``quiet_business_days`` / ``quiet_hours``: time without an update before the case
    qualifies (business days on the region calendar; hours are elapsed, as support
    is 24/7). ``refusal`` is what to tell the contact when escalation is not allowed.
    """

    allowed: bool = True
    quiet_business_days: int | None = None
    quiet_hours: float | None = None
    requires_significant_impact: bool = False
    refusal: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "quiet_business_days": self.quiet_business_days,
            "quiet_hours": self.quiet_hours,
            "requires_significant_impact": self.requires_significant_impact,
            "refusal": self.refusal,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EscalationRule:
        return cls(**data)


@dataclass(frozen=True)
class EscalationPolicy:
    """C6 defaults. Critical and Production Down are not in the handbook's list; the
    defaults treat Critical like High (as B3 does for targets) and let a Production
    Down case be escalated at any time (its impact is severe by definition)."""

    low: EscalationRule = EscalationRule(
        allowed=False,
        refusal="Low priority cases are not escalated; ask for Medium priority instead",
    )
    medium: EscalationRule = EscalationRule(quiet_business_days=3)
    high: EscalationRule = EscalationRule(quiet_hours=24, requires_significant_impact=True)
    critical: EscalationRule = EscalationRule(quiet_hours=24, requires_significant_impact=True)
    production_down: EscalationRule = EscalationRule(quiet_hours=0)
    root_cause_business_days_cloud: int = 5
    root_cause_business_days_premise: int = 7

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low.to_dict(),
            "medium": self.medium.to_dict(),
            "high": self.high.to_dict(),
            "critical": self.critical.to_dict(),
            "production_down": self.production_down.to_dict(),
            "root_cause_business_days_cloud": self.root_cause_business_days_cloud,
            "root_cause_business_days_premise": self.root_cause_business_days_premise,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EscalationPolicy:
        rules = ("low", "medium", "high", "critical", "production_down")
        return cls(
            **{name: EscalationRule.from_dict(data[name]) for name in rules},
            root_cause_business_days_cloud=data["root_cause_business_days_cloud"],
            root_cause_business_days_premise=data["root_cause_business_days_premise"],
        )

    def rule_for(self, priority: Priority, production_down: bool) -> EscalationRule:
        if production_down:
            return self.production_down
        return {
            Priority.CRITICAL: self.critical,
            Priority.HIGH: self.high,
            Priority.MEDIUM: self.medium,
            Priority.LOW: self.low,
        }[priority]


class HasEscalationPolicy(Protocol):
    """What the eligibility check reads from a support policy (``SupportPolicy`` fits).

    A protocol, not ``defaults.SupportPolicy``: ``defaults`` assembles the policy from this
    module, so importing it back would close an import circle.
    """

    @property
    def escalation(self) -> EscalationPolicy: ...


@dataclass(frozen=True)
class Eligibility:
    """Whether escalation is possible now, why, and from when (``None``: not by waiting)."""

    eligible: bool
    reason: str
    eligible_from: datetime | None
    # Why not, as a stable word the reports count refusals by (C6, I1): priority, impact,
    # too_soon, analysis_not_started, analysis_too_short ("" when eligible).
    code: str = ""

    def __bool__(self) -> bool:
        return self.eligible

    def as_decision(self) -> Decision:
        """The shared verdict shape used by the other policy modules."""
        return Decision(self.eligible, self.reason)


def escalation_eligibility(
    priority: Priority | str,
    production_down: bool,
    last_updated_at: datetime,
    now: datetime,
    calendar: BusinessCalendar,
    deployment: Deployment,
    kind: EscalationKind,
    analysis_started_at: datetime | None,
    business_impact_significant: bool,
    policy: HasEscalationPolicy,
) -> Eligibility:
    """May this case be escalated to management now? (R: C6)

    The priority rule (e.g. Low never) applies to both kinds; a root-cause request
    additionally needs N business days of analysis (5 cloud, 7 premise by default).
    """
    prio = check_production_down(priority, production_down)
    rules = policy.escalation
    rule = rules.rule_for(prio, production_down)
    label = "Production Down" if production_down else prio.value.title()
    if not rule.allowed:
        return Eligibility(
            False, rule.refusal or f"{label} cases are not escalated", None, "priority"
        )
    if kind == "root_cause":
        return _root_cause(analysis_started_at, now, calendar, deployment, rules)
    if kind != "standard":
        raise ValueError(f"unknown escalation kind {kind!r}")
    if rule.requires_significant_impact and not business_impact_significant:
        return Eligibility(
            False,
            f"{label} cases are escalated only while actively causing significant business impact",
            None,
            "impact",
        )
    quiet, since = _quiet_period(rule, last_updated_at, calendar)
    if quiet is None:
        return Eligibility(True, f"{label} cases may be escalated at any time", now)
    impact = " and significant business impact" if rule.requires_significant_impact else ""
    when = format_local(since, calendar)
    if now >= since:
        reason = f"eligible: {label} case not updated for {quiet}{impact} (since {when})"
        return Eligibility(True, reason, since)
    reason = f"not yet: {label} cases need {quiet} without an update{impact}; eligible from {when}"
    return Eligibility(False, reason, since, "too_soon")


def _quiet_period(
    rule: EscalationRule, last_updated_at: datetime, calendar: BusinessCalendar
) -> tuple[str | None, datetime]:
    """The waiting period as words and the instant it ends (``None`` words: no wait)."""
    if rule.quiet_business_days:
        days = rule.quiet_business_days
        since = calendar.add_business_days(last_updated_at, days)
        return f"{days} business day{'s' if days != 1 else ''}", since
    if rule.quiet_hours:
        since = last_updated_at + timedelta(hours=rule.quiet_hours)
        return f"{rule.quiet_hours:g} hours", since
    return None, last_updated_at


def _root_cause(
    analysis_started_at: datetime | None,
    now: datetime,
    calendar: BusinessCalendar,
    deployment: Deployment,
    rules: EscalationPolicy,
) -> Eligibility:
    if deployment == "cloud":
        days = rules.root_cause_business_days_cloud
    elif deployment == "premise":
        days = rules.root_cause_business_days_premise
    else:
        raise ValueError(f"unknown deployment {deployment!r}")
    if analysis_started_at is None:
        return Eligibility(
            False,
            f"a root-cause request needs {days} business days of analysis ({deployment}); "
            "analysis has not started",
            None,
            "analysis_not_started",
        )
    since = calendar.add_business_days(analysis_started_at, days)
    when = format_local(since, calendar)
    if now >= since:
        reason = f"eligible: {days} business days of analysis done ({deployment}) since {when}"
        return Eligibility(True, reason, since)
    reason = (
        f"not yet: a root-cause request needs {days} business days of analysis "
        f"({deployment}); eligible from {when}"
    )
    return Eligibility(False, reason, since, "analysis_too_short")
