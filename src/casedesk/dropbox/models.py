"""Temporary SFTP drop boxes (D2, C8): one login per case, active for 120 hours.

Only ``dropbox.services`` writes these rows. The password is stored twice: hashed
with Django's hasher (to verify a login, security rule 12) and sealed with a key
derived from SECRET_KEY (so the case page can show it while the account is active, D2).
The sealed copy is wiped when the account is revoked or expires.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

ACTIVE = models.Q(revoked_at__isnull=True, expired_at__isnull=True)


class DropBoxAccount(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="dropboxes")
    username = models.CharField(max_length=32, unique=True)
    password_hash = models.CharField(max_length=256)
    password_sealed = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expired_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live drop box per case; ended ones stay as the record of what was open.
            models.UniqueConstraint(fields=["case"], condition=ACTIVE, name="one_dropbox_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.username} (case {self.case_id})"

    def is_active(self, now: dt.datetime) -> bool:
        """Not revoked, not marked expired, and inside its 120 hours (absolute time, C8)."""
        return self.revoked_at is None and self.expired_at is None and now < self.expires_at


class DropBoxFile(models.Model):
    """Which attachment arrived through which drop box: the session lists only these."""

    account = models.ForeignKey(DropBoxAccount, on_delete=models.CASCADE, related_name="files")
    attachment = models.OneToOneField(
        "files.Attachment", on_delete=models.CASCADE, related_name="dropbox_file"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.attachment_id} via {self.account_id}"
