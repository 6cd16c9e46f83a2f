"""Care sees the outbox (failed mail stays visible with its error) and may send it again.

The bodies of account mail (password-reset links, invitations) are not shown: the link in
them is a live credential until it is used or expires.
"""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from casedesk.core import clock

from .accounts import ACCOUNT_KINDS
from .models import OutboundMessage, SurveyResponse
from .services import outbox_retry


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "addressed_to", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["subject", "message_id"]
    show_full_result_count = False
    actions = ["retry"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [f.name for f in OutboundMessage._meta.fields]
        if obj is not None and obj.kind in ACCOUNT_KINDS:
            fields = [f for f in fields if f not in ("text_body", "html_body")]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="to")
    def addressed_to(self, obj: OutboundMessage) -> str:
        """Who it went to; envelope-only recipients (a centre's notice) counted after."""
        named = ", ".join(obj.to)
        if not obj.bcc:
            return named
        hidden = f"{len(obj.bcc)} undisclosed"
        return f"{named} + {hidden}" if named else hidden

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Send the selected failed messages again")
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        count = outbox_retry(ids=list(queryset.values_list("pk", flat=True)), now=clock.now())
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case", "priority", "score", "solved"]
    list_filter = ["priority", "score", "solved"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in SurveyResponse._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
