"""Contact page, resource centre, version lifecycle, licences and feedback (F1, F2, F5, F7).

Files (downloads, licence files) keep their bytes in the attachment storage under a key the
service chooses; the row holds the name shown, the size and the SHA-256 computed on upload.
"""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import REGION_CHOICES


class SupportLine(models.Model):
    """A phone number of a support centre, with the hours it answers (F5; C2, C9)."""

    region = models.CharField(max_length=10, choices=REGION_CHOICES)
    centre = models.CharField(max_length=120, help_text="e.g. Lisbon support centre")
    phone = models.CharField(max_length=40)
    hours = models.CharField(
        max_length=200, help_text="e.g. Mon–Fri 08:00–18:00 WET; Production Down 24×7"
    )
    languages = models.CharField(max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["region", "position", "centre"]

    def __str__(self) -> str:
        return f"{self.centre} {self.phone}"


class RegionalContact(models.Model):
    """A regional support manager customers may contact directly (F5)."""

    region = models.CharField(max_length=10, choices=REGION_CHOICES)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_region_display()})"


class EmergencyInstruction(models.Model):
    """One step of what to do when production is down (F5); shown on the open-case form."""

    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class VersionLifecycle(models.Model):
    """End of support and end of life of a major version (F1, T48); none: supported."""

    major_version = models.OneToOneField(
        "catalog.MajorVersion", on_delete=models.CASCADE, related_name="lifecycle"
    )
    end_of_support = models.DateField(null=True, blank=True)
    end_of_life = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_of_life__isnull=True)
                | models.Q(end_of_support__isnull=True)
                | models.Q(end_of_life__gte=models.F("end_of_support")),
                name="life_ends_after_support",
            )
        ]

    def __str__(self) -> str:
        return str(self.major_version)


class Release(models.Model):
    """A release of a product with its date and notes (F1)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    major_version = models.ForeignKey(
        "catalog.MajorVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=80)
    released_on = models.DateField()
    notes = models.TextField(blank=True, help_text="Release notes (plain text).")

    class Meta:
        ordering = ["product__name", "-released_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="uniq_release_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.name}"


class DocumentKind(models.TextChoices):
    DOCUMENTATION = "documentation", "Documentation"
    PREREQUISITES = "prerequisites", "Prerequisites"
    CONFIGURATIONS = "configurations", "Supported configurations"
    INSTALLATION = "installation", "Installation guide"


class Document(models.Model):
    """A document of the resource centre: text, a link, or both (F1)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["product__name", "kind", "title"]

    def __str__(self) -> str:
        return self.title


class StoredFile(models.Model):
    filename = models.CharField(max_length=255)
    storage_key = models.CharField(max_length=255, editable=False)
    size = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True


class Download(StoredFile):
    """A file of a release; only contacts whose contracts cover the product get it (F1)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="downloads")

    class Meta:
        ordering = ["filename"]

    def __str__(self) -> str:
        return self.filename


class Licence(StoredFile):
    """A licence of a contract (and so of its site) with its file (F2)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract__number", "product__name"]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.product} ×{self.quantity}"


class FeedbackTopic(models.TextChoices):
    PORTAL = "portal", "The portal"
    SUPPORT = "support", "Our support"
    PRODUCT = "product", "A product"
    OTHER = "other", "Something else"


class Feedback(models.Model):
    """Feedback a contact sent from the portal; care reads and closes it (F7)."""

    at = models.DateTimeField()
    contact = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=10, choices=FeedbackTopic.choices)
    body = models.TextField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.contact}"
