"""Care admins edit the support policy here; every save is a new, immutable version."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from casedesk.core import clock
from casedesk.policy.defaults import SupportPolicy

from .models import Milestone, PolicyVersion, RegionDuty
from .selectors import current_policy_number, policy
from .services import policy_version_save


class PolicyForm(forms.ModelForm):
    data = forms.JSONField(
        help_text="Every number of the handbook (C2-C8, B7) and the regional calendars. "
        "Saving creates a new version; open cases keep the version they opened under."
    )

    class Meta:
        model = PolicyVersion
        fields = ["note", "data"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial["data"] = policy(current_policy_number()).to_dict()

    def clean_data(self) -> Any:
        data = self.cleaned_data["data"]
        try:
            SupportPolicy.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise forms.ValidationError(f"Not a valid policy: {exc}") from None
        return data


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = ["number", "note", "created_at", "created_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool) -> None:
        saved = policy_version_save(
            data=form.cleaned_data["data"],
            note=obj.note,
            actor=request.user,  # type: ignore[arg-type]
            now=clock.now(),
        )
        obj.pk, obj.number = saved.pk, saved.number

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        context["policy_json"] = json.dumps(policy(current_policy_number()).to_dict(), indent=2)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "target_at", "met_at", "breached_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegionDuty)
class RegionDutyAdmin(admin.ModelAdmin):
    """Care names each region's on-call engineers and queue owner (B, C2, C3)."""

    list_display = ["region", "duty", "user"]
    list_filter = ["region", "duty"]
    autocomplete_fields: list[str] = []
    raw_id_fields = ["user"]
