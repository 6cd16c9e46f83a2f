"""Durable deadlines (architecture convention 4): time is data.

Every follow-up, reminder, milestone warning, purge and credential expiry is one
row with an indexed ``due_at``. The partial index holds pending rows only, so a
worker tick costs what is due, not what exists.
"""

from __future__ import annotations

from django.db import models


class DeadlineState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class Deadline(models.Model):
    kind = models.CharField(max_length=40)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines"
    )
    due_at = models.DateTimeField()
    # Idempotency key: scheduling the same thing twice yields one row (security rule 7).
    key = models.CharField(max_length=160, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=10, choices=DeadlineState.choices, default=DeadlineState.PENDING
    )
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="pending"),
                name="deadline_pending_due_idx",
            ),
            models.Index(
                fields=["case", "kind"],
                condition=models.Q(state="pending"),
                name="deadline_pending_case_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M} ({self.state})"
