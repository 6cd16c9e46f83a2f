"""Customer Care's back office (issue item 5): organisations, contracts, contacts.

Plain reference data is edited directly; actions with rules and an audit trail
(refusals, grace periods, colleague visibility, invitations) go through ``accounts.services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from casedesk.core import clock
from casedesk.core.errors import DomainError

from . import services
from .models import (
    ApiToken,
    AuditEvent,
    Certification,
    Contract,
    ContractAccess,
    GracePeriod,
    Organisation,
    Refusal,
    Role,
    Site,
    User,
)


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]
    inlines = [SiteInline]


class GracePeriodInline(admin.TabularInline):
    model = GracePeriod
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "starts_on", "ends_on", "recorded_by", "recorded_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # recorded through the Grace periods page, which enforces one per invoice


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "organisation", "site", "deployment", "region", "paid_through"]
    list_filter = ["deployment", "region"]
    search_fields = ["number", "organisation__name", "site__name"]
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["products"]
    inlines = [GracePeriodInline]


@admin.register(GracePeriod)
class GracePeriodAdmin(admin.ModelAdmin):
    """A5: one grace period per disputed invoice, recorded by care."""

    list_display = ["contract", "invoice", "starts_on", "ends_on", "recorded_by", "recorded_at"]
    fields = ["contract", "invoice", "starts_on", "ends_on"]
    autocomplete_fields = ["contract"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: GracePeriod, form: Any, change: bool) -> None:
        try:
            created = services.grace_period_record(
                actor=request.user,  # type: ignore[arg-type]
                contract=obj.contract,
                invoice=obj.invoice,
                starts_on=obj.starts_on,
                ends_on=obj.ends_on,
                now=clock.now(),
            )
            obj.pk = created.pk
        except DomainError as exc:
            messages.error(request, exc.reason)


class ContractAccessInline(admin.TabularInline):
    """A3, admin case "access to a contract": none listed means every contract of the
    contact's organisation; listing some limits the contact to those (cases and opening)."""

    model = ContractAccess
    extra = 0
    autocomplete_fields = ["contract"]
    verbose_name_plural = "Contract access (none listed: every contract of the organisation)"


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0
    autocomplete_fields = ["product"]


class RefusalInline(admin.TabularInline):
    model = Refusal
    fk_name = "contact"
    extra = 0
    can_delete = False
    readonly_fields = [
        "category",
        "reason",
        "refused_by",
        "refused_at",
        "lifted_by",
        "lifted_at",
        "lift_reason",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # through the Refusals page, which audits


class UserAddForm(forms.ModelForm):
    """A new person without a password: they choose it from the invitation (A2).

    "Credentials e-mailed to you" means a set-your-password link, never a password in clear.
    """

    invite = forms.BooleanField(
        label="E-mail an invitation",
        required=False,
        initial=True,
        help_text="A link to choose their password (valid for a limited time). Without it, "
        "they can use “Forgot your password?” on the login page.",
    )

    class Meta:
        model = User
        fields = ("email", "full_name", "role", "organisation", "phone", "region")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Somebody already has this e-mail address.")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("role") == Role.CONTACT and not data.get("organisation"):
            self.add_error("organisation", "A customer contact belongs to an organisation.")
        return data

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        user.is_staff = user.role in (Role.CARE, Role.MANAGER)
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "organisation", "can_see_colleagues", "is_active"]
    list_filter = ["role", "can_see_colleagues", "is_active", "region"]
    search_fields = ["email", "full_name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["support_pin", "date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "phone", "role", "organisation", "region")}),
        ("Access", {"fields": ("is_active", "can_see_colleagues", "support_pin")}),
        ("Back office", {"fields": ("is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_form = UserAddForm
    add_form_template = None  # the plain change form: no password to enter
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "role",
                    "organisation",
                    "phone",
                    "region",
                    "invite",
                ),
            },
        ),
    )
    inlines = [ContractAccessInline, CertificationInline, RefusalInline]
    actions = ["invite"]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return list(self.inlines) if obj is not None else []  # added once the person exists

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            if form.cleaned_data.get("invite"):
                self._invite(request, obj)
            return
        visibility_changed = change and "can_see_colleagues" in form.changed_data
        if visibility_changed:
            wanted = obj.can_see_colleagues
            obj.can_see_colleagues = not wanted
        super().save_model(request, obj, form, change)
        if visibility_changed:
            services.contact_set_colleague_visibility(
                actor=request.user,  # type: ignore[arg-type]
                contact=obj,
                allowed=wanted,
                reason="Changed in the care back office",
                now=clock.now(),
            )

    def _invite(self, request: HttpRequest, user: User) -> bool:
        try:
            services.user_invite(actor=request.user, user=user, now=clock.now())  # type: ignore[arg-type]
        except DomainError as exc:
            messages.error(request, exc.reason)
            return False
        messages.success(request, f"Invitation e-mailed to {user.email}.")
        return True

    @admin.action(description="E-mail a set-your-password invitation")
    def invite(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            self._invite(request, user)


@admin.register(Refusal)
class RefusalAdmin(admin.ModelAdmin):
    """A6: refuse support with a reason; lift it with the action (kept on record)."""

    list_display = ["contact", "category", "refused_by", "refused_at", "lifted_at"]
    list_filter = ["category"]
    fields = ["contact", "category", "reason"]
    autocomplete_fields = ["contact"]
    actions = ["lift"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Refusal, form: Any, change: bool) -> None:
        try:
            created = services.contact_refuse(
                actor=request.user,  # type: ignore[arg-type]
                contact=obj.contact,
                category=obj.category,
                reason=obj.reason,
                now=clock.now(),
            )
            obj.pk = created.pk
        except DomainError as exc:
            messages.error(request, exc.reason)

    @admin.action(description="Lift the selected refusals")
    def lift(self, request: HttpRequest, queryset: Any) -> None:
        for refusal in queryset.filter(lifted_at__isnull=True).select_related("contact"):
            services.contact_lift_refusal(
                actor=request.user,  # type: ignore[arg-type]
                contact=refusal.contact,
                reason="Lifted in the care back office",
                now=clock.now(),
            )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "subject", "reason"]
    list_filter = ["action"]
    search_fields = ["subject", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "digest", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
