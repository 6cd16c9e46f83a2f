"""Support policy as data (C1-C8): versions are immutable; a case keeps the one it opened under."""

from __future__ import annotations

from django.db import models

from casedesk.policy.regions import Region
from casedesk.policy.sla import Settlement


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
    # C9: closing the case settles a running milestone; re-opening resumes it (ADR 0008).
    settled_at = models.DateTimeField(null=True, blank=True)
    settlement = models.CharField(
        max_length=20, choices=[(s.value, s.label) for s in Settlement], blank=True
    )

    class Meta:
        ordering = ["target_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="one_milestone_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.target_at:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        return self.met_at is None and self.settled_at is None


class Duty(models.TextChoices):
    ON_CALL = "on_call", "On call (urgent cases around the clock)"
    QUEUE_OWNER = "queue_owner", "Queue owner (cases left unassigned)"


class RegionDuty(models.Model):
    """Who answers for a support region beyond its centre's engineers (B, C2, C3).

    The engineers of a centre are the staff whose ``region`` is that centre; on top, care
    names the centre's on-call engineers (alerted at once about Critical cases, around the
    clock) and the region's queue owner (told when a case stays unassigned)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="duties")
    region = models.CharField(max_length=10, choices=[(r.value, r.label) for r in Region])
    duty = models.CharField(max_length=20, choices=Duty.choices)

    class Meta:
        ordering = ["region", "duty", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "duty", "user"], name="one_duty_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.get_region_display()}: {self.get_duty_display()} — {self.user_id}"
