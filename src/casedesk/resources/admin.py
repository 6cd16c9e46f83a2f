"""Care back office for the contact page, the resource centre and licences (F1, F2, F5).

Downloads and licence files are uploaded here; replacing one keeps the row and its history
of downloads, stores the new bytes and computes their size and SHA-256 again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from . import services
from .models import (
    Document,
    Download,
    EmergencyInstruction,
    Feedback,
    Licence,
    RegionalContact,
    Release,
    SupportLine,
    VersionLifecycle,
)


class _UploadForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, help_text="The file; choose a new one to replace it (SHA-256 recomputed)."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.instance.storage_key and not data.get("upload"):
            self.add_error("upload", "Choose the file.")
        return data


class _StoredAdmin(admin.ModelAdmin):
    form = _UploadForm
    kind = "files"
    readonly_fields = ("filename", "size", "sha256")

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        upload = form.cleaned_data.get("upload")
        if upload is not None:
            services.attach_file(obj, upload.name, upload.chunks(), self.kind)
        super().save_model(request, obj, form, change)


@admin.register(SupportLine)
class SupportLineAdmin(admin.ModelAdmin):
    list_display = ("centre", "region", "phone", "hours", "position")
    list_filter = ("region",)


@admin.register(RegionalContact)
class RegionalContactAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "region", "email", "phone")
    list_filter = ("region",)


@admin.register(EmergencyInstruction)
class EmergencyInstructionAdmin(admin.ModelAdmin):
    list_display = ("position", "text")


@admin.register(VersionLifecycle)
class VersionLifecycleAdmin(admin.ModelAdmin):
    list_display = ("major_version", "end_of_support", "end_of_life")


class DownloadInline(admin.TabularInline):
    model = Download
    fields = ("filename", "size", "sha256")
    readonly_fields = ("filename", "size", "sha256")
    extra = 0
    can_delete = True
    show_change_link = True


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("product", "name", "major_version", "released_on")
    list_filter = ("product",)
    inlines = [DownloadInline]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "product", "kind")
    list_filter = ("product", "kind")


@admin.register(Download)
class DownloadAdmin(_StoredAdmin):
    kind = "downloads"
    list_display = ("filename", "release", "size", "sha256")
    fields = ("release", "upload", "filename", "size", "sha256")


@admin.register(Licence)
class LicenceAdmin(_StoredAdmin):
    kind = "licences"
    list_display = ("contract", "product", "quantity", "issued_on", "expires_on", "filename")
    list_filter = ("product",)
    fields = (
        "contract",
        "product",
        "quantity",
        "issued_on",
        "expires_on",
        "upload",
        "filename",
        "size",
        "sha256",
    )


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("at", "contact", "topic", "handled_at")
    list_filter = ("topic",)
    readonly_fields = ("at", "contact", "topic", "body", "handled_at", "handled_by")
