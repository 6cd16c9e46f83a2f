"""Case attachments (D1-D4): the file's metadata; the bytes live in ``files.storage``.

Only ``files.services`` writes these rows. A purged attachment keeps its row (name,
size, SHA-256, who and when) so the case still says what was there (C7).
"""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    BROWSER = "browser", "Browser upload"
    CLI = "cli", "Command-line / API upload"
    SFTP = "sftp", "SFTP drop box"
    EMAIL = "email", "E-mail"
    ENGINEER = "engineer", "Attached by support"


class Attachment(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField()
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="attachment_case_idx")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None
