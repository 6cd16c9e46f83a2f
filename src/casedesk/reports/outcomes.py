"""Follow-up outcomes (C5) and escalations (C6) as reports (I1): per period and per
priority, from the daily cells (``cells`` says what each figure counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from casedesk.cases.models import Case
from casedesk.escalations.models import Escalation, EscalationState

from .periods import bucket, buckets
from .rollups import Tally, tally
from .selectors import GROUP_LABELS, PRIORITY_GROUPS

FOLLOWUP_COLUMNS = (
    ("followup.reminder1", "Reminder 1 sent"),
    ("followup.reminder2", "Reminder 2 sent"),
    ("followup.response0", "Responses before a reminder"),
    ("followup.response1", "Responses after reminder 1"),
    ("followup.response2", "Responses after reminder 2"),
    ("followup.closed", "Closed automatically"),
    ("followup.reopened", "Re-opened after automatic close"),
)
ESCALATION_COLUMNS = (
    ("escalation.requested", "Requested"),
    ("escalation.eligible", "Eligible"),
    ("escalation.refused", "Refused"),
    ("escalation.in_progress", "Taken up"),
    ("escalation.resolved", "Resolved"),
    ("escalation.declined", "Declined"),
)
REFUSAL_LABELS = {
    "priority": "Priority never escalated (Low: ask for Medium)",
    "impact": "No significant business impact (High)",
    "too_soon": "Updated too recently",
    "analysis_not_started": "Root-cause analysis not started",
    "analysis_too_short": "Too little root-cause analysis",
    "closed": "Case closed",
    "already_open": "A request is already open",
    "other": "Other",
}
KIND_LABELS = {"standard": "Escalations", "root_cause": "Root-cause requests"}


@dataclass
class Row:
    """One line of a report table: a period or a priority, figure by figure."""

    key: Any
    label: str
    values: dict[str, float] = field(default_factory=dict)
    hours: dict[str, float] = field(default_factory=dict)  # summed measure per figure

    def get(self, metric: str) -> int:
        return int(self.values.get(metric, 0))

    def average_hours(self, metric: str) -> float | None:
        n = self.values.get(metric, 0)
        return self.hours.get(metric, 0.0) / n if n else None


@dataclass
class OutcomeReport:
    """A report over ``start``–``end``: ``columns`` are (metric, label) in table order."""

    start: dt.date
    end: dt.date
    period: str
    columns: tuple[tuple[str, str], ...]
    trend: list[Row]
    by_priority: list[Row]
    total: Row
    extra: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    open_now: int = 0

    def as_dict(self) -> dict[str, Any]:
        def row(r: Row) -> dict[str, Any]:
            out: dict[str, Any] = {"key": str(r.key), "label": r.label}
            out.update({m.split(".", 1)[1]: r.get(m) for m, _ in self.columns})
            return out

        return {
            "start": self.start,
            "end": self.end,
            "period": self.period,
            "columns": [{"key": m.split(".", 1)[1], "label": label} for m, label in self.columns],
            "trend": [row(r) for r in self.trend],
            "by_priority": [row(r) for r in self.by_priority],
            "total": row(self.total),
        }


def _rows(found: Tally, keys: list[Any], labels: dict[Any, str], fold: Any = None) -> list[Row]:
    rows = {k: Row(k, labels.get(k, str(k))) for k in keys}
    for (value, metric), (n, t) in found.items():
        key = fold(value) if fold else value
        if key not in rows:
            rows[key] = Row(key, labels.get(key, str(key)))
        rows[key].values[metric] = rows[key].values.get(metric, 0) + n
        rows[key].hours[metric] = rows[key].hours.get(metric, 0.0) + t
    return list(rows.values())


def _total(rows: list[Row]) -> Row:
    total = Row("all", "All cases")
    for r in rows:
        for m, n in r.values.items():
            total.values[m] = total.values.get(m, 0) + n
            total.hours[m] = total.hours.get(m, 0.0) + r.hours.get(m, 0.0)
    return total


def _report(
    *, scope: Q, start: dt.date, end: dt.date, period: str, now: dt.datetime, prefix: str,
    columns: tuple[tuple[str, str], ...], groups: tuple[str, ...] = ("day", "priority"),
) -> OutcomeReport:  # fmt: skip
    found = tally(scope=scope, start=start, end=end, prefix=prefix, groups=groups, now=now)
    trend = _rows(
        found["day"],
        buckets(start, end, period),
        {},
        fold=lambda d: bucket(d, period),
    )
    for r in trend:
        r.label = r.key.isoformat()
    by_priority = _rows(found["priority"], list(PRIORITY_GROUPS), GROUP_LABELS)
    return OutcomeReport(start, end, period, columns, trend, by_priority, _total(trend))


def followup_outcomes(
    *, scope: Q, start: dt.date, end: dt.date, period: str, now: dt.datetime
) -> OutcomeReport:
    """Reminders sent, responses after each, automatic closes and re-openings (C5)."""
    return _report(
        scope=scope, start=start, end=end, period=period, now=now,
        prefix="followup.", columns=FOLLOWUP_COLUMNS,
    )  # fmt: skip


def _fold_refusals(rows: list[Row]) -> None:
    for r in rows:
        r.values["escalation.refused"] = sum(
            n for m, n in r.values.items() if m.startswith("escalation.refused:")
        )


def escalation_report(
    *, scope: Q, start: dt.date, end: dt.date, period: str, now: dt.datetime
) -> OutcomeReport:
    """Requests, eligible and refused (by reason and kind), outcomes and the average time
    from request to each outcome (C6); ``open_now``: requests still waiting for one."""
    report = _report(
        scope=scope, start=start, end=end, period=period, now=now,
        prefix="escalation.", columns=ESCALATION_COLUMNS,
    )  # fmt: skip
    _fold_refusals([*report.trend, *report.by_priority, report.total])
    values = report.total.values
    report.extra["refusals"] = [
        (code, label, int(values.get(f"escalation.refused:{code}", 0)))
        for code, label in REFUSAL_LABELS.items()
    ]
    report.extra["kinds"] = [
        (kind, label, int(values.get(f"escalation.eligible_kind:{kind}", 0)))
        for kind, label in KIND_LABELS.items()
    ] + [
        (
            f"refused_{kind}",
            f"{label} refused",
            int(values.get(f"escalation.refused_kind:{kind}", 0)),
        )
        for kind, label in KIND_LABELS.items()
    ]
    waiting = Escalation.objects.filter(
        state__in=[EscalationState.OPEN, EscalationState.IN_PROGRESS]
    )
    if scope:
        waiting = waiting.filter(case__in=Case.objects.filter(scope).values("pk"))
    report.open_now = waiting.count()
    return report
