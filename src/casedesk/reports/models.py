"""Daily backlog snapshots (I1): what was open at the end of each UTC day, kept by the
worker so the trend is history as it was, not recomputed from today's rows."""

from __future__ import annotations

from django.db import models


class BacklogSnapshot(models.Model):
    """Open cases at the end of ``day`` for one combination of the report's dimensions.

    The dimensions sit side by side (a small cube) so a viewer's scope — region, own cases,
    organisation — filters them with the same fields as ``Case``."""

    day = models.DateField()
    region = models.CharField(max_length=10)
    priority = models.CharField(max_length=20)  # production_down | critical | … | low
    status_group = models.CharField(max_length=20)  # support | customer | third_party
    age_band = models.CharField(max_length=10)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["day"], name="backlog_day_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.count} open"
