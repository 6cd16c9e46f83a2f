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


class UploadState(models.TextChoices):
    ACTIVE = "active", "Receiving bytes"
    FINISHING = "finishing", "All bytes in; being hashed and attached"
    COMPLETED = "completed", "Attached"
    EXPIRED = "expired", "Expired"


class Concat(models.TextChoices):
    """tus concatenation: a part of a file uploaded in parallel, or the file they make."""

    NONE = "", "Whole file"
    PARTIAL = "partial", "Part of a file (never attached on its own)"
    FINAL = "final", "File joined from its parts"


class Upload(models.Model):
    """A resumable (tus) upload on its way to becoming an attachment (D1, security rule 9).

    The id is the unguessable part of the upload URL; the upload belongs to one user and
    one case, and nobody else may see or continue it. ``offset`` counts the bytes accepted
    so far (the partial file may hold more after a crash; they are cut back before the next
    write). ``locked_until``/``lock_token`` is the claim a PATCH takes with a conditional
    UPDATE, so two PATCHes never write the same upload at once (also on SQLite). After the
    last byte the upload is ``finishing`` (no PATCH or DELETE may touch it) until attached.
    """

    id = models.CharField(primary_key=True, max_length=48, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=UploadState.choices, default="active")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True)
    # The whole file's SHA-256 the client announced (hex), checked before it is attached.
    sha256 = models.CharField(max_length=64, blank=True)
    # Where the finished file goes, fixed when finishing starts so a crash mid-way is found.
    storage_key = models.CharField(max_length=300, blank=True)
    attachment = models.OneToOneField(
        Attachment, on_delete=models.SET_NULL, null=True, blank=True, related_name="upload"
    )
    # tus concatenation (parallel uploads): a partial is bound to the final that claimed it
    # (set once, with a conditional UPDATE); a final keeps its parts' ids in order.
    concat = models.CharField(max_length=7, choices=Concat.choices, blank=True, default="")
    final = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="parts"
    )
    part_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["case", "state"], name="upload_case_state_idx")]

    def __str__(self) -> str:
        return f"upload {self.filename} {self.offset}/{self.length}"

    @property
    def partial_key(self) -> str:
        """Where the bytes collect until the last one arrives."""
        return f"partial/{self.id}"
