"""Support policy as data (C1-C8): versions are immutable; a case keeps the one it opened under."""

from __future__ import annotations

from django.db import models


class PolicyVersion(models.Model):
    """One saved ``policy.defaults.SupportPolicy``; editing saves a new version."""

    number = models.PositiveIntegerField(unique=True)
    data = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Policy v{self.number}" + (f" — {self.note}" if self.note else "")


class MilestoneKind(models.TextChoices):
    ROOT_CAUSE = "root_cause", "Root cause"
    FIX = "fix", "Fix or workaround"


class Milestone(models.Model):
    """One SLA milestone of a case (C3, C4): target, met at, breached."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=20, choices=MilestoneKind.choices)
    started_at = models.DateTimeField()
    target_at = models.DateTimeField()
    reason = models.TextField()
    warned_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="one_milestone_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.target_at:%Y-%m-%d %H:%M}"
