"""A cutover notice (G1): what is going live at a site, when, and what the customer confirmed."""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import REGION_CHOICES


class CutoverKind(models.TextChoices):
    NEW_INSTALL = "new_install", "New install"
    SERVER_UPGRADE = "server_upgrade", "Server upgrade"
    ADDED_EQUIPMENT = "added_equipment", "Added equipment"
    ADDED_LINES = "added_lines", "Added lines"


# The confirmations G1 asks the customer to tick before the cutover.
CHECKLIST = [
    ("wiring", "Wiring"),
    ("network_connectivity", "Network connectivity"),
    ("network_rights", "Network rights"),
    ("email_server_user", "E-mail server user configuration"),
    ("installation", "Installation"),
    ("handler_testing", "Handler testing / migration"),
    ("third_party", "Third-party integrations"),
    ("site_configuration", "Site configuration / call flows"),
]


class CutoverNotice(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="cutover_notices"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="cutovers")
    region = models.CharField(max_length=10, choices=REGION_CHOICES)
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=CutoverKind.choices)
    technician = models.CharField(max_length=200)
    product_line = models.CharField(max_length=200)
    installation_date = models.DateField()
    cutover_start = models.DateTimeField()
    cutover_end = models.DateTimeField()
    site_contact = models.CharField(max_length=200)
    vendor_contact = models.CharField(max_length=200, blank=True)
    checklist = models.JSONField(default=list, blank=True, help_text="Confirmed CHECKLIST keys")
    line_configuration = models.TextField(blank=True)
    current_products = models.TextField(blank=True, help_text="Products and versions now")
    planned_products = models.TextField(blank=True, help_text="Products and versions after")
    um_platform = models.CharField(max_length=200, blank=True)
    earliest_allowed = models.DateField(help_text="By the lead-time rule when filed")
    late_warning = models.TextField(blank=True, help_text="Why a late notice was accepted")

    class Meta:
        ordering = ["cutover_start", "id"]
        indexes = [models.Index(fields=["region", "cutover_start"], name="cutover_region_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.site} on {self.cutover_start:%Y-%m-%d}"

    def confirmations(self) -> list[tuple[str, bool]]:
        return [(label, key in self.checklist) for key, label in CHECKLIST]


# --- VoIP readiness (G2) -------------------------------------------------------------


class MeasurementSource(models.TextChoices):
    FORM = "form", "Typed"
    CSV = "csv", "CSV file"
    JSON = "json", "JSON file"


class VoipAssessment(models.Model):
    """One measurement of a site's network for VoIP: its lines and the verdict at filing.

    The verdict is computed once, under the policy current when filed, and kept with the
    policy version: a later change of thresholds does not rewrite what was measured."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="voip_assessments"
    )
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="voip_assessments"
    )
    measured_at = models.DateTimeField()
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    source = models.CharField(max_length=4, choices=MeasurementSource.choices)
    filename = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    passed = models.BooleanField()
    reason = models.CharField(max_length=200)
    policy_version = models.PositiveIntegerField(default=0)
    public = models.BooleanField(default=True, help_text="The customer sees it (support may not)")

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [models.Index(fields=["site", "measured_at"], name="voip_site_measured_idx")]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return f"VoIP readiness at {self.site} on {self.measured_at:%Y-%m-%d}: {verdict}"


class VoipLine(models.Model):
    """One RTP stream of an assessment, as measured, with its own verdict."""

    assessment = models.ForeignKey(VoipAssessment, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    stream = models.CharField(max_length=100)
    codec = models.CharField(max_length=20)
    latency_ms = models.FloatField()
    jitter_ms = models.FloatField()
    loss_pct = models.FloatField()
    rtp_dscp = models.PositiveSmallIntegerField()
    sip_dscp = models.PositiveSmallIntegerField()
    bandwidth_kbps = models.FloatField()
    passed = models.BooleanField()
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["assessment", "position"]

    def __str__(self) -> str:
        return f"{self.stream} ({'pass' if self.passed else 'fail'})"


# --- change control (G3) -------------------------------------------------------------


class ChangeOutcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    REVERTED = "reverted", "Reverted"


class ChangeRecord(models.Model):
    """A change made at a site, with its plan and how it ended (G3). Engineers read a
    site's recent changes on every case of that site."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="change_records"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="changes")
    performed_at = models.DateTimeField()
    engineer = models.CharField(max_length=200, help_text="Who made the change")
    short_description = models.CharField(max_length=200)
    summary = models.TextField()
    outcome = models.CharField(max_length=10, choices=ChangeOutcome.choices)
    test_environment = models.TextField(blank=True)
    implementation_plan = models.TextField()
    test_plan = models.TextField()
    backout_plan = models.TextField()
    backup_taken = models.BooleanField()
    backup_details = models.TextField(blank=True)
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    public = models.BooleanField(default=True, help_text="The customer sees it (support may not)")

    class Meta:
        ordering = ["-performed_at", "-id"]
        indexes = [models.Index(fields=["site", "performed_at"], name="change_site_performed_idx")]

    def __str__(self) -> str:
        return f"{self.short_description} at {self.site} ({self.get_outcome_display()})"
