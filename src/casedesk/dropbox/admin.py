"""Drop boxes in the care back office: a read-only list (which are open, until when, who).

Opening and revoking happen on the case page (console), through the services; the
password hash and the sealed copy are never shown here.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DropBoxAccount

SHOWN = [
    "case",
    "username",
    "created_by",
    "created_at",
    "expires_at",
    "revoked_at",
    "revoked_by",
    "expired_at",
    "last_login_at",
]


@admin.register(DropBoxAccount)
class DropBoxAccountAdmin(admin.ModelAdmin):
    list_display = ["username", "case", "created_at", "expires_at", "revoked_at", "expired_at"]
    list_select_related = ["case"]
    search_fields = ["username"]
    fields = SHOWN
    readonly_fields = SHOWN

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
