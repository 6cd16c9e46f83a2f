from django.contrib import admin

from .models import Call, TelephonyToken


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("pk", "queued_at", "answered_at", "ended_at", "caller", "engineer", "emergency")
    list_filter = ("emergency",)
    raw_id_fields = ("caller", "engineer", "cases")


@admin.register(TelephonyToken)
class TelephonyTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # created with `casedesk manage telephony_token create`: shown once
