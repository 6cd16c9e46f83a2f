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
