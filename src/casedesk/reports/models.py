"""Daily backlog snapshots (I1): what was open at the end of each UTC day, kept by the
worker so the trend is history as it was, not recomputed from today's rows."""

from __future__ import annotations

from django.db import models

from .slamodels import SlaCell, SlaDay  # noqa: F401  (service-level cells, ADR 0008)


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
        indexes = [
            models.Index(fields=["day"], name="backlog_day_idx"),
            # A scoped viewer's trend (report_scope): her organisation's, region's, own cells.
            models.Index(fields=["organisation", "day"], name="backlog_org_day_idx"),
            models.Index(fields=["region", "day"], name="backlog_region_day_idx"),
            models.Index(fields=["assignee", "day"], name="backlog_assignee_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.count} open"


class BacklogTotal(models.Model):
    """The day's snapshot without organisation and assignee (issue 13 item 10): what an
    unscoped viewer's trend sums, a few hundred rows a day instead of one per open case's
    combination of organisation and assignee. Written beside ``BacklogSnapshot``."""

    day = models.DateField()
    region = models.CharField(max_length=10)
    priority = models.CharField(max_length=20)
    status_group = models.CharField(max_length=20)
    age_band = models.CharField(max_length=10)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["day"], name="backlog_total_day_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.count} open"


class DailyCount(models.Model):
    """One day's count (and summed measure) of one report metric for one combination of the
    case dimensions (ADR 0008): follow-up outcomes, escalations and survey figures read
    these instead of the event log. Written by the worker for whole UTC days that are over
    (``RollupDay`` marks them); the day in progress is computed on request.

    The dimensions carry the ``Case`` field names so a viewer's scope (``report_scope``)
    filters them unchanged."""

    day = models.DateField()
    metric = models.CharField(max_length=40)
    region = models.CharField(max_length=10)
    priority = models.CharField(max_length=20)  # production_down | critical | … | low
    product_group = models.ForeignKey(
        "catalog.ProductGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField()
    total = models.FloatField(default=0, help_text="Sum of the metric's measure (hours, score)")

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["day", "metric"], name="daily_count_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}: {self.count}"


class RollupDay(models.Model):
    """A UTC day whose ``DailyCount`` rows are complete; days without one are computed live."""

    day = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} rolled up at {self.computed_at:%Y-%m-%d %H:%M}"


class MonthlyMargin(models.Model):
    """One calendar month's sum of ``DailyCount`` along one dimension (ADR 0008 addendum,
    issue 13 item 10): what the unscoped manager/care view reads for the whole months of a
    long range, instead of one row per organisation × assignee combination and day.
    ``dim`` is a report group — a case dimension, or ``day`` for the trend — and ``value``
    its value as text (ISO day, id, region, priority; NULL for none). Written with
    ``MarginMonth`` when every day of the month is stored."""

    month = models.DateField(help_text="First day of the month")
    metric = models.CharField(max_length=40)
    dim = models.CharField(max_length=20)
    value = models.CharField(max_length=20, null=True, blank=True)
    count = models.PositiveIntegerField()
    total = models.FloatField(default=0)

    class Meta:
        ordering = ["month", "id"]
        indexes = [models.Index(fields=["month", "dim", "metric"], name="monthly_margin_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} by {self.dim}={self.value}: {self.count}"


class MarginMonth(models.Model):
    """A month whose ``MonthlyMargin`` rows equal its stored days; others are read by day."""

    month = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} margins at {self.computed_at:%Y-%m-%d %H:%M}"


class ExportJob(models.Model):
    """A CSV export too large to stream inline (issue 13 item 7), written by the worker into
    the data directory; only its requester may see its progress or fetch its file, which
    the worker removes once it expires."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    requester = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # what is exported: "cases" (the console queue)
    params = models.JSONField(default=dict)  # the list's filters as the requester chose them
    filename = models.CharField(max_length=100)  # the name the browser saves
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last reported progress"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}, {self.state})"

    @property
    def restartable(self) -> bool:
        """A job that will never give a file (failed, or its file expired) may be run again."""
        return self.state in (self.State.FAILED, self.State.EXPIRED)
