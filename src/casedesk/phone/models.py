"""A phone call (H1): when it queued, was answered and ended; who called and who answered."""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import REGION_CHOICES


class Call(models.Model):
    queued_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    caller = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls_made",
        help_text="Identified by support PIN; empty while the caller is unidentified",
    )
    engineer = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls_answered",
    )
    emergency = models.BooleanField(default=False, help_text="Production Down: routed first")
    region = models.CharField(max_length=10, choices=REGION_CHOICES, blank=True)
    # The telephony system's own call id, so a replayed event finds its call (H1, CTI).
    external_id = models.CharField(max_length=64, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="calls")

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="call_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["ended_at", "queued_at"], name="call_live_idx")]

    def __str__(self) -> str:
        return f"Call {self.pk} queued {self.queued_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    @property
    def hold_seconds(self) -> int | None:
        if self.answered_at is None:
            return None
        return max(int((self.answered_at - self.queued_at).total_seconds()), 0)


class TelephonyToken(models.Model):
    """The IVR/CTI's credential (H1): a bearer token that is no person's.

    It opens only the telephony API — verify a PIN, report call events, read an identified
    caller's open cases — and no person's token opens that API. 256 random bits; only the
    SHA-256 digest is stored (security rule 12).
    """

    name = models.CharField(max_length=80)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
