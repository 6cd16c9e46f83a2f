"""Reads of escalations: the managers' queue and a case's requests."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Escalation, EscalationState


def escalation_queue(*, state: str = "active") -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related("case", "case__organisation", "requested_by")
    if state == "active":
        return qs.filter(state__in=[EscalationState.OPEN, EscalationState.IN_PROGRESS]).order_by(
            "requested_at"
        )
    return qs.filter(state=state)
