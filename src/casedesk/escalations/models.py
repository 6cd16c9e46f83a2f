"""Escalations to management (C6, E4), tracked to an outcome."""

from __future__ import annotations

from django.db import models


class EscalationKind(models.TextChoices):
    STANDARD = "standard", "Escalation"
    ROOT_CAUSE = "root_cause", "Root-cause request"


class EscalationState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    DECLINED = "declined", "Declined"


class Escalation(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(max_length=20, choices=EscalationKind.choices)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    eligibility = models.TextField(help_text="Why it was eligible, as the system explained it")
    # The template fields of C6.
    subject = models.CharField(max_length=300)
    reason = models.TextField(help_text="Impact and urgency")
    summary = models.TextField()
    critical_dates = models.TextField(blank=True, help_text="Go-lives, meetings")
    expectations = models.TextField()
    state = models.CharField(
        max_length=20, choices=EscalationState.choices, default=EscalationState.OPEN
    )
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["state", "requested_at"], name="escalation_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=models.Q(state__in=["open", "in_progress"]),
                name="one_active_escalation_per_kind",
            )
        ]

    def __str__(self) -> str:
        return self.subject
