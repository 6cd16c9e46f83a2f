"""Satisfaction (F7, I1): survey scores by priority, region, product, engineer and period,
with the response rate and the comments, from the daily cells (``cells``: an invitation is
a closure, since the closed mail and the final notice carry the survey link; a response
counts on the day it was given, under the priority the case had when it closed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from casedesk.accounts.models import User
from casedesk.cases.models import Case, format_case_number
from casedesk.catalog.models import Product
from casedesk.notifications.models import SurveyResponse
from casedesk.policy.regions import Region

from .cells import day_bounds
from .periods import bucket, buckets
from .rollups import Tally, tally
from .selectors import GROUP_LABELS, PRIORITY_GROUPS

DIMENSIONS = {
    "priority": "Priority",
    "region": "Region",
    "product": "Product",
    "assignee": "Engineer",
}


@dataclass
class ScoreRow:
    key: Any
    label: str
    invitations: int = 0
    responses: int = 0
    score_sum: float = 0.0
    solved: int = 0

    @property
    def average(self) -> float | None:
        return self.score_sum / self.responses if self.responses else None

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invitations if self.invitations else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": str(self.key),
            "label": self.label,
            "invitations": self.invitations,
            "responses": self.responses,
            "average_score": self.average,
            "response_rate": self.response_rate,
            "solved": self.solved,
        }


@dataclass(frozen=True)
class Comment:
    number: str
    score: int
    solved: bool
    comment: str
    created_at: dt.datetime


@dataclass
class SatisfactionReport:
    start: dt.date
    end: dt.date
    period: str
    trend: list[ScoreRow]
    by_dimension: dict[str, list[ScoreRow]]
    total: ScoreRow
    distribution: list[tuple[int, int]]
    comments: list[Comment]


def _labels(dim: str, keys: set[Any]) -> dict[Any, str]:
    if dim == "priority":
        return dict(GROUP_LABELS)
    if dim == "region":
        return {r.value: r.label for r in Region}
    if dim == "product":
        names = Product.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name")
        return {None: "No product", **dict(names)}
    names = User.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "full_name")
    return {None: "Unassigned", **dict(names)}


def _rows(found: Tally, labels: dict[Any, str], order: list[Any], fold: Any = None) -> list:
    rows = {k: ScoreRow(k, labels.get(k, str(k))) for k in order}
    for (value, metric), (n, t) in found.items():
        key = fold(value) if fold else value
        row = rows.setdefault(key, ScoreRow(key, labels.get(key, str(key))))
        if metric == "survey.invited":
            row.invitations += int(n)
        elif metric == "survey.response":
            row.responses += int(n)
            row.score_sum += t
        elif metric == "survey.solved":
            row.solved += int(n)
    return list(rows.values())


def satisfaction(
    *, scope: Q, start: dt.date, end: dt.date, period: str, now: dt.datetime, comments: int = 20
) -> SatisfactionReport:
    """Scores, response rates and the latest comments of the range, within the scope."""
    groups = ("day", *DIMENSIONS)
    found = tally(scope=scope, start=start, end=end, prefix="survey.", groups=groups, now=now)
    trend = _rows(found["day"], {}, buckets(start, end, period), fold=lambda d: bucket(d, period))
    for row in trend:
        row.label = row.key.isoformat()
    by_dimension = {}
    for dim in DIMENSIONS:
        keys = {value for value, _ in found[dim]}
        rows = _rows(
            found[dim], _labels(dim, keys), list(PRIORITY_GROUPS) if dim == "priority" else []
        )
        if dim != "priority":
            rows.sort(key=lambda r: (-r.responses, r.label))
        by_dimension[dim] = rows
    total = ScoreRow("all", "All cases")
    for row in trend:
        total.invitations += row.invitations
        total.responses += row.responses
        total.score_sum += row.score_sum
        total.solved += row.solved
    distribution = [
        (
            score,
            int(
                sum(
                    n
                    for (_, m), (n, _) in found["priority"].items()
                    if m == f"survey.score:{score}"
                )
            ),
        )
        for score in range(1, 6)
    ]
    lo, hi = day_bounds(start, end)
    answers = SurveyResponse.objects.filter(
        created_at__gte=lo, created_at__lt=min(hi, now)
    ).exclude(comment="")
    if scope:
        answers = answers.filter(case__in=Case.objects.filter(scope).values("pk"))
    latest = [
        Comment(format_case_number(a.case_id), a.score, a.solved, a.comment, a.created_at)
        for a in answers.order_by("-created_at", "-id")[:comments]
    ]
    return SatisfactionReport(start, end, period, trend, by_dimension, total, distribution, latest)
