"""Cases are read-only in the back office: every change goes through the console."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Case, CaseEvent


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "kind", "public", "body"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "status", "sub_status", "priority", "updated_at"]
    list_filter = ["status", "priority", "region", "kind"]
    list_select_related = ["organisation"]
    show_full_result_count = False
    inlines = [CaseEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Case._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
