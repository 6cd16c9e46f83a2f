"""Reads of the outbox and the survey (F7, I1): results for managers and care only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q

from casedesk.policy.priority import Priority

from .models import MessageState, OutboundMessage, SurveyResponse
from .survey import SurveyInvitation

INVITING_KINDS = ("closed", "final_notice")


def survey_answered(invitation: SurveyInvitation) -> bool:
    return SurveyResponse.objects.filter(
        case_id=invitation.case.pk, closure=invitation.closure
    ).exists()


@dataclass(frozen=True)
class PriorityScore:
    priority: str
    label: str
    responses: int
    average: float | None


@dataclass(frozen=True)
class SurveyResults:
    responses: int
    average: float | None
    solved: int
    invitations: int
    by_priority: list[PriorityScore]
    distribution: list[tuple[int, int]]
    latest: list[SurveyResponse]

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invitations if self.invitations else None

    @property
    def solved_share(self) -> float | None:
        return self.solved / self.responses if self.responses else None


def survey_results(*, latest: int = 10) -> SurveyResults:
    """Averages overall and per priority, the score distribution and the latest comments."""
    totals = SurveyResponse.objects.aggregate(
        n=Count("id"), avg=Avg("score"), solved=Count("id", filter=Q(solved=True))
    )
    per_priority = {
        row["priority"]: row
        for row in SurveyResponse.objects.values("priority").annotate(
            n=Count("id"), avg=Avg("score")
        )
    }
    by_priority = [
        PriorityScore(
            priority=p.value,
            label=p.label,
            responses=per_priority.get(p.value, {}).get("n", 0),
            average=per_priority.get(p.value, {}).get("avg"),
        )
        for p in Priority
    ]
    counts = dict(SurveyResponse.objects.values_list("score").annotate(n=Count("id")).order_by())
    invitations = (
        OutboundMessage.objects.filter(kind__in=INVITING_KINDS)
        .exclude(state=MessageState.FAILED)
        .count()
    )
    comments = (
        SurveyResponse.objects.exclude(comment="")
        .select_related("case")
        .order_by("-created_at", "-id")[:latest]
    )
    return SurveyResults(
        responses=totals["n"],
        average=totals["avg"],
        solved=totals["solved"],
        invitations=invitations,
        by_priority=by_priority,
        distribution=[(score, counts.get(score, 0)) for score in range(1, 6)],
        latest=list(comments),
    )
