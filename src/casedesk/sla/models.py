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
