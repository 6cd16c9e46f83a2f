"""Organisations, sites, contracts, people and their credentials (A1-A8)."""

from __future__ import annotations

import secrets
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models

from casedesk.policy.regions import Region


class Role(models.TextChoices):
    CONTACT = "contact", "Customer contact"
    ENGINEER = "engineer", "Support engineer"
    CARE = "care", "Customer Care admin"
    MANAGER = "manager", "Support manager"


class Deployment(models.TextChoices):
    CLOUD = "cloud", "Cloud"
    PREMISE = "premise", "Premise"


REGION_CHOICES = [(r.value, r.label) for r in Region]


class Organisation(models.Model):
    """A partner (sold-to) organisation whose certified contacts open cases."""

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 country code")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    """An IANA zone name such as ``Europe/Berlin``; blank is allowed by the field."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Berlin.")


class Site(models.Model):
    """An end-user account served by a partner."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA time zone of the site, e.g. Europe/Berlin; blank: that of the "
        "contract's support region. Maintenance is current by the site's local date (C9).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_site_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """Ties a sold-to / end-user pair to covered products and a maintenance date (A1, A5)."""

    number = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contracts"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="contracts")
    products = models.ManyToManyField("catalog.Product", related_name="contracts", blank=True)
    deployment = models.CharField(max_length=10, choices=Deployment.choices)
    region = models.CharField(max_length=10, choices=REGION_CHOICES)
    language = models.CharField(max_length=10, default="en")
    paid_through = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.organisation} / {self.site})"


class GracePeriod(models.Model):
    """One grace period per disputed invoice, during which support continues (A5)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="grace_periods")
    invoice = models.CharField(max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()
    recorded_by = models.ForeignKey("User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "invoice"], name="one_grace_per_invoice"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="grace_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number}: invoice {self.invoice} {self.starts_on}–{self.ends_on}"


class ContractAccess(models.Model):
    """Limits a contact to some of the organisation's contracts (A3; the admin case "access
    to a contract"). A contact without rows has every contract of the organisation; with
    rows, only those: the cases they see and the contracts they may open cases on."""

    contact = models.ForeignKey("User", on_delete=models.CASCADE, related_name="contract_access")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["contract__number"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "contract"], name="one_access_per_contract")
        ]
        verbose_name = "contract access"
        verbose_name_plural = "contract access (none: every contract of the organisation)"

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.contract_id}"

    def clean(self) -> None:
        contact = getattr(self, "contact", None)
        contract = getattr(self, "contract", None)
        if (
            contact is not None
            and contract is not None
            and contract.organisation_id != contact.organisation_id
        ):
            raise ValidationError(
                {"contract": "Choose a contract of the contact's own organisation."}
            )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", Role.CARE)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


# The languages a person may prefer (A2, C2: the regions served in their local language).
LANGUAGE_CHOICES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ja", "日本語"),
    ("pt-br", "Português (Brasil)"),
]


def new_support_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: contacts by their corporate e-mail (A2), and support staff."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CONTACT)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    region = models.CharField(max_length=10, choices=REGION_CHOICES, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA zone (e.g. Europe/Berlin) pages show times in; empty: the site's zone.",
    )
    language = models.CharField(max_length=10, choices=LANGUAGE_CHOICES, default="en")
    can_see_colleagues = models.BooleanField(
        default=False, help_text="Adds 'all open/closed cases' over the organisation (A3)."
    )
    support_pin = models.CharField(max_length=6, default=new_support_pin)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="contact") | models.Q(organisation__isnull=False),
                name="contact_has_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def is_contact(self) -> bool:
        return self.role == Role.CONTACT

    @property
    def is_support(self) -> bool:
        return self.role in (Role.ENGINEER, Role.CARE, Role.MANAGER)


class Certification(models.Model):
    """A contact's product certification, shown to engineers on each case (A7)."""

    contact = models.ForeignKey(User, on_delete=models.CASCADE, related_name="certifications")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=40)
    function = models.CharField(max_length=80)
    valid_until = models.DateField()

    class Meta:
        ordering = ["-valid_until"]

    def __str__(self) -> str:
        return f"{self.product} {self.version} {self.function} (until {self.valid_until})"


class RefusalReason(models.TextChoices):
    ABUSIVE = "abusive", "Abusive or obscene language"
    HANG_UPS = "hang_ups", "Deliberate hang-ups"
    MISREPRESENTATION = "misrepresentation", "Deliberate misrepresentation"


class Refusal(models.Model):
    """Support refused to a contact (A6); lifting it keeps the record."""

    contact = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refusals")
    category = models.CharField(max_length=20, choices=RefusalReason.choices)
    reason = models.TextField()
    refused_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    refused_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-refused_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_active_refusal_per_contact",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact.email}: {self.get_category_display()}"


class ApiToken(models.Model):
    """A bearer token for the API: 256 random bits, only the SHA-256 digest stored (rule 12)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, default="API token")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """Who did what to an account-level object, when and why (A6, care actions)."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=60)
    subject = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"
