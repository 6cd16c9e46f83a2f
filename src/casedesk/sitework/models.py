"""Site visits (G4), routings out of support (G5, G6) and cutover topology diagrams (G1)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from casedesk.policy.scope import OutOfScope
from casedesk.policy.site_visits import visit_charge


class VisitState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class SiteVisit(models.Model):
    """A visit to the case's site: requested by support once the remote-troubleshooting
    information is in, decided by a manager, billed by travel plus daily rate (G4)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="site_visits")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    reason = models.TextField()
    visit_on = models.DateField()
    days = models.PositiveSmallIntegerField(default=1)
    billable = models.BooleanField(default=True)
    travel_cost = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    daily_rate = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    remote_info_received_at = models.DateTimeField(
        help_text="When the case was marked all necessary information provided (C4)"
    )
    state = models.CharField(
        max_length=10, choices=VisitState.choices, default=VisitState.REQUESTED
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["state", "visit_on"], name="sitevisit_state_idx")]

    def __str__(self) -> str:
        return f"Site visit {self.pk} to {self.site} on {self.visit_on}"

    @property
    def charge(self) -> Decimal:
        return visit_charge(
            billable=self.billable,
            days=self.days,
            daily_rate=self.daily_rate,
            travel_cost=self.travel_cost,
        )


class ScopeRouting(models.Model):
    """The record that a case was routed out of support, and with which answer (G5, G6)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="routing")
    kind = models.CharField(max_length=20, choices=[(k.value, k.label) for k in OutOfScope])
    route_to = models.CharField(max_length=200)
    answer = models.TextField()
    routed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    routed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.route_to}"


class CutoverDiagram(models.Model):
    """A cutover notice's network topology diagram (G1): bytes in the files storage, never
    served but as a download to who may see the notice."""

    notice = models.OneToOneField(
        "obligations.CutoverNotice", on_delete=models.CASCADE, related_name="diagram"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300, unique=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename
