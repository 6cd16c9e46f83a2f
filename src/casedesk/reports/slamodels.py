"""Stored service-level cells (I1, C3; ADR 0008): per UTC opening day, the counts, sums and
histograms the service-level report adds up, so a year is read from a few thousand rows
instead of walking every case and milestone."""

from __future__ import annotations

from django.db import models


class SlaDay(models.Model):
    """An opening day whose ``SlaCell`` rows are stored. Every change to that day's cases
    made before ``fresh_at`` is in them; a case of the day updated since makes the day
    dirty: the report computes it live until the nightly run stores it again."""

    day = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()
    fresh_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "reports"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"service levels of {self.day}, fresh at {self.fresh_at:%Y-%m-%d %H:%M}"


class SlaCell(models.Model):
    """One figure of the cases opened on ``day`` with one combination of dimensions.

    ``metric`` and ``value``: ``cases``; ``outage`` (``total``: seconds down);
    ``root_cause`` (``value``: business days, a histogram bin); ``fix`` (``value``:
    minutes, ``total``: seconds); ``met``/``missed``/``not_applicable`` (settled);
    ``pending`` (``value``: the running milestone's target in epoch microseconds, so the
    reader decides running or overdue at its own ``now``).

    ``grain`` ``all`` drops organisation and assignee (the unscoped manager view, a few
    rows a day); ``case`` keeps them so a viewer's scope filters the cells with the
    ``Q`` that filters cases."""

    day = models.DateField()
    grain = models.CharField(max_length=4)  # all | case
    metric = models.CharField(max_length=16)
    value = models.BigIntegerField(default=0)
    priority = models.CharField(max_length=20)  # production_down | critical | … | low
    region = models.CharField(max_length=10)
    product_group = models.ForeignKey(
        "catalog.ProductGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField()
    total = models.BigIntegerField(default=0)

    class Meta:
        app_label = "reports"
        ordering = ["day", "id"]
        indexes = [
            models.Index(fields=["grain", "day"], name="sla_cell_day_idx"),
            models.Index(fields=["organisation", "day"], name="sla_cell_org_idx"),
            models.Index(fields=["assignee", "day"], name="sla_cell_assignee_idx"),
            models.Index(fields=["region", "day"], name="sla_cell_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}={self.value}: {self.count}"
